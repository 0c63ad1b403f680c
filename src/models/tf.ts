/// <reference types="long" preserve="true" />
// tfjs-core's declarations use the global `Long` of @types/long (its dependency): named here, an app's type-check finds
// it whatever its `types` setting.
// The parts of TF.js LocalFace uses, and only those: core ops, the converter (graph models) and the CPU and WebGL
// backends (WASM registers itself in backend.ts). The umbrella package @tensorflow/tfjs would also bundle
// tfjs-layers and tfjs-data, which nothing here uses. Every src module imports TF.js from this file.
// Chained ops (tensor.squeeze() …) as the umbrella package registers them: our code calls tf.* functions, but
// @tensorflow-models/face-detection may rely on them.
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';

export * from '@tensorflow/tfjs-core';
export { loadGraphModel, GraphModel } from '@tensorflow/tfjs-converter';
