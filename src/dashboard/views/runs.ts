/**
 * Runs: every experiment's runs in one table (status live, model, task, length, units, steps, best test
 * metric, steps/s), filtered by text, sorted by any column, rows selectable for comparison. With an
 * empty database it offers the one-click demo comparison.
 */
import type { Run, RunStats } from '../api.js';
import type { Store } from '../store.js';
import { formatValue } from '../charts/curves.js';
import { el, esc, modelName, notice } from '../ui.js';
import { startDemo } from './launch.js';

const PAGE = 200;

interface Column {
  key: string;
  title: string;
  cls?: string;
  value: (r: Run, s: RunStats | undefined) => string | number | null;
}

const bestOf = (s: RunStats | undefined) => s?.accuracy?.best?.value ?? s?.loss?.best?.value ?? null;

const COLUMNS: Column[] = [
  { key: 'id', title: '#', cls: 'num', value: (r) => r.id },
  { key: 'experiment', title: 'Experiment', cls: 'wide', value: (r) => r.experiment?.name ?? '' },
  { key: 'model', title: 'Model', value: (r) => r.model },
  { key: 'task', title: 'Task', value: (r) => r.task },
  { key: 'length', title: 'T', cls: 'num', value: (r) => r.length },
  { key: 'units', title: 'Units', cls: 'num', value: (r) => r.units },
  { key: 'step', title: 'Steps', cls: 'num progress-col', value: (r) => r.currentStep },
  { key: 'status', title: 'Status', value: (r) => r.status },
  { key: 'best', title: 'Best test', cls: 'num', value: (_, s) => bestOf(s) },
  { key: 'speed', title: 'Steps/s', cls: 'num', value: (_, s) => s?.timings.stepsPerSecond ?? null },
  { key: 'created', title: 'Created', cls: 'num', value: (r) => r.createdAt },
];

function matches(r: Run, filter: string): boolean {
  if (!filter) return true;
  const hay =
    `${r.id} ${r.experiment?.name ?? ''} ${r.model} ${modelName(r.model)} ${r.task} ${r.length ?? ''} ${r.status} ${r.source}`.toLowerCase();
  return filter
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => hay.includes(word));
}

function cell(col: Column, r: Run, s: RunStats | undefined): string {
  switch (col.key) {
    case 'experiment':
      return r.source === 'IMPORTED'
        ? `${esc(r.experiment?.name ?? '')} <span class="tag">paper log</span>`
        : esc(r.experiment?.name ?? '–');
    case 'model':
      return `<span class="model model-${esc(r.model)}">${esc(modelName(r.model))}</span>`;
    case 'length':
    case 'units':
      return esc(col.value(r, s) ?? '–');
    case 'step': {
      const pct = r.totalSteps ? Math.min(100, (100 * r.currentStep) / r.totalSteps) : 0;
      return `<span class="steps">${r.currentStep.toLocaleString('en')}/${r.totalSteps.toLocaleString('en')}</span><span class="bar"><span style="width:${pct.toFixed(1)}%"></span></span>`;
    }
    case 'status':
      return `<span class="status status-${esc(r.status.toLowerCase())}" title="${esc(r.error ?? '')}">${esc(r.status.toLowerCase())}</span>`;
    case 'best': {
      if (!s) return '<span class="pending">…</span>';
      const acc = s.accuracy?.best?.value;
      if (acc !== undefined && acc !== null) return `${(acc * 100).toFixed(1)}%`;
      return formatValue(s.loss?.best?.value ?? null);
    }
    case 'speed':
      if (!s) return '<span class="pending">…</span>';
      return s.timings.stepsPerSecond === null ? '–' : s.timings.stepsPerSecond.toFixed(1);
    case 'created':
      return esc(new Date(r.createdAt).toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'short' }));
    default:
      return esc(col.value(r, s) ?? '');
  }
}

