/**
 * Share: createShareLink for the current view (runs, metric, split, smoothing, step, sample), shown as a
 * link that also carries the rest of the view in its query (tab, zoom, scale, unit order), so opening it
 * restores exactly what was on screen, read-only. Opening /share/<token> reads the saved view with the
 * share token, which also becomes the page's bearer token (it reads those runs and nothing else).
 */
import { ApiError, Q, type ShareViewData } from '../api.js';
import { decodeView, encodeView, type ViewState } from '../state.js';
import type { Store } from '../store.js';
import { el } from '../ui.js';

/** The runs a share link should include for a view. */
export function shareRuns(s: ViewState): number[] {
  const ids = [...s.runs];
  if (s.stateRun !== null && !ids.includes(s.stateRun)) ids.push(s.stateRun);
  return ids;
}

export async function createShareLink(store: Store): Promise<string> {
  const s = store.state;
  // The Report view shares the runs of its report: the link reads that report and nothing else.
  const runIds = s.view === 'report' ? store.reportRunIds : shareRuns(s);
  if (!runIds.length)
    throw new Error(
      s.view === 'report'
        ? 'Pick experiments with runs first: a share link shows their report.'
        : 'Select runs first: a share link shows chosen runs.',
    );
  if (runIds.length > 100)
    throw new Error(`A share link holds at most 100 runs; this view has ${runIds.length}. Pick fewer experiments.`);
  if (!store.api.apiToken)
    throw new ApiError('Creating a share link needs the API token: paste it on the Launch page.', 'UNAUTHENTICATED');
  const data = await store.api.gql<{ createShareLink: { token: string; url: string } }>(Q.createShareLink, {
    view: {
      runIds,
      metric: s.metric,
      split: s.split === 'TRAIN' ? 'TRAIN' : 'TEST',
      smoothing: s.smoothing,
      ...(s.step !== null ? { step: s.step } : {}),
      sample: s.sample,
    },
  });
  const url = new URL(data.createShareLink.url, location.href);
  // The page's own origin: the server may not know its public address (RWA_PUBLIC_URL).
  return `${location.origin}${url.pathname}${encodeView(s)}`;
}

/** On /share/<token>: the saved view, with what the URL's query says on top. */
export async function openShare(store: Store, token: string): Promise<void> {
  store.api.shareToken = token;
  store.readOnly = true;
  const data = await store.api.gql<{ shareView: { view: ShareViewData } | null }>(Q.shareView, { token });
  if (!data.shareView) throw new Error('This share link is unknown or has expired. Ask for a new one.');
  const v = data.shareView.view;
  const fromLink: ViewState = {
    ...decodeView(''),
    view: 'curves',
    runs: v.runIds,
    metric: v.metric,
    split: v.split,
    smoothing: v.smoothing,
    step: v.step,
    sample: v.sample ?? 0,
  };
  // A link made by the Share button carries the whole view in its query: that wins, within the link's runs.
  const fromUrl = decodeView(location.search);
  const merged: ViewState =
    location.search.length > 1
      ? { ...fromUrl, runs: fromUrl.runs.length ? fromUrl.runs.filter((id) => v.runIds.includes(id)) : v.runIds }
      : fromLink;
  if (merged.view === 'launch') merged.view = 'curves';
  store.state = merged;
}

export function sharePanel(panel: HTMLElement, button: HTMLButtonElement, store: Store): void {
  button.addEventListener('click', async () => {
    panel.hidden = false;
    panel.replaceChildren(el('span', { text: 'Creating a share link…' }));
    try {
      const url = await createShareLink(store);
      const input = el('input', {
        type: 'text',
        readonly: true,
        value: url,
        class: 'share-url',
        'aria-label': 'Share link',
      });
      const copy = el('button', { type: 'button' }, 'Copy');
      copy.addEventListener('click', async () => {
        input.select();
        try {
          await navigator.clipboard.writeText(url);
          copy.textContent = 'Copied';
        } catch {
          copy.textContent = 'Press Ctrl+C';
        }
      });
      const close = el('button', { type: 'button', class: 'link' }, 'close');
      close.addEventListener('click', () => (panel.hidden = true));
      panel.replaceChildren(
        el('span', { text: 'Read-only link to this view:' }),
        input,
        copy,
        el('a', { href: url, target: '_blank', rel: 'noopener' }, 'open'),
        close,
      );
      input.select();
    } catch (e) {
      const close = el('button', { type: 'button', class: 'link' }, 'close');
      close.addEventListener('click', () => (panel.hidden = true));
      panel.replaceChildren(el('span', { class: 'error', text: (e as Error).message }), close);
    }
  });
}
