/**
 * Report: our runs beside the paper's numbers, as `rwa-lab report` writes them, for experiments picked
 * here (a filtered list with run counts; one click takes every experiment of a prefix such as
 * "reproduce quick:"). Per task: the threshold, the RWA-vs-LSTM sentence, a table (steps to threshold as
 * mean ± sd (min–max, n) over seeds, final value, wall time, steps/s, params, the paper's numbers and what
 * we see) and buttons that open Curves with those runs and the authors' imported logs overlaid. The
 * numbers come from the server's report query (the report's own code); the picked experiments live in
 * the URL, so reload and share links restore the view.
 */
import { ApiError, Q, type ExperimentInfo, type ReportData, type ReportGroupData, type ReportRowData } from '../api.js';
import { fmtDuration, fmtInt, fmtSpeed, fmtSpread, fmtValue, stepsCell } from '../report-format.js';
import type { Store } from '../store.js';
import { el, notice } from '../ui.js';

/** "reproduce quick:" of "reproduce quick: adding T=100"; null for a name without a "prefix: ". */
export function namePrefix(name: string): string | null {
  const i = name.indexOf(': ');
  return i > 0 ? name.slice(0, i + 1) : null;
}

function thresholdText(g: ReportGroupData): string {
  const t = g.threshold;
  if (!t) return 'The paper gives no steps-to-threshold for this task; only the final value is compared.';
  const what = t.metric === 'accuracy' ? `test accuracy >= ${t.value * 100}%` : `test ${g.lossUnit} < ${t.value}`;
  const from = g.paperThreshold
    ? "the paper's"
    : `the paper's threshold for ${g.task}, which it did not run at this length`;
  const trained = g.paperTrainingSteps === null ? '' : ` The paper trained ${fmtInt(g.paperTrainingSteps)} steps.`;
  const note = g.paperNote ? ` Note: ${g.paperNote}.` : '';
  return `Threshold: ${what}, ${from}; met by the trailing median of 5 test evaluations.${trained}${note}`;
}

const COLUMNS = [
  ['model', 'Model'],
  ['runs', 'Runs'],
  ['steps', 'Steps to threshold'],
  ['paper-steps', 'Paper'],
  ['final', 'Final'],
  ['paper-final', 'Paper'],
  ['wall', 'Wall time'],
  ['speed', 'Steps/s'],
  ['params', 'Params'],
] as const;

/** A cell's text; "mean ± sd (min–max, n)" breaks after the mean (the text stays the Markdown report's). */
function cellContent(text: string): Node {
  const i = text.indexOf(' ± ');
  if (i < 0) return document.createTextNode(text);
  return el(
    'span',
    {},
    el('span', { class: 'mean', text: text.slice(0, i) }),
    ' ',
    el('span', { class: 'spread', text: text.slice(i + 1) }),
  );
}

function rowCells(g: ReportGroupData, r: ReportRowData): Record<(typeof COLUMNS)[number][0], string> {
  const fmtFinal = (v: number) => fmtValue(v, g.finalMetric);
  return {
    model: r.label,
    runs: String(r.runs),
    steps: g.threshold ? stepsCell(r) : 'n/a',
    'paper-steps': r.paperSteps === null ? '—' : fmtInt(r.paperSteps),
    final: fmtSpread(r.final, fmtFinal),
    'paper-final': r.paperFinal === null ? '—' : fmtFinal(r.paperFinal),
    wall: fmtSpread(r.wallSeconds, fmtDuration),
    speed: fmtSpread(r.stepsPerSecond, fmtSpeed),
    params: fmtSpread(r.params, fmtInt),
  };
}

