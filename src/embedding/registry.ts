import { FaceError } from '../errors';
import type { ModelFiles } from '../runtime/modelFiles';
import { createDlibResnetEmbedder } from './dlibResnet';
import { withFlipAveraging } from './flipAveraging';
import { createMobileFaceNetEmbedder } from './mobileFaceNet';
import type { FaceEmbedder } from './types';

/**
 * Every embedder LocalFace can run, by the id stored with templates. The calibration file names which of them
 * the matcher fuses; adding a model means adding it here and re-running the LFW calibration.
 */
const FACTORIES: Record<string, (files: ModelFiles) => Promise<FaceEmbedder>> = {
  'dlib-resnet128@face-api-1.7.15': (files) => createDlibResnetEmbedder(files),
  'dlib-resnet128@face-api-1.7.15+flip': async (files) => withFlipAveraging(await createDlibResnetEmbedder(files)),
};

async function mobileFaceNet(files: ModelFiles, flip: boolean): Promise<FaceEmbedder> {
  return createMobileFaceNetEmbedder(files, { flip });
}

export async function createEmbedder(id: string, files: ModelFiles): Promise<FaceEmbedder> {
  const factory = FACTORIES[id];
  if (factory) return factory(files);
  // MobileFaceNet's ids come from its module (flip-averaged or not), so resolve them by asking it.
  for (const flip of [false, true]) {
    const probe = await mobileFaceNet(files, flip);
    if (probe.id === id) return probe;
    probe.dispose();
  }
  throw new FaceError('ERR_MODEL_LOAD_FAILED', `Unknown embedding model ${id} in the calibration file; this build of LocalFace cannot make its templates.`);
}
