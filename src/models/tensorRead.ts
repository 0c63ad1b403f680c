import type * as tf from './tf';

/**
 * A tensor's values read back, and the tensor disposed: also when the read fails (a lost WebGL context), so that a
 * failed read leaves no tensor behind. `D`: the tensor's dtype (float32 unless said).
 */
export async function readAndDispose<D extends tf.NumericDataType = 'float32'>(
  tensor: tf.Tensor,
): Promise<tf.DataTypeMap[D]> {
  try {
    return await tensor.data<D>();
  } finally {
    tensor.dispose();
  }
}

/** readAndDispose, read synchronously (a GPU read blocks the thread until the GPU is done). */
export function readSyncAndDispose<D extends tf.NumericDataType = 'float32'>(tensor: tf.Tensor): tf.DataTypeMap[D] {
  try {
    return tensor.dataSync<D>();
  } finally {
    tensor.dispose();
  }
}
