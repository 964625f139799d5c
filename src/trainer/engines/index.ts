/**
 * Engine selection: `auto` takes the native C++ engine when its addon loads (the fast CPU path), else
 * TensorFlow.js on its best back end, with one warning saying why and how to fix it.
 */
import type { EngineChoice } from '../config.js';
import type { Engine } from './engine.js';
import { loadNativeEngine } from './native/index.js';
import { createTfjsEngine, type TfjsBackend } from './tfjs/index.js';

export interface EngineOptions {
  /** Native engine threads (default: all cores). */
  threads?: number;
  /** Force a TensorFlow.js back end (default: the best available). */
  tfjsBackend?: TfjsBackend;
}

export class EngineUnavailableError extends Error {
  readonly code = 'ENGINE_UNAVAILABLE';
  override readonly name = 'EngineUnavailableError';
}

let warned = false;

/** The engine for a run. `warn` receives the fallback notice (once per process). */
export async function selectEngine(
  choice: EngineChoice,
  options: EngineOptions = {},
  warn: (message: string) => void = (m) => process.emitWarning(m, 'EngineFallback'),
): Promise<Engine> {
  if (choice === 'native' || choice === 'auto') {
    const native = loadNativeEngine(options.threads === undefined ? {} : { threads: options.threads });
    if ('engine' in native) return native.engine;
    if (choice === 'native') throw new EngineUnavailableError(native.error);
    if (!warned) {
      warned = true;
      warn(`${native.error}; training on TensorFlow.js instead (several times slower on CPU)`);
    }
  }
  return createTfjsEngine(options.tfjsBackend === undefined ? {} : { backend: options.tfjsBackend });
}
