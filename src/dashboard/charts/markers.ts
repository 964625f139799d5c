/**
 * What to mark on a hidden-state heatmap, from the snapshot's events (written by each task generator in
 * src/trainer/tasks): adding: the two marked positions; length: the sequence end and the threshold T/2
 * (the article's 500 at T = 1000); copy: the recall marker; reber: the string's end. Times are 0-based
 * steps; markers outside 0..T-1 are dropped.
 */
export interface Marker {
  t: number;
  label: string;
  kind: 'input' | 'end' | 'threshold' | 'recall';
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function taskMarkers(task: string, events: unknown, T: number): Marker[] {
  const e = (typeof events === 'object' && events !== null ? events : {}) as Record<string, unknown>;
  const out: Marker[] = [];
  const add = (t: number | null, label: string, kind: Marker['kind']) => {
    if (t !== null && Number.isInteger(t) && t >= 0 && t < T) out.push({ t, label, kind });
  };
  if (task === 'adding' && Array.isArray(e.markers)) {
    e.markers.forEach((m, i) => add(num(m), `marked x${i + 1}`, 'input'));
  } else if (task === 'length') {
    const length = num(e.length);
    add(length === null ? null : length - 1, `end (length ${length})`, 'end');
    const threshold = num(e.threshold);
    // The first step whose presence makes the label 1 (label = length > threshold).
    add(threshold === null ? null : Math.floor(threshold), `threshold ${threshold}`, 'threshold');
  } else if (task === 'copy') {
    add(num(e.recall), 'recall marker', 'recall');
  } else if (task === 'reber') {
    const length = num(e.length);
    add(length === null ? null : length - 1, `end (length ${length})`, 'end');
  }
  return out.sort((a, b) => a.t - b.t);
}
