// What the embedding Worker's bundle takes of TF.js in place of src/models/tf.ts (vite.worker.config.ts swaps the
// module): the core ops and the CPU backend. The WASM backend registers itself in backend.ts. No WebGL backend (it
// would open a GPU context in the Worker when TF.js picks its first backend) and no graph-model converter.
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import '@tensorflow/tfjs-backend-cpu';

export * from '@tensorflow/tfjs-core';
