import type * as tf from './tf';

/**
 * A tensor's values read back, and the tensor disposed: also when the read fails (a lost WebGL context), so that a
 * failed read leaves no tensor behind. The tensor must be of `dtype` (float32 unless said): its values are typed so.
 */
export async function readAndDispose<D extends tf.NumericDataType = 'float32'>(
  tensor: tf.Tensor,
  dtype: D = 'float32' as D,
): Promise<tf.DataTypeMap[D]> {
  try {
    assertDtype(tensor, dtype);
    return await tensor.data<D>();
  } finally {
    tensor.dispose();
  }
}

/** readAndDispose, read synchronously (a GPU read blocks the thread until the GPU is done). */
export function readSyncAndDispose<D extends tf.NumericDataType = 'float32'>(
  tensor: tf.Tensor,
  dtype: D = 'float32' as D,
): tf.DataTypeMap[D] {
  try {
    assertDtype(tensor, dtype);
    return tensor.dataSync<D>();
  } finally {
    tensor.dispose();
  }
}

function assertDtype(tensor: tf.Tensor, dtype: tf.NumericDataType): void {
  if (tensor.dtype !== dtype) throw new Error(`Expected a ${dtype} tensor, got a ${tensor.dtype} one.`);
}
