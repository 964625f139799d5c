/**
 * The dashboard's only way to the server: GraphQL over fetch at /graphql, and Server-Sent Events at
 * /api/events. Auth: the API token (pasted once, kept in localStorage) for mutations, or a share token
 * when the page was opened from a share link (then every request reads as that view, read-only).
 */
export interface Run {
  id: number;
  experimentId: number | null;
  experiment: { name: string } | null;
  model: string;
  task: string;
  length: number | null;
  units: number;
  layers: number;
  seed: number;
  status: RunStatus;
  source: 'TRAINED' | 'IMPORTED' | string;
  currentStep: number;
  totalSteps: number;
  createdAt: string;
  finishedAt: string | null;
  error: string | null;
}
export type RunStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'DIVERGED';
export const TERMINAL: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'DIVERGED']);

export interface RunStats {
  id: number;
  loss: { best: { step: number; value: number | null } | null } | null;
  accuracy: { best: { step: number; value: number | null } | null } | null;
  timings: { stepsPerSecond: number | null; etaSeconds: number | null };
}

export interface CurvePoint {
  step: number;
  value: number | null;
  min: number | null;
  max: number | null;
  smoothed: number | null;
}
export interface Curve {
  runId: number;
  split: 'TEST' | 'TRAIN';
  totalPoints: number;
  points: CurvePoint[];
}

export interface Snapshot {
  step: number;
  sample: number;
  layer: number;
  timeSteps: number;
  units: number;
  codec: string;
  codecParams: unknown;
  events: Record<string, unknown>;
  dataBase64: string;
}

export interface ShareViewData {
  runIds: number[];
  metric: string;
  split: 'TEST' | 'TRAIN';
  smoothing: number;
  step: number | null;
  sample: number | null;
}

export interface ExperimentInfo {
  id: number;
  name: string;
  runCount: number;
}

/** Query.report's rows (src/server/graphql/report.type.ts). */
export interface ReportSpread {
  n: number;
  mean: number;
  sd: number;
  min: number;
  max: number;
}
export interface ReportRowData {
  label: string;
  model: string;
  layers: number;
  units: number;
  source: string;
  runIds: number[];
  runs: number;
  reached: number;
  longestSteps: number;
  steps: ReportSpread | null;
  final: ReportSpread | null;
  wallSeconds: ReportSpread | null;
  stepsPerSecond: ReportSpread | null;
  params: ReportSpread | null;
  paperSteps: number | null;
  paperFinal: number | null;
  differences: string[];
  verdict: string[];
}
export interface ReportGroupData {
  key: string;
  label: string;
  task: string;
  length: number | null;
  threshold: { metric: string; value: number; direction: string } | null;
  paperThreshold: boolean;
  finalMetric: string;
  lossUnit: string;
  paperTrainingSteps: number | null;
  paperNote: string | null;
  sentences: string[];
  beyond: string[];
  referenceRunIds: number[];
  rows: ReportRowData[];
}
export interface ReportData {
  experiments: { id: number; name: string }[];
  groups: ReportGroupData[];
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    message: string,
    readonly code: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'rwa-lab.token';

export class Api {
  /** Set when the page is a share link: every request uses it instead of the API token. */
  shareToken: string | null = null;

  get apiToken(): string | null {
    try {
      return localStorage.getItem(TOKEN_KEY);
    } catch {
      return null;
    }
  }

  set apiToken(token: string | null) {
    try {
      if (token) localStorage.setItem(TOKEN_KEY, token);
      else localStorage.removeItem(TOKEN_KEY);
    } catch {
      /* private mode: the token lasts for this page only */
    }
  }

  private bearer(): string | null {
    return this.shareToken ?? this.apiToken;
  }

