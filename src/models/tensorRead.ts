import type * as tf from './tf';

/**
 * A tensor's values read back, and the tensor disposed: also when the read fails (a lost WebGL context), so that a
 * failed read leaves no tensor behind. The tensor must be of `dtype` (float32 unless said): its values are typed so.
 */
export async function readAndDispose(tensor: tf.Tensor): Promise<Float32Array>;
export async function readAndDispose<D extends tf.NumericDataType>(
  tensor: tf.Tensor,
  dtype: D,
): Promise<tf.DataTypeMap[D]>;
export async function readAndDispose(
  tensor: tf.Tensor,
  dtype: tf.NumericDataType = 'float32',
): Promise<tf.DataTypeMap[tf.NumericDataType]> {
  try {
    assertDtype(tensor, dtype);
    return await tensor.data();
  } finally {
    tensor.dispose();
  }
}

/** readAndDispose, read synchronously (a GPU read blocks the thread until the GPU is done). */
export function readSyncAndDispose(tensor: tf.Tensor): Float32Array;
export function readSyncAndDispose<D extends tf.NumericDataType>(tensor: tf.Tensor, dtype: D): tf.DataTypeMap[D];
export function readSyncAndDispose(
  tensor: tf.Tensor,
  dtype: tf.NumericDataType = 'float32',
): tf.DataTypeMap[tf.NumericDataType] {
  try {
    assertDtype(tensor, dtype);
    return tensor.dataSync();
  } finally {
    tensor.dispose();
  }
}

function assertDtype(tensor: tf.Tensor, dtype: tf.NumericDataType): void {
  if (tensor.dtype !== dtype) throw new Error(`Expected a ${dtype} tensor, got a ${tensor.dtype} one.`);
}
