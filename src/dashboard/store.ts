/**
 * The page's state: the view (mirrored in the URL, so reload and back/forward restore it), the runs
 * loaded so far, and live updates for unfinished runs. Views subscribe and re-render what changed.
 */
import { Api, Q, TERMINAL, type LiveRun, type Run, type RunStats } from './api.js';
import { decodeView, encodeView, type ViewState } from './state.js';

export type Change = 'view' | 'runs' | 'live';

export class Store {
  readonly api = new Api();
  state: ViewState;
  /** Opened from a share link: nothing can be written. */
  readOnly = false;
  runs = new Map<number, Run>();
  runsLoaded = false;
  runsError: string | null = null;
  totalRuns = 0;
  stats = new Map<number, RunStats>();
  /** Runs of the report on screen (its rows and reference logs): what a share link of the Report view holds. */
  reportRunIds: number[] = [];
  private listeners = new Set<(change: Change, ids?: number[]) => void>();
  private closeEvents: (() => void) | null = null;
  private liveKey = '';

  constructor(search: string) {
    this.state = decodeView(search);
  }

  subscribe(fn: (change: Change, ids?: number[]) => void): void {
    this.listeners.add(fn);
  }

  emit(change: Change, ids?: number[]): void {
    for (const fn of this.listeners) fn(change, ids);
  }

  /** Changes the view; `push` adds a history entry (view switches), else the URL is replaced (sliders). */
  set(patch: Partial<ViewState>, push = false): void {
    this.state = { ...this.state, ...patch };
    const url = `${location.pathname}${encodeView(this.state)}`;
    if (url !== `${location.pathname}${location.search}`) history[push ? 'pushState' : 'replaceState'](null, '', url);
    this.emit('view');
  }

  /** Back/forward. */
  fromUrl(): void {
    this.state = decodeView(location.search);
    this.emit('view');
  }

  /** All runs, newest first: the first page quickly, then the rest. */
  async loadRuns(): Promise<void> {
    let after: string | null = null;
    let first = 200;
    try {
      for (;;) {
        const data: {
          runs: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: Run[] };
        } = await this.api.gql(Q.runs, { first, after });
        if (after === null) this.runs.clear();
        for (const r of data.runs.nodes) this.runs.set(r.id, r);
        this.totalRuns = data.runs.totalCount;
        this.runsLoaded = !data.runs.pageInfo.hasNextPage;
        this.runsError = null;
        this.emit('runs');
        if (!data.runs.pageInfo.hasNextPage) break;
        after = data.runs.pageInfo.endCursor;
        first = 500;
      }
    } catch (e) {
      this.runsError = (e as Error).message;
      this.runsLoaded = true;
      this.emit('runs');
    }
    this.watchLive();
  }

  addRuns(runs: readonly Run[]): void {
    for (const r of runs) this.runs.set(r.id, r);
    this.totalRuns = Math.max(this.totalRuns, this.runs.size);
    this.emit('runs');
    this.watchLive();
  }

  /** Stats (best test metric, speed) for runs that lack them, 100 per query. */
  async loadStats(ids: readonly number[]): Promise<void> {
    const missing = ids.filter((id) => !this.stats.has(id));
    for (let i = 0; i < missing.length; i += 100) {
      const batch = missing.slice(i, i + 100);
      try {
        const data = await this.api.gql<{ runs: { nodes: RunStats[] } }>(Q.stats, { ids: batch });
        for (const s of data.runs.nodes) this.stats.set(s.id, s);
        this.emit('live', batch);
      } catch {
        return;
      }
    }
  }

  /** Keeps one event stream open over the unfinished runs (at most 100). */
  watchLive(): void {
    const ids = [...this.runs.values()]
      .filter((r) => !TERMINAL.has(r.status))
      .map((r) => r.id)
      .slice(0, 100);
    const key = ids.join(',');
    if (key === this.liveKey) return;
    this.closeEvents?.();
    this.closeEvents = null;
    this.liveKey = key;
    if (!ids.length) return;
    this.closeEvents = this.api.events(
      ids,
      (live: LiveRun) => this.onLive(live),
      () => {
        this.liveKey = '';
        this.closeEvents = null;
      },
    );
  }

  private onLive(live: LiveRun): void {
    const run = this.runs.get(live.id);
    if (!run) return;
    const wasTerminal = TERMINAL.has(run.status);
    run.status = live.status;
    run.currentStep = live.currentStep;
    run.totalSteps = live.totalSteps;
    run.error = live.error;
    const stats = this.stats.get(live.id);
    if (stats) {
      // Best test metric so far, from the latest points; the exact summary is re-read when the run ends.
      for (const m of live.metrics) {
        if (m.split !== 'TEST' || m.value === null || (m.name !== 'loss' && m.name !== 'accuracy')) continue;
        const s = stats[m.name];
        const better = m.name === 'loss' ? (a: number, b: number) => a < b : (a: number, b: number) => a > b;
        if (!s?.best || s.best.value === null || better(m.value, s.best.value))
          stats[m.name] = { best: { step: m.step, value: m.value } };
      }
    }
    if (TERMINAL.has(run.status)) this.stats.delete(live.id);
    this.emit('live', [live.id]);
    if (TERMINAL.has(run.status) && !wasTerminal) this.watchLive();
  }
}
