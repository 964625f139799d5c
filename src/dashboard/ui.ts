/** Small DOM helpers shared by the views. */
export type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, string | number | boolean | null | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = String(value);
    else if (key === 'text') node.textContent = String(value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ESC[c]!);

/** A message block for empty, loading and error states. */
export function notice(kind: 'empty' | 'loading' | 'error', title: string, ...body: Child[]): HTMLDivElement {
  return el(
    'div',
    { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    el('strong', { text: title }),
    ...body,
  );
}

export const MODEL_NAMES: Record<string, string> = {
  rwa: 'RWA',
  lstm: 'LSTM',
  gru: 'GRU',
  rda: 'RDA',
  'lstm-attention': 'LSTM+attention',
};
export const modelName = (m: string) => MODEL_NAMES[m] ?? m;

/** "#12 RWA" for our runs, "paper RWA" for imported logs. */
export function runLabel(run: { id: number; model: string; source: string }): string {
  return run.source === 'IMPORTED' ? `paper ${modelName(run.model)}` : `#${run.id} ${modelName(run.model)}`;
}

export function taskLabel(run: { task: string; length: number | null }): string {
  return run.length === null ? run.task : `${run.task} T=${run.length}`;
}

export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): (...args: A) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (...args: A) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
