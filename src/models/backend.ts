import * as tf from './tf';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { FaceError } from '../errors';
import type { ModelFiles } from './modelFiles';

export type BackendName = 'webgl' | 'wasm' | 'cpu';
export type BackendChoice = 'auto' | BackendName;

/** Software WebGL (SwiftShader, llvmpipe, Microsoft Basic Render) runs our models 8–15× slower than WASM. */
export function isSoftwareRenderer(renderer: string): boolean {
  return /swiftshader|llvmpipe|softpipe|software|basic render/i.test(renderer);
}

/** The unmasked WebGL renderer string, or undefined when WebGL is unavailable. */
export function webglRenderer(): string | undefined {
  try {
    const canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(1, 1) : document.createElement('canvas');
    const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
    if (!gl) return undefined;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return renderer;
  } catch {
    return undefined;
  }
}

/** Order to try backends in for a choice: 'auto' prefers a hardware GPU, else WASM. */
export function backendOrder(choice: BackendChoice, renderer: string | undefined): BackendName[] {
  if (choice !== 'auto') return [choice];
  const gpu = renderer !== undefined && !isSoftwareRenderer(renderer);
  return gpu ? ['webgl', 'wasm', 'cpu'] : ['wasm', 'webgl', 'cpu'];
}

/**
 * Activates the TF.js backend. The tfjs engine is page-wide, so all clients in a page share it.
 * WASM binaries load from `<modelBaseUrl>/wasm/`, single-threaded (see below).
 */
export async function activateBackend(choice: BackendChoice, files: ModelFiles): Promise<BackendName> {
  setWasmPaths(files.url('wasm/'));
  // TF.js's threaded WASM build starts its workers from the source text of a function in the bundle
  // (Function.prototype.toString). Once an app's bundler minifies that function, the worker's copy names variables
  // that exist only in the app's bundle ("e is not defined") and the backend never becomes ready. Threads gave no
  // speed-up on 2 cores (BENCHMARKS.md), so the single-threaded SIMD build is used on every page.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const order = backendOrder(choice, choice === 'auto' ? webglRenderer() : undefined);
  const failures: string[] = [];
  for (const name of order) {
    try {
      if (tf.getBackend() === name || (await tf.setBackend(name))) {
        await tf.ready();
        return name;
      }
      failures.push(`${name}: not supported here`);
    } catch (error) {
      failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new FaceError(
    choice === 'auto' ? 'ERR_INTERNAL' : 'ERR_INVALID_ARGUMENT',
    `No TF.js backend could start (${failures.join('; ')}). ${choice === 'auto' ? 'This browser lacks both WebGL and WebAssembly.' : "Use backend: 'auto'."}`,
  );
}
