import type * as tf from './tf';

/** A float32 weight as plain values (no tensor yet). */
export interface FloatWeight {
  shape: number[];
  values: Float32Array;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The weights of a tfjs weights manifest as Float32Arrays, decoded exactly as `tf.io.decodeWeights` decodes them
 * (uint8/uint16 quantized values become the float32 nearest to q·scale + min; float32 values as stored), but without
 * making tensors, so that a model can transform them before one upload each. Undefined when a weight is stored in a
 * form this does not read (other dtypes, float16): callers then use `tf.io.decodeWeights`.
 */
export function decodeFloatWeights(
  data: ArrayBuffer,
  specs: readonly tf.io.WeightsManifestEntry[],
): Map<string, FloatWeight> | undefined {
  if (!LITTLE_ENDIAN) return undefined;
  const out = new Map<string, FloatWeight>();
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const q = spec.quantization;
    if (spec.dtype !== 'float32') return undefined;
    const values = new Float32Array(size);
    if (!q) {
      if (offset + 4 * size > data.byteLength) return undefined;
      values.set(new Float32Array(data.slice(offset, offset + 4 * size)));
      offset += 4 * size;
    } else if ((q.dtype === 'uint8' || q.dtype === 'uint16') && q.scale !== undefined && q.min !== undefined) {
      const bytes = q.dtype === 'uint8' ? 1 : 2;
      if (offset + bytes * size > data.byteLength) return undefined;
      const quantized =
        q.dtype === 'uint8'
          ? new Uint8Array(data, offset, size)
          : new Uint16Array(data.slice(offset, offset + 2 * size));
      const { scale, min } = q;
      for (let i = 0; i < size; i++) values[i] = quantized[i]! * scale + min;
      offset += bytes * size;
    } else return undefined;
    out.set(spec.name, { shape: spec.shape, values });
  }
  return out;
}
