/**
 * Registers TensorFlow.js's gradient functions, so tf.grad works in tests (the autodiff reference for the
 * engine's hand-written backward pass). tfjs-core's Node bundle ships none; they live in its ES-module
 * sources (extensionless imports Node cannot load), so esbuild bundles them once into the temp folder. The
 * bundle carries its own copy of the core's modules, but TensorFlow.js keeps its engine and its kernel and
 * gradient registries on globalThis, so the registrations land in the one engine everyone uses.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import * as tf from '@tensorflow/tfjs-core';

const require = createRequire(import.meta.url);

export function registerTfGradients(): void {
  const entry = path.join(path.dirname(require.resolve('@tensorflow/tfjs-core')), 'register_all_gradients.js');
  const bundle = path.join(os.tmpdir(), `rwa-lab-tfjs-core-${tf.version_core}-gradients.cjs`);
  if (!fs.existsSync(bundle)) {
    const partial = `${bundle}.${process.pid}`;
    esbuild.buildSync({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: partial,
      logLevel: 'error',
    });
    fs.renameSync(partial, bundle);
  }
  require(bundle);
}