  async gql<T>(query: string, variables: Record<string, unknown> = {}, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const token = this.bearer();
    if (token) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }), signal });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new ApiError('The server does not answer. Is `npm start` still running?', 'NETWORK');
    }
    let body: { data?: T; errors?: { message: string; extensions?: { code?: string; field?: string } }[] };
    try {
      body = await res.json();
    } catch {
      throw new ApiError(`The server answered ${res.status} ${res.statusText} without JSON.`, 'HTTP');
    }
    if (body.errors?.length) {
      const e = body.errors[0]!;
      throw new ApiError(e.message, e.extensions?.code ?? 'ERROR', e.extensions?.field ?? null);
    }
    if (!body.data) throw new ApiError(`The server answered ${res.status} without data.`, 'HTTP');
    return body.data;
  }

  /** Live run updates: calls onRun for each change, onEnd when all are finished. Returns a closer. */
  events(runIds: readonly number[], onRun: (r: LiveRun) => void, onEnd: () => void): () => void {
    const q = new URLSearchParams({ runs: runIds.join(',') });
    const token = this.bearer();
    if (token) q.set('token', token);
    const source = new EventSource(`/api/events?${q.toString().replace(/%2C/g, ',')}`);
    source.addEventListener('run', (e) => onRun(JSON.parse((e as MessageEvent).data) as LiveRun));
    source.addEventListener('end', () => {
      source.close();
      onEnd();
    });
    return () => source.close();
  }
}

export interface LiveRun {
  id: number;
  status: RunStatus;
  currentStep: number;
  totalSteps: number;
  error: string | null;
  metrics: { name: string; split: string; step: number; value: number | null }[];
}

const RUN_FIELDS = `id experimentId experiment { name } model task length units layers seed status source
  currentStep totalSteps createdAt finishedAt error`;

export const Q = {
  health: `{ health { version databaseKind } }`,
  runs: `query Runs($first: Int!, $after: String) {
    runs(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { ${RUN_FIELDS} } } }`,
  runsByIds: `query RunsByIds($ids: [Int!]!) {
    runs(filter: { ids: $ids }, first: 100) { nodes { ${RUN_FIELDS} series { name split points } } } }`,
  stats: `query Stats($ids: [Int!]!) {
    runs(filter: { ids: $ids }, first: 100) { nodes { id
      loss: summary(metric: "loss", split: TEST) { best { step value } }
      accuracy: summary(metric: "accuracy", split: TEST) { best { step value } }
      timings { stepsPerSecond etaSeconds } } } }`,
  curves: `query Curves($ids: [Int!]!, $metric: String!, $maxPoints: Int!, $smoothing: Float!, $from: Int, $to: Int,
      $test: Boolean!, $train: Boolean!) {
    test: curves(runIds: $ids, metric: $metric, split: TEST, maxPoints: $maxPoints, smoothing: $smoothing,
      fromStep: $from, toStep: $to) @include(if: $test) { runId split totalPoints points { step value min max smoothed } }
    train: curves(runIds: $ids, metric: $metric, split: TRAIN, maxPoints: $maxPoints, smoothing: $smoothing,
      fromStep: $from, toStep: $to) @include(if: $train) { runId split totalPoints points { step value min max smoothed } } }`,
  snapshotIndex: `query SnapshotIndex($id: Int!) { run(id: $id) { id snapshotSteps } }`,
  snapshot: `query Snapshot($id: Int!, $step: Int, $sample: Int!) {
    run(id: $id) { id states(step: $step) { sample }
      stateSnapshot(step: $step, sample: $sample) { step sample layer timeSteps units codec codecParams events dataBase64 } } }`,
  startComparison: `mutation Start($input: StartComparisonInput!) { startComparison(input: $input) { ${RUN_FIELDS} } }`,
  experiments: `{ experiments(first: 500, orderBy: { field: NAME, direction: ASC }) {
    totalCount nodes { id name runCount } } }`,
  report: `query Report($names: [String!]!, $paperLogs: Boolean!) {
    report(experiments: $names, paperLogs: $paperLogs) { experiments { id name }
      groups { key label task length threshold { metric value direction } paperThreshold finalMetric lossUnit
        paperTrainingSteps paperNote sentences beyond referenceRunIds
        rows { label model layers units source runIds runs reached longestSteps
          steps { ...S } final { ...S } wallSeconds { ...S } stepsPerSecond { ...S } params { ...S }
          paperSteps paperFinal differences verdict } } } }
    fragment S on Spread { n mean sd min max }`,
  createShareLink: `mutation Share($view: ShareViewInput!) { createShareLink(view: $view) { token url } }`,
  shareView: `query ShareView($token: String!) { shareView(token: $token) {
    view { runIds metric split smoothing step sample } } }`,
};
