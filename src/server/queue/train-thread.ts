/**
 * The body of a training worker thread: training steps are synchronous CPU work (up to ~1 s each), so they
 * run here, off the server's event loop. Everything the Recorder receives is posted to the parent thread,
 * which owns the database (PGlite is single-threaded); { kind: 'abort' } from the parent stops the run
 * after the current step, as train() does for an AbortSignal.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RunConfig } from '../../trainer/config.js';
import { selectEngine } from '../../trainer/engines/index.js';
import type { Recorder } from '../../trainer/recorder.js';
import { train, type ResumePoint } from '../../trainer/train.js';

export interface ThreadInput {
  config: RunConfig;
  resume?: ResumePoint;
  /** Epoch ms when the run first started. */
  startedAt?: number;
  threads?: number;
}

/** Messages to the parent: one per Recorder call, then the result (or an error). */
export type ThreadMessage =
  | { kind: 'started' | 'metrics' | 'snapshot' | 'checkpoint' | 'progress' | 'finished'; payload: unknown }
  | { kind: 'result'; payload: unknown }
  | { kind: 'error'; message: string };

const port = parentPort!;
const input = workerData as ThreadInput;
const controller = new AbortController();
port.on('message', (m: { kind: string }) => {
  if (m.kind === 'abort') controller.abort();
});

const post = (kind: Exclude<ThreadMessage['kind'], 'result' | 'error'>) => async (payload: unknown) => {
  port.postMessage({ kind, payload } satisfies ThreadMessage);
};
const recorder: Recorder = {
  started: post('started'),
  metrics: post('metrics'),
  snapshot: post('snapshot'),
  checkpoint: post('checkpoint'),
  progress: post('progress'),
  finished: post('finished'),
};

try {
  const engine = await selectEngine(
    input.config.engine,
    input.threads === undefined ? {} : { threads: input.threads },
    () => {},
  );
  const result = await train({
    config: input.config,
    engine,
    recorder,
    signal: controller.signal,
    ...(input.resume ? { resume: input.resume } : {}),
    ...(input.startedAt ? { startedAt: new Date(input.startedAt) } : {}),
  });
  port.postMessage({ kind: 'result', payload: result } satisfies ThreadMessage);
} catch (err) {
  port.postMessage({ kind: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
}
