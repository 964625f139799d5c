/**
 * rwa-lab dashboard: the page researchers live in. Views: Runs (table), Curves (overlaid learning curves),
 * Hidden states (heatmaps), Report (ours beside the paper's numbers), Launch (start runs); a Share button; /share/<token> opens a saved view
 * read-only. Talks to the server only over HTTP (GraphQL at /graphql, Server-Sent Events at /api/events).
 *   npm run build   bundles this into dist/dashboard (scripts/build-dashboard.mjs); npm start serves it at /
 * Opening the page with #token=<API token> stores the token in this browser (and drops it from the URL).
 */
import { Q } from './api.js';
import { VIEWS, type ViewName } from './state.js';
import { Store, type Change } from './store.js';
import { el, notice } from './ui.js';
import { curvesView } from './views/curves.js';
import { launchView } from './views/launch.js';
import { reportView } from './views/report.js';
import { runsView } from './views/runs.js';
import { openShare, sharePanel } from './views/share.js';
import { statesView } from './views/states.js';

interface View {
  render(): void;
  onChange(change: Change, ids?: number[]): void;
}

async function main() {
  const store = new Store(location.search);
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get('token')) {
    store.api.apiToken = hash.get('token');
    history.replaceState(null, '', `${location.pathname}${location.search}`);
  }
  const boot = document.getElementById('boot')!;
  const shareMatch = /^\/share\/([A-Za-z0-9_-]{8,200})\/?$/.exec(location.pathname);
  if (shareMatch) {
    try {
      await openShare(store, shareMatch[1]!);
    } catch (e) {
      boot.replaceWith(
        notice(
          'error',
          'Cannot open this shared view.',
          el('p', { text: (e as Error).message }),
          el('a', { href: '/' }, 'Go to the dashboard'),
        ),
      );
      return;
    }
    document.body.classList.add('read-only');
    document.getElementById('shared-badge')!.hidden = false;
  }
  boot.remove();

  const section = (name: ViewName) => document.getElementById(`view-${name}`)!;
  const views: Record<ViewName, View> = {
    runs: runsView(section('runs'), store),
    curves: curvesView(section('curves'), store),
    states: statesView(section('states'), store),
    report: reportView(section('report'), store),
    launch: launchView(section('launch'), store),
  };
  sharePanel(
    document.getElementById('share-panel')!,
    document.getElementById('share-button') as HTMLButtonElement,
    store,
  );

  let active: ViewName | null = null;
  const show = () => {
    let name = store.state.view;
    if (store.readOnly && name === 'launch') name = 'curves';
    for (const v of VIEWS) section(v).hidden = v !== name;
    for (const a of document.querySelectorAll<HTMLAnchorElement>('nav.tabs a'))
      a.classList.toggle('active', a.dataset.nav === name);
    document.title = `rwa-lab · ${{ runs: 'Runs', curves: 'Curves', states: 'Hidden states', report: 'Report', launch: 'Launch' }[name]}`;
    const switched = active !== name;
    active = name;
    return switched;
  };
  store.subscribe((change, ids) => {
    if (change === 'view') {
      const switched = show();
      if (switched) views[active!].render();
      else views[active!].onChange(change, ids);
      return;
    }
    views[active!].onChange(change, ids);
  });

  // In-page navigation: links with data-nav switch views without a reload.
  document.addEventListener('click', (e) => {
    const a = (e.target as HTMLElement).closest<HTMLAnchorElement>('a[data-nav]');
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    const view = a.dataset.nav as ViewName;
    store.set({ view }, true);
  });
  addEventListener('popstate', () => store.fromUrl());

  show();
  views[active!].render();
  const t0 = performance.now();
  void store.loadRuns().then(() => {
    document.body.dataset.runsLoadedMs = String(Math.round(performance.now() - t0));
  });
  store.api
    .gql<{ health: { version: string; databaseKind: string } }>(Q.health)
    .then(
      (d) =>
        (document.getElementById('health')!.textContent = `rwa-lab ${d.health.version} on ${d.health.databaseKind}`),
    )
    .catch(() => (document.getElementById('health')!.textContent = 'rwa-lab: server not answering'));
}

void main();
