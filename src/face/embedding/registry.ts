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

/**
 * Every embedder LocalFace can run, by the id stored with its templates. src/face/similarity/calibration.json names
 * which of them the matcher fuses; adding a model means adding it here and re-running the LFW calibration.
 */
const FACTORIES: Record<string, (files: ModelFiles) => Promise<FaceEmbedder>> = {
  [DLIB_RESNET_ID]: (files) => createDlibResnetEmbedder(files),
  [`${DLIB_RESNET_ID}+flip`]: async (files) => withFlipAveraging(await createDlibResnetEmbedder(files)),
  [MOBILEFACENET_ID]: (files) => createMobileFaceNetEmbedder(files, { flip: false }),
  [`${MOBILEFACENET_ID}+flip`]: (files) => createMobileFaceNetEmbedder(files, { flip: true }),
};

/** The model files each embedder loads (ModelFiles names), so that their downloads can start early. */
const FILES: Record<string, readonly string[]> = {
  [DLIB_RESNET_ID]: DLIB_RESNET_FILES,
  [`${DLIB_RESNET_ID}+flip`]: DLIB_RESNET_FILES,
  [MOBILEFACENET_ID]: MOBILEFACENET_FILES,
  [`${MOBILEFACENET_ID}+flip`]: MOBILEFACENET_FILES,
};

export function embedderFiles(id: string): readonly string[] {
  return FILES[id] ?? [];
}

/** The embedders that can load and run in the embedding Worker, with their shapes (known before they load). */
const WORKER_READY: Record<string, EmbedderShape> = {
  [MOBILEFACENET_ID]: mobileFaceNetShape(false),
  [`${MOBILEFACENET_ID}+flip`]: mobileFaceNetShape(true),
};

/** The shape of embedder `id` if it can run in the embedding Worker, else undefined. */
export function workerEmbedderShape(id: string): EmbedderShape | undefined {
  return WORKER_READY[id];
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
  const factory = FACTORIES[id];
  if (!factory)
    throw new FaceError(
      'ERR_MODEL_LOAD_FAILED',
      `Unknown embedding model ${id} in the calibration file; this build of LocalFace cannot make its templates.`,
    );
  return factory(files);
}
