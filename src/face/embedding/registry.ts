import { FaceError } from '../../errors';
import * as tf from '../../models/tf';
import type { ModelFiles } from '../../models/modelFiles';
import { createDlibResnetEmbedder, DLIB_RESNET_FILES, DLIB_RESNET_ID } from './dlibResnet';
import { withFlipAveraging } from './flipAveraging';
import {
  createMobileFaceNetEmbedder,
  MOBILEFACENET_FILES,
  MOBILEFACENET_ID,
  mobileFaceNetShape,
} from './mobileFaceNet';
import type { EmbedderShape, FaceEmbedder } from './types';

/** What LocalFace knows of an embedder before loading it. */
interface EmbedderEntry {
  create(files: ModelFiles): Promise<FaceEmbedder>;
  /** The model files it loads (ModelFiles names), so that their downloads can start early. */
  files: readonly string[];
  /** Its shape, when it can load and run in the embedding Worker (known before it loads). */
  workerShape?: EmbedderShape;
}

/**
 * Every embedder LocalFace can run, by the id stored with its templates. src/face/similarity/calibration.json names
 * which of them the matcher fuses; adding a model means adding it here and re-running the LFW calibration.
 */
const EMBEDDERS: Record<string, EmbedderEntry> = {
  [DLIB_RESNET_ID]: { create: (files) => createDlibResnetEmbedder(files), files: DLIB_RESNET_FILES },
  [`${DLIB_RESNET_ID}+flip`]: {
    create: async (files) => withFlipAveraging(await createDlibResnetEmbedder(files)),
    files: DLIB_RESNET_FILES,
  },
  [MOBILEFACENET_ID]: {
    create: (files) => createMobileFaceNetEmbedder(files, { flip: false }),
    files: MOBILEFACENET_FILES,
    workerShape: mobileFaceNetShape(false),
  },
  [`${MOBILEFACENET_ID}+flip`]: {
    create: (files) => createMobileFaceNetEmbedder(files, { flip: true }),
    files: MOBILEFACENET_FILES,
    workerShape: mobileFaceNetShape(true),
  },
};

/** The model files embedder `id` loads (none for an id this build does not know). */
export function embedderFiles(id: string): readonly string[] {
  return EMBEDDERS[id]?.files ?? [];
}

/** The shape of embedder `id` if it can run in the embedding Worker, else undefined. */
export function workerEmbedderShape(id: string): EmbedderShape | undefined {
  return EMBEDDERS[id]?.workerShape;
}

/** Runs `embedder` once on a blank face, so that the first real call does not pay its kernels' set-up. */
export async function warmUpEmbedder(embedder: FaceEmbedder): Promise<void> {
  const blank = tf.zeros([1, embedder.inputSize, embedder.inputSize, 3]) as tf.Tensor4D;
  try {
    await embedder.embed(blank);
  } finally {
    blank.dispose();
  }
}

export async function createEmbedder(id: string, files: ModelFiles): Promise<FaceEmbedder> {
  const entry = EMBEDDERS[id];
  if (!entry)
    throw new FaceError(
      'ERR_MODEL_LOAD_FAILED',
      `Unknown embedding model ${id} in the calibration file; this build of LocalFace cannot make its templates.`,
    );
  return entry.create(files);
}
