/** A Recorder that keeps everything in memory, for tests of the training loop that do not need a database. */
import type {
  CheckpointRecord,
  FinishedRecord,
  MetricRecord,
  ProgressRecord,
  Recorder,
  SnapshotRecord,
  StartedRecord,
} from '../../src/trainer/recorder.js';

export class MemoryRecorder implements Recorder {
  startedWith: StartedRecord[] = [];
  points: MetricRecord[] = [];
  snapshots: SnapshotRecord[] = [];
  checkpoints: CheckpointRecord[] = [];
  progressed: ProgressRecord[] = [];
  result: FinishedRecord | undefined;

  async started(info: StartedRecord) {
    this.startedWith.push(info);
  }
  async metrics(points: MetricRecord[]) {
    this.points.push(...points);
  }
  async snapshot(s: SnapshotRecord) {
    this.snapshots.push(s);
  }
  async checkpoint(c: CheckpointRecord) {
    this.checkpoints.push(c);
  }
  async progress(p: ProgressRecord) {
    this.progressed.push(p);
  }
  async finished(r: FinishedRecord) {
    this.result = r;
  }

  /** Values of one series in step order. */
  series(name: string, split: 'TRAIN' | 'TEST'): { step: number; value: number }[] {
    return this.points
      .filter((p) => p.name === name && p.split === split)
      .map(({ step, value }) => ({ step, value }))
      .sort((a, b) => a.step - b.step);
  }
}
