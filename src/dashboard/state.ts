/**
 * The view as a value, and its URL encoding: everything a reload or a share link must restore (which view,
 * runs, metric, split, smoothing, log scale, zoom, hidden-state run/step/sample/unit order, runs-table
 * filter and sort, the report's experiments). Only non-default values are written, so URLs stay short; unknown or bad values decode
 * to the default (a hand-edited URL never breaks the page).
 *
 *   const state = decodeView(location.search);   encodeView(state) -> '?view=curves&runs=3,4&smooth=0.6'
 */
export const VIEWS = ['runs', 'curves', 'states', 'report', 'launch'] as const;
export type ViewName = (typeof VIEWS)[number];
export const SPLITS = ['TEST', 'TRAIN', 'BOTH'] as const;
export type SplitChoice = (typeof SPLITS)[number];
export const UNIT_ORDERS = ['index', 'change', 'peak', 'mean'] as const;
export type UnitOrder = (typeof UNIT_ORDERS)[number];
export const SCALES = ['auto', 'log', 'linear'] as const;
export type ScaleChoice = (typeof SCALES)[number];

export interface ViewState {
  view: ViewName;
  /** Selected runs (compared in Curves; their first is the default for Hidden states). */
  runs: number[];
  metric: string;
  split: SplitChoice;
  /** EMA weight in [0, 0.99]. */
  smoothing: number;
  scale: ScaleChoice;
  /** Zoomed step range, or null for all steps. */
  zoom: [number, number] | null;
  /** Run shown in Hidden states (null: the first selected run). */
  stateRun: number | null;
  /** Snapshot step (null: the latest). */
  step: number | null;
  sample: number;
  units: UnitOrder;
  /** Runs-table text filter and sort ("column" or "-column" for descending). */
  filter: string;
  sort: string;
  /** Experiments (names) in the Report view, and whether the imported paper logs are rows of it. */
  experiments: string[];
  paperLogs: boolean;
}

export const DEFAULT_VIEW: ViewState = Object.freeze({
  view: 'runs',
  runs: [],
  metric: 'loss',
  split: 'BOTH',
  smoothing: 0,
  scale: 'auto',
  zoom: null,
  stateRun: null,
  step: null,
  sample: 0,
  units: 'index',
  filter: '',
  sort: '-id',
  experiments: [],
  paperLogs: false,
}) as ViewState;

/** As the server's report query: at most 100 experiments, names of 1 to 200 characters. */
function experimentList(raw: readonly string[]): string[] {
  const names: string[] = [];
  for (const name of raw) if (name.length >= 1 && name.length <= 200 && !names.includes(name)) names.push(name);
  return names.slice(0, 100);
}

const METRIC = /^[A-Za-z][A-Za-z0-9_.:/-]{0,63}$/;
const SORT = /^-?[a-z][A-Za-z]{0,20}$/;

const oneOf = <T extends string>(values: readonly T[], raw: string | null, fallback: T): T =>
  raw !== null && (values as readonly string[]).includes(raw) ? (raw as T) : fallback;

function nonNegInt(raw: string | null): number | null {
  if (raw === null || !/^\d{1,9}$/.test(raw)) return null;
  return Number(raw);
}

function idList(raw: string | null): number[] {
  if (!raw) return [];
  const ids: number[] = [];
  for (const part of raw.split(',')) {
    const id = nonNegInt(part);
    if (id !== null && id > 0 && !ids.includes(id)) ids.push(id);
    if (ids.length === 100) break;
  }
  return ids;
}

/** Reads a view from a query string (with or without the leading '?'). */
export function decodeView(search: string): ViewState {
  const q = new URLSearchParams(search);
  const smoothing = Number(q.get('smooth'));
  const zoomParts = (q.get('zoom') ?? '').split('-').map(nonNegInt);
  const zoom: [number, number] | null =
    zoomParts.length === 2 && zoomParts[0] !== null && zoomParts[1] !== null && zoomParts[0]! < zoomParts[1]!
      ? [zoomParts[0]!, zoomParts[1]!]
      : null;
  const metric = q.get('metric');
  const sort = q.get('sort');
  return {
    view: oneOf(VIEWS, q.get('view'), DEFAULT_VIEW.view),
    runs: idList(q.get('runs')),
    metric: metric && METRIC.test(metric) ? metric : DEFAULT_VIEW.metric,
    split: oneOf(SPLITS, q.get('split')?.toUpperCase() ?? null, DEFAULT_VIEW.split),
    smoothing: Number.isFinite(smoothing) && smoothing >= 0 && smoothing <= 0.99 ? smoothing : DEFAULT_VIEW.smoothing,
    scale: oneOf(SCALES, q.get('scale'), DEFAULT_VIEW.scale),
    zoom,
    stateRun: nonNegInt(q.get('hrun')) || null,
    step: nonNegInt(q.get('step')),
    sample: nonNegInt(q.get('sample')) ?? DEFAULT_VIEW.sample,
    units: oneOf(UNIT_ORDERS, q.get('units'), DEFAULT_VIEW.units),
    filter: (q.get('q') ?? '').slice(0, 200),
    sort: sort && SORT.test(sort) ? sort : DEFAULT_VIEW.sort,
    experiments: experimentList(q.getAll('exp')),
    paperLogs: q.get('plogs') === '1',
  };
}

/** Writes a view as a query string ('' when everything is default). */
export function encodeView(s: ViewState): string {
  const q = new URLSearchParams();
  const d = DEFAULT_VIEW;
  if (s.view !== d.view) q.set('view', s.view);
  if (s.runs.length) q.set('runs', s.runs.join(','));
  if (s.metric !== d.metric) q.set('metric', s.metric);
  if (s.split !== d.split) q.set('split', s.split.toLowerCase());
  if (s.smoothing !== d.smoothing) q.set('smooth', String(Math.round(s.smoothing * 100) / 100));
  if (s.scale !== d.scale) q.set('scale', s.scale);
  if (s.zoom) q.set('zoom', `${Math.round(s.zoom[0])}-${Math.round(s.zoom[1])}`);
  if (s.stateRun !== null) q.set('hrun', String(s.stateRun));
  if (s.step !== null) q.set('step', String(s.step));
  if (s.sample !== d.sample) q.set('sample', String(s.sample));
  if (s.units !== d.units) q.set('units', s.units);
  if (s.filter) q.set('q', s.filter);
  if (s.sort !== d.sort) q.set('sort', s.sort);
  for (const name of s.experiments) q.append('exp', name);
  if (s.paperLogs) q.set('plogs', '1');
  const text = q.toString().replace(/%2C/g, ',');
  return text ? `?${text}` : '';
}
