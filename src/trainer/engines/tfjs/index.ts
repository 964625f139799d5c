/**
 * The TensorFlow.js engine. Back ends, best first:
 *   tensorflow  libtensorflow through @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, used only when the user
 *               installed one (`npm install @tensorflow/tfjs-node@4.22.0`; its install downloads libtensorflow)
 *   wasm        @tensorflow/tfjs-backend-wasm, SIMD, single thread (its threaded build does not start in Node)
 *   cpu         plain JavaScript; slow, but bit-for-bit deterministic and fine for tiny test models
 * The back end is process-wide in TensorFlow.js: the last createTfjsEngine call decides where every model runs.
 *
 *   const engine = await createTfjsEngine();            // best available
 *   const engine = await createTfjsEngine({ backend: 'cpu' });
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Engine, ModelSpec } from '../engine.js';
import { TfjsModel, type TfjsModelOptions } from './model.js';

export type TfjsBackend = 'tensorflow' | 'wasm' | 'cpu';
export const TFJS_BACKENDS: readonly TfjsBackend[] = ['tensorflow', 'wasm', 'cpu'];

export interface TfjsEngineOptions extends TfjsModelOptions {
  /** Force a back end; an unavailable one is an error. Default: the best available. */
  backend?: TfjsBackend;
}

export class TfjsBackendError extends Error {
  readonly code = 'TFJS_BACKEND_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'TfjsBackendError';
  }
}

export async function createTfjsEngine(options: TfjsEngineOptions = {}): Promise<Engine> {
  let backend: string;
  if (options.backend !== undefined) {
    if (!TFJS_BACKENDS.includes(options.backend))
      throw new TfjsBackendError(
        `unknown tfjs back end '${String(options.backend)}'; expected one of ${TFJS_BACKENDS.join(', ')}`,
      );
    backend = await activate(options.backend);
  } else {
    backend = await activateBest();
  }
  const kernels = tf.getBackend() === 'wasm' ? 'sigmoid' : 'plain';
  return {
    name: 'tfjs',
    backend,
    createModel: (spec: ModelSpec, params: Float32Array) =>
      new TfjsModel(spec, params, { kernels, ...options } as const),
  };
}

async function activateBest(): Promise<string> {
  for (const name of TFJS_BACKENDS) {
    try {
      return await activate(name);
    } catch (err) {
      // A native package that is installed but broken deserves a word; one that is absent does not.
      if (name === 'tensorflow' && !(err instanceof TfjsBackendError && /not installed/.test(err.message)))
        process.emitWarning(`tfjs: falling back from the tensorflow back end: ${(err as Error).message}`);
      if (name === 'cpu') throw err;
    }
  }
  throw new TfjsBackendError('no tfjs back end could start');
}

/** Loads (once) and switches to a back end; returns its description, e.g. `tfjs wasm (simd)`. */
async function activate(name: TfjsBackend): Promise<string> {
  const loaded = (loading[name] ??= LOADERS[name]());
  let description: string;
  try {
    description = await loaded;
  } catch (err) {
    delete loading[name];
    throw err;
  }
  if (!(await tf.setBackend(name))) throw new TfjsBackendError(`tfjs back end '${name}' failed to initialise`);
  await tf.ready();
  if (name === 'wasm') description += (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) ? ' (simd)' : ' (no simd)';
  if (name === 'cpu') silenceNodeHint();
  return description;
}

const loading: Partial<Record<TfjsBackend, Promise<string>>> = {};

const LOADERS: Record<TfjsBackend, () => Promise<string>> = {
  async tensorflow() {
    const failures: string[] = [];
    for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      try {
        await import(pkg);
      } catch (err) {
        const code = (err as { code?: string }).code;
        failures.push(code === 'ERR_MODULE_NOT_FOUND' ? `${pkg}: not installed` : `${pkg}: ${(err as Error).message}`);
        continue;
      }
      if (!tf.findBackendFactory('tensorflow'))
        throw new TfjsBackendError(
          `${pkg} loaded but registered its back end with another copy of @tensorflow/tfjs-core ` +
            `(this project uses ${tf.version_core}); install ${pkg}@${tf.version_core}`,
        );
      return `tfjs tensorflow (${pkg.slice('@tensorflow/'.length)})`;
    }
    const absent = failures.every((f) => f.endsWith('not installed'));
    throw new TfjsBackendError(
      `tfjs back end 'tensorflow' is ${absent ? 'not installed' : 'unavailable'} (${failures.join('; ')}); ` +
        `fix: npm install @tensorflow/tfjs-node@${tf.version_core} (or @tensorflow/tfjs-node-gpu with CUDA), ` +
        `or choose --backend wasm`,
    );
  },
  async wasm() {
    try {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // Node cannot fetch the .wasm files by URL; point at the package's own copies. Threads need a
      // browser-style worker, so the single-threaded SIMD build is what runs.
      const dist = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      wasm.setWasmPaths(dist + path.sep);
    } catch (err) {
      throw new TfjsBackendError(
        `tfjs back end 'wasm' is unavailable (${(err as Error).message}); fix: npm install @tensorflow/tfjs-backend-wasm@${tf.version_core}, or choose --backend cpu`,
      );
    }
    return 'tfjs wasm';
  },
  async cpu() {
    await import('@tensorflow/tfjs-backend-cpu');
    return 'tfjs cpu';
  },
};

/** The cpu back end prints an advert for tfjs-node on first use; the choice of back end is ours to report. */
function silenceNodeHint(): void {
  const backend = tf.backend() as unknown as { firstUse?: boolean };
  if ('firstUse' in backend) backend.firstUse = false;
}