export function reportView(root: HTMLElement, store: Store) {
  const filter = el('input', {
    type: 'search',
    placeholder: 'Filter: reproduce quick adding…',
    'aria-label': 'Filter experiments',
    class: 'filter',
  });
  const selectShown = el('button', { type: 'button' }, 'Select all shown');
  const clear = el('button', { type: 'button', class: 'link' }, 'clear');
  const prefixes = el('div', { class: 'prefixes', 'aria-label': 'Select by prefix' });
  const list = el('ul', { class: 'experiment-list' });
  const paperLogs = el('input', { type: 'checkbox', name: 'paperLogs' });
  const picker = el(
    'aside',
    { class: 'report-picker' },
    el('h2', { text: 'Experiments' }),
    filter,
    el('div', { class: 'picker-actions' }, selectShown, clear),
    prefixes,
    list,
    el('label', { class: 'inline paper-logs' }, paperLogs, " Also the authors' logs as rows"),
  );
  const body = el('div', { class: 'report-body' });
  root.append(el('div', { class: 'report-layout' }, picker, body));

  let experiments: ExperimentInfo[] = [];
  let experimentsError: string | null = null;
  let experimentsLoaded = false;
  let report: ReportData | null = null;
  let error: string | null = null;
  let loadedKey = '';
  let pending = false;
  let abort: AbortController | null = null;

  const chosen = () => store.state.experiments;
  const choose = (names: string[]) => store.set({ experiments: names.slice(0, 100) });

  filter.addEventListener('input', () => drawPicker());
  selectShown.addEventListener('click', () => choose([...new Set([...chosen(), ...shown().map((e) => e.name)])]));
  clear.addEventListener('click', () => choose([]));
  prefixes.addEventListener('click', (e) => {
    const b = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-prefix]');
    if (!b) return;
    const names = experiments.filter((x) => x.name.startsWith(b.dataset.prefix!)).map((x) => x.name);
    choose([...new Set([...chosen(), ...names])]);
  });
  list.addEventListener('change', (e) => {
    const box = e.target as HTMLInputElement;
    if (box.type !== 'checkbox') return;
    choose(box.checked ? [...chosen(), box.value] : chosen().filter((n) => n !== box.value));
  });
  paperLogs.addEventListener('change', () => store.set({ paperLogs: paperLogs.checked }));
  body.addEventListener('click', (e) => {
    const b = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-runs]');
    if (!b) return;
    const runs = b.dataset.runs!.split(',').map(Number).slice(0, 100);
    store.set({ view: 'curves', runs, metric: b.dataset.metric!, split: 'TEST', zoom: null }, true);
  });

  function shown(): ExperimentInfo[] {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    return experiments.filter((x) => words.every((w) => x.name.toLowerCase().includes(w)));
  }

  async function loadExperiments() {
    if (store.readOnly) return;
    try {
      const data = await store.api.gql<{ experiments: { nodes: ExperimentInfo[] } }>(Q.experiments);
      experiments = data.experiments.nodes;
      experimentsError = null;
    } catch (e) {
      experimentsError = (e as Error).message;
    }
    experimentsLoaded = true;
    drawPicker();
  }

  function drawPicker() {
    picker.hidden = store.readOnly;
    if (store.readOnly) return;
    paperLogs.checked = store.state.paperLogs;
    const counts = new Map<string, number>();
    for (const x of experiments) {
      const p = namePrefix(x.name);
      if (p) counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    prefixes.replaceChildren(
      ...[...counts]
        .filter(([, n]) => n > 1)
        .map(([p, n]) =>
          el(
            'button',
            { type: 'button', class: 'chip', 'data-prefix': p, title: `Select every "${p} …"` },
            `${p} … (${n})`,
          ),
        ),
    );
    if (experimentsError) {
      list.replaceChildren(el('li', { class: 'error', text: experimentsError }));
      return;
    }
    if (!experimentsLoaded) {
      list.replaceChildren(el('li', { class: 'muted', text: 'Loading experiments…' }));
      return;
    }
    const items = shown();
    const picked = new Set(chosen());
    list.replaceChildren(
      ...items.map((x) =>
        el(
          'li',
          { class: picked.has(x.name) ? 'selected' : null },
          el(
            'label',
            {},
            el('input', { type: 'checkbox', value: x.name, checked: picked.has(x.name) }),
            el('span', { class: 'name', text: x.name }),
            el('span', { class: 'count', text: `${x.runCount} run${x.runCount === 1 ? '' : 's'}` }),
          ),
        ),
      ),
      ...(items.length
        ? []
        : [el('li', { class: 'muted', text: experiments.length ? 'No match.' : 'No experiments yet.' })]),
    );
  }

  async function loadReport() {
    const s = store.state;
    const key = JSON.stringify([s.experiments, s.paperLogs]);
    if (key === loadedKey) return drawReport();
    loadedKey = key;
    abort?.abort();
    report = null;
    error = null;
    store.reportRunIds = [];
    if (!s.experiments.length && !s.paperLogs) return drawReport();
    pending = true;
    drawReport();
    abort = new AbortController();
    try {
      const data = await store.api.gql<{ report: ReportData }>(
        Q.report,
        { names: s.experiments, paperLogs: s.paperLogs },
        abort.signal,
      );
      report = data.report;
      store.reportRunIds = [
        ...new Set(report.groups.flatMap((g) => [...g.rows.flatMap((r) => r.runIds), ...g.referenceRunIds])),
      ];
    } catch (e) {
      if ((e as Error).name === 'AbortError') return;
      error = e instanceof ApiError ? e.message : String(e);
      loadedKey = '';
    }
    pending = false;
    drawReport();
  }

  function curvesButton(text: string, runs: number[], metric: string, label: string) {
    return el(
      'button',
      { type: 'button', class: 'curves-button', 'data-runs': runs.join(','), 'data-metric': metric, title: label },
      text,
    );
  }

  function groupSection(g: ReportGroupData): HTMLElement {
    const metric = g.threshold?.metric ?? g.finalMetric;
    const all = [...g.rows.flatMap((r) => r.runIds), ...g.referenceRunIds];
    const head = el(
      'thead',
      {},
      el(
        'tr',
        {},
        ...COLUMNS.map(([key, title]) => el('th', { 'data-col': key, class: key === 'model' ? null : 'num' }, title)),
        el('th', {}, el('span', { class: 'sr-only', text: 'Curves' })),
      ),
    );
    // Each model: a row of numbers, then what we see in words across the table.
    const rows = g.rows.flatMap((r) => {
      const cells = rowCells(g, r);
      const paper = r.source === 'IMPORTED' ? 'paper-row' : '';
      const numbers = el(
        'tr',
        { 'data-row': r.label, class: paper || null },
        ...COLUMNS.map(([key]) =>
          el(
            'td',
            { 'data-col': key, class: key === 'model' ? `model model-${r.model}` : 'num' },
            cellContent(cells[key]),
          ),
        ),
        el(
          'td',
          {},
          curvesButton(
            'Curves',
            [...r.runIds, ...g.referenceRunIds],
            metric,
            `${r.label}: runs ${r.runIds.join(', ')}${g.referenceRunIds.length ? ' and the paper logs' : ''}`,
          ),
        ),
      );
      const words = el(
        'tr',
        { 'data-verdict-for': r.label, class: `verdict-row ${paper}` },
        el('td', {}),
        el('td', { 'data-col': 'verdict', colspan: COLUMNS.length }, r.verdict.join(' ') || '—'),
      );
      return [numbers, words];
    });
    const differences = [...new Set(g.rows.filter((r) => r.source === 'TRAINED').flatMap((r) => r.differences))];
    return el(
      'section',
      { class: 'report-group', 'data-key': g.key },
      el(
        'div',
        { class: 'group-head' },
        el('h2', { text: g.label }),
        curvesButton(
          'Curves of all',
          all,
          metric,
          `${g.label}: every run${g.referenceRunIds.length ? ' and the paper logs' : ''}`,
        ),
      ),
      el('p', { class: 'threshold', text: thresholdText(g) }),
      ...g.sentences
        .filter((s) => !g.beyond.includes(s))
        .map((s) => el('p', { class: 'sentence' }, el('strong', { text: s }))),
      g.beyond.length
        ? el(
            'div',
            { class: 'beyond' },
            el('span', { text: 'Beyond the paper:' }),
            el('ul', {}, ...g.beyond.map((s) => el('li', { text: s }))),
          )
        : null,
      el(
        'div',
        { class: 'table-wrap' },
        el('table', { class: 'runs-table report-table' }, head, el('tbody', {}, ...rows)),
      ),
      differences.length
        ? el('p', {
            class: 'differences',
            text: `Our settings that differ from the paper's: ${differences.join('; ')}.`,
          })
        : null,
      g.referenceRunIds.length
        ? el('p', {
            class: 'hint',
            text: `Reference curves: the paper authors' own runs (imported logs, runs ${g.referenceRunIds.join(', ')}).`,
          })
        : null,
    );
  }

  function drawReport() {
    const s = store.state;
    if (pending) {
      body.replaceChildren(notice('loading', 'Computing the report…'));
      return;
    }
    if (error) {
      body.replaceChildren(notice('error', 'Cannot compute this report.', el('p', { text: error })));
      return;
    }
    if (!s.experiments.length && !s.paperLogs) {
      body.replaceChildren(
        store.readOnly
          ? notice('empty', 'This shared view has no report.')
          : notice(
              'empty',
              'Pick experiments.',
              el('p', {
                text: 'Tick experiments on the left (or take every experiment of a prefix, such as "reproduce quick:") to see our numbers beside the paper’s.',
              }),
            ),
      );
      return;
    }
    if (!report) return;
    const names = report.experiments.map((e) => `“${e.name}”`).join(', ');
    body.replaceChildren(
      el('p', { class: 'report-meta', text: `Experiments: ${names}.` }),
      ...(report.groups.length
        ? report.groups.map(groupSection)
        : [notice('empty', 'These experiments have no runs yet.')]),
      el('p', {
        class: 'hint',
        text: 'Steps to threshold: the first test evaluation at which the median of the last 5 meets the threshold. Final: mean of the last 10 test evaluations (of the last quarter of a shorter run). Several seeds: mean ± sd (min–max, n).',
      }),
    );
  }

  return {
    render() {
      drawPicker();
      void loadExperiments();
      void loadReport();
    },
    onChange(change: string) {
      if (change !== 'view') return;
      drawPicker();
      void loadReport();
    },
  };
}
