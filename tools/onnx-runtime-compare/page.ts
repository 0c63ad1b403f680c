// The in-house ONNX executor (TF.js WASM backend) against onnxruntime-web (its WASM build) in one page; run.mjs
// drives it. Model bytes are fetched before any timing; crop and resize are left out (the same TF.js work either way).
import * as tf from '../../src/models/tf';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { OnnxGraphModel } from '../../src/models/onnx/onnxModel';
import * as ort from 'onnxruntime-web/wasm';
import { seededRandom } from '../../test/support/seededRandom';

type Mode = 'ours' | 'ort' | 'both';
interface Timings {
  [k: string]: number | number[];
  fasOut: number[];
  eyeOut: number[];
}

const FACE = 128 * 128 * 3;
const now = () => performance.now();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const maxDiff = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

async function time<T>(f: () => T | Promise<T>): Promise<[T, number]> {
  const t = now();
  const value = await f();
  return [value, now() - t];
}

async function medianMs(runs: number, f: () => unknown): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push((await time(f))[1]);
  return median(ms);
}

async function ours(
  fasBytes: Uint8Array,
  eyeBytes: Uint8Array,
  face: tf.Tensor4D,
  eye: tf.Tensor4D,
  runs: number,
): Promise<Timings> {
  const [fas, fasLoad] = await time(() => OnnxGraphModel.fromBytes(fasBytes));
  const [eyeModel, eyeLoad] = await time(() => OnnxGraphModel.fromBytes(eyeBytes));
  // As fasnet.ts: the crop and its mirror, two runs (the graph's batch is fixed at 1), one read-back.
  const fasCall = () => {
    const y = tf.tidy(() => {
      const runs = [face, tf.image.flipLeftRight(face)].map(
        (x) => fas.execute({ input: x }, { inputLayout: 'NHWC' })[0]!,
      );
      return tf.concat(runs, 0);
    });
    const v = Array.from(y.dataSync());
    y.dispose();
    return v;
  };
  const eyeCall = () => {
    const y = eyeModel.execute({ input: eye }, { inputLayout: 'NHWC' })[0]!;
    const v = Array.from(y.dataSync());
    y.dispose();
    return v;
  };
  const [fasOut, fasFirst] = await time(fasCall);
  const [eyeOut, eyeFirst] = await time(eyeCall);
  const result = {
    fasLoad,
    eyeLoad,
    fasFirst,
    eyeFirst,
    fasCall: await medianMs(runs, fasCall),
    eyeCall: await medianMs(runs, eyeCall),
  };
  fas.dispose();
  eyeModel.dispose();
  return { ...result, fasOut, eyeOut };
}

async function onnxruntime(
  fasBytes: Uint8Array,
  eyeBytes: Uint8Array,
  face: tf.Tensor4D,
  eye: tf.Tensor4D,
  runs: number,
): Promise<Timings> {
  ort.env.wasm.numThreads = 1;
  const options: ort.InferenceSession.SessionOptions = { executionProviders: ['wasm'] };
  // The first session also fetches and compiles ORT's .wasm; the FasNet session is then made again, warm.
  const [coldFas, fasLoadCold] = await time(() => ort.InferenceSession.create(fasBytes, options));
  const [eyeSession, eyeLoad] = await time(() => ort.InferenceSession.create(eyeBytes, options));
  await coldFas.release();
  const [fas, fasLoad] = await time(() => ort.InferenceSession.create(fasBytes, options));
  const run = async (session: ort.InferenceSession, data: Float32Array, dims: number[]) =>
    Array.from((await session.run({ input: new ort.Tensor('float32', data, dims) })).output!.data as Float32Array);
  // With ORT, TF.js still does crop, resize and mirror; the pair is read back as NCHW and run twice.
  const fasCall = async () => {
    const nchw = tf.tidy(() => tf.transpose(tf.concat([face, tf.image.flipLeftRight(face)], 0), [0, 3, 1, 2]));
    const data = (await nchw.data()) as Float32Array;
    nchw.dispose();
    const a = await run(fas, data.subarray(0, FACE), [1, 3, 128, 128]);
    return [...a, ...(await run(fas, data.subarray(FACE), [1, 3, 128, 128]))];
  };
  // [1, 24, 24, 1] holds the same bytes as [1, 1, 24, 24].
  const eyeCall = async () => run(eyeSession, (await eye.data()) as Float32Array, [1, 1, 24, 24]);
  const [fasOut, fasFirst] = await time(fasCall);
  const [eyeOut, eyeFirst] = await time(eyeCall);
  const feed = new Float32Array(FACE).fill(100);
  const result = {
    fasLoadCold,
    fasLoad,
    eyeLoad,
    fasFirst,
    eyeFirst,
    fasCall: await medianMs(runs, fasCall),
    fasRunOnly: await medianMs(runs, async () => [
      await run(fas, feed, [1, 3, 128, 128]),
      await run(fas, feed, [1, 3, 128, 128]),
    ]),
    eyeCall: await medianMs(runs, eyeCall),
  };
  await fas.release();
  await eyeSession.release();
  return { ...result, fasOut, eyeOut };
}

async function runBench(mode: Mode, runs = 30): Promise<Record<string, unknown>> {
  setWasmPaths('/tfwasm/');
  const [, tfInit] = await time(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
  });
  const load = async (file: string) => new Uint8Array(await (await fetch(`/models/${file}`)).arrayBuffer());
  const [fasBytes, eyeBytes] = await Promise.all([load('fasnet-liveness.onnx'), load('eye-state.onnx')]);
  const r = seededRandom(7);
  const face = tf.tensor4d(
    Float32Array.from({ length: FACE }, () => Math.floor(r() * 256)),
    [1, 128, 128, 3],
  );
  const eye = tf.tensor4d(
    Float32Array.from({ length: 24 * 24 }, () => r()),
    [1, 24, 24, 1],
  );
  const result: Record<string, unknown> = { backend: tf.getBackend(), tfInit, isolated: crossOriginIsolated };
  const o = mode !== 'ort' ? await ours(fasBytes, eyeBytes, face, eye, runs) : undefined;
  const n = mode !== 'ours' ? await onnxruntime(fasBytes, eyeBytes, face, eye, runs) : undefined;
  if (o && n) result.agreement = { fas: maxDiff(o.fasOut, n.fasOut), eye: maxDiff(o.eyeOut, n.eyeOut) };
  tf.dispose([face, eye]);
  return { ...result, ours: o, ort: n };
}

(window as unknown as { runBench: typeof runBench }).runBench = runBench;
