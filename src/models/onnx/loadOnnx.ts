import { FaceError } from '../../errors';
import type { ModelFiles } from '../modelFiles';
import { OnnxGraphModel } from './onnxModel';

/** The single input and output shapes a caller expects of its model. */
export interface OnnxShapes {
  input: readonly number[];
  output: readonly number[];
}

/**
 * Loads `file` from the model base URL (sha256-checked by ModelFiles) as an OnnxGraphModel with one input and one
 * output of the expected shapes. A file that cannot be parsed, uses an op we do not run, or has other shapes is
 * ERR_MODEL_LOAD_FAILED naming the file, so a wrong or altered model never runs silently.
 */
export async function loadOnnxModel(
  files: ModelFiles,
  file: string,
  stage: string,
  shapes: OnnxShapes,
  what: string,
): Promise<OnnxGraphModel> {
  const bytes = new Uint8Array(await files.bytes(file, stage));
  const metadata = { file, modelBaseUrl: files.baseUrl };
  let model: OnnxGraphModel;
  try {
    model = OnnxGraphModel.fromBytes(bytes);
  } catch (cause) {
    throw new FaceError(
      'ERR_MODEL_LOAD_FAILED',
      `Could not read the ${what} model ${files.url(file)}: ${(cause as Error).message}`,
      { cause, metadata },
    );
  }
  const [input] = model.graph.inputs,
    [output] = model.graph.outputs;
  const same = (a: readonly (number | string | null)[] | undefined, b: readonly number[]) =>
    a?.join(',') === b.join(',');
  if (
    model.inputNames.length !== 1 ||
    model.outputNames.length !== 1 ||
    !same(input?.shape, shapes.input) ||
    !same(output?.shape, shapes.output)
  ) {
    model.dispose();
    throw new FaceError(
      'ERR_MODEL_LOAD_FAILED',
      `Unexpected ${what} model ${files.url(file)}: input [${input?.shape}], output [${output?.shape}], expected [${shapes.input}] and [${shapes.output}]`,
      { metadata },
    );
  }
  return model;
}