export function runsView(root: HTMLElement, store: Store) {
  let shown = PAGE;
  const filter = el('input', {
    type: 'search',
    placeholder: 'Filter: rwa adding 1000 running…',
    'aria-label': 'Filter runs',
    class: 'filter',
  });
  const count = el('span', { class: 'count' });
  const compare = el('button', { type: 'button', class: 'primary', disabled: true }, 'Compare selected');
  const heat = el('button', { type: 'button', disabled: true }, 'Hidden states');
  const clear = el('button', { type: 'button', class: 'link', hidden: true }, 'clear selection');
  const head = el('thead');
  const body = el('tbody');
  const table = el('table', { class: 'runs-table' }, head, body);
  const more = el('button', { type: 'button', class: 'more', hidden: true });
  const message = el('div', { class: 'runs-message' });
  root.append(
    el('div', { class: 'toolbar' }, filter, count, el('span', { class: 'spacer' }), clear, heat, compare),
    message,
    el('div', { class: 'table-wrap' }, table),
    more,
  );

  head.innerHTML = `<tr><th class="sel"><input type="checkbox" aria-label="Select all shown runs" /></th>${COLUMNS.map(
    (c) =>
      `<th class="${c.cls ?? ''}" data-sort="${c.key}" tabindex="0" role="columnheader">${c.title}<span class="arrow"></span></th>`,
  ).join('')}<th class="row-links"><span class="sr-only">Open</span></th></tr>`;

  filter.addEventListener('input', () => {
    shown = PAGE;
    store.set({ filter: filter.value });
  });
  head.addEventListener('click', (e) => {
    const th = (e.target as HTMLElement).closest('th');
    if (!th) return;
    if (th.classList.contains('sel')) {
      const box = th.querySelector('input')!;
      const ids = visible()
        .slice(0, shown)
        .map((r) => r.id);
      const set = new Set(store.state.runs);
      for (const id of ids)
        if (box.checked) set.add(id);
        else set.delete(id);
      store.set({ runs: [...set].slice(0, 100) });
      return;
    }
    const key = th.dataset.sort;
    if (!key) return;
    const cur = store.state.sort;
    store.set({
      sort:
        cur === key
          ? `-${key}`
          : cur === `-${key}`
            ? key
            : key === 'id' || key === 'created' || key === 'best'
              ? `-${key}`
              : key,
    });
  });
  head.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') (e.target as HTMLElement).click();
  });
  body.addEventListener('change', (e) => {
    const box = e.target as HTMLInputElement;
    const id = Number(box.dataset.id);
    const set = new Set(store.state.runs);
    if (box.checked) set.add(id);
    else set.delete(id);
    store.set({ runs: [...set].slice(0, 100) });
  });
  body.addEventListener('click', (e) => {
    const a = (e.target as HTMLElement).closest('a[data-open]') as HTMLAnchorElement | null;
    if (!a) return;
    e.preventDefault();
    const id = Number(a.dataset.open);
    store.set(
      { view: a.dataset.to === 'states' ? 'states' : 'curves', runs: [id], stateRun: id, zoom: null, step: null },
      true,
    );
  });
  compare.addEventListener('click', () => store.set({ view: 'curves', zoom: null }, true));
  heat.addEventListener('click', () =>
    store.set({ view: 'states', stateRun: store.state.runs[0] ?? null, step: null }, true),
  );
  clear.addEventListener('click', () => store.set({ runs: [] }));
  more.addEventListener('click', () => {
    shown += 1000;
    render();
  });

  function visible(): Run[] {
    const list = [...store.runs.values()].filter((r) => matches(r, store.state.filter));
    const desc = store.state.sort.startsWith('-');
    const col = COLUMNS.find((c) => c.key === store.state.sort.replace('-', '')) ?? COLUMNS[0]!;
    const key = (r: Run) => col.value(r, store.stats.get(r.id));
    return list.sort((a, b) => {
      const x = key(a);
      const y = key(b);
      if (x === y) return desc ? b.id - a.id : a.id - b.id;
      if (x === null) return 1;
      if (y === null) return -1;
      const c = x < y ? -1 : 1;
      return desc ? -c : c;
    });
  }

  function rowHtml(r: Run, selected: Set<number>): string {
    const s = store.stats.get(r.id);
    const tds = COLUMNS.map((c) => `<td class="${c.cls ?? ''}" data-col="${c.key}">${cell(c, r, s)}</td>`).join('');
    const links = `<a href="?view=curves&runs=${r.id}" data-open="${r.id}" title="Curves of run ${r.id}">curves</a> <a href="?view=states&runs=${r.id}" data-open="${r.id}" data-to="states" title="Hidden states of run ${r.id}">states</a>`;
    return `<tr data-id="${r.id}" class="${selected.has(r.id) ? 'selected' : ''}"><td class="sel"><input type="checkbox" data-id="${r.id}" aria-label="Select run ${r.id}" ${selected.has(r.id) ? 'checked' : ''} /></td>${tds}<td class="row-links">${links}</td></tr>`;
  }

  function render() {
    if (filter.value !== store.state.filter) filter.value = store.state.filter;
    for (const th of head.querySelectorAll<HTMLElement>('th[data-sort]')) {
      const key = th.dataset.sort!;
      th.classList.toggle('sorted', store.state.sort.replace('-', '') === key);
      th.querySelector('.arrow')!.textContent =
        store.state.sort === key ? ' ▲' : store.state.sort === `-${key}` ? ' ▼' : '';
    }
    const selected = new Set(store.state.runs);
    compare.disabled = selected.size === 0;
    heat.disabled = selected.size === 0;
    compare.textContent = selected.size ? `Compare ${selected.size} selected` : 'Compare selected';
    clear.hidden = selected.size === 0;
    message.replaceChildren();
    if (store.runsError) {
      message.append(notice('error', 'Could not load the runs.', ` ${store.runsError} `, retryButton()));
    } else if (!store.runs.size && store.runsLoaded) {
      message.append(emptyState());
    } else if (!store.runs.size) {
      message.append(notice('loading', 'Loading runs…'));
    }
    const list = visible();
    count.textContent = store.runs.size
      ? `${list.length === store.runs.size ? '' : `${list.length} of `}${store.totalRuns.toLocaleString('en')} runs${store.runsLoaded ? '' : ' (loading…)'}`
      : '';
    table.hidden = !store.runs.size;
    const rows = list.slice(0, shown);
    body.innerHTML = rows.map((r) => rowHtml(r, selected)).join('');
    if (rows.length && !performance.getEntriesByName('rwa-runs-painted').length) performance.mark('rwa-runs-painted');
    more.hidden = list.length <= shown;
    more.textContent = `Show ${Math.min(1000, list.length - shown)} more of ${list.length - shown}`;
    void store.loadStats(rows.map((r) => r.id));
  }

  function updateRows(ids: number[]) {
    for (const id of ids) {
      const tr = body.querySelector<HTMLTableRowElement>(`tr[data-id="${id}"]`);
      const r = store.runs.get(id);
      if (!tr || !r) continue;
      const s = store.stats.get(id);
      for (const key of ['step', 'status', 'best', 'speed']) {
        const td = tr.querySelector<HTMLElement>(`td[data-col="${key}"]`);
        if (td)
          td.innerHTML = cell(
            COLUMNS.find((c) => c.key === key)!,
            r,
            s,
          );
      }
    }
    const unfinished = ids.filter((id) => store.runs.get(id) && !store.stats.has(id));
    if (unfinished.length) void store.loadStats(unfinished);
  }

  function retryButton() {
    const b = el('button', { type: 'button' }, 'Retry');
    b.addEventListener('click', () => void store.loadRuns());
    return b;
  }

  function emptyState() {
    if (store.readOnly) return notice('empty', 'This shared view has no runs left.', ' They may have been deleted.');
    const start = el('button', { type: 'button', class: 'primary demo' }, 'Start the demo comparison');
    const status = el('p', { class: 'demo-status' });
    start.addEventListener('click', async () => {
      start.disabled = true;
      status.textContent = 'Starting…';
      try {
        await startDemo(store);
      } catch (e) {
        status.textContent = (e as Error).message;
        start.disabled = false;
      }
    });
    return notice(
      'empty',
      'No runs yet.',
      el(
        'p',
        {},
        'Train RWA against an LSTM on the adding problem (T = 100, 250 units, 1,500 steps: about where the paper’s RWA passes MSE 0.01 and its LSTM has not yet) and watch the curves and hidden states arrive live; the two runs take a few minutes each on a laptop. Or use ',
        el('a', { href: '?view=launch', 'data-nav': 'launch' }, 'Launch'),
        ' for any task, or ',
        el('code', { text: 'npx rwa-lab train' }),
        ' from a terminal.',
      ),
      start,
      status,
    );
  }

  return {
    render,
    onChange(change: string, ids?: number[]) {
      if (change === 'live' && ids) updateRows(ids);
      else render();
    },
  };
}
