/**
 * Launch: a form for one run or a comparison (task, length, models, layers, units, steps, seed) that
 * checks the values as the server does (ranges of src/trainer/config.ts and the task options), calls
 * startComparison with the API token, and then shows the new runs live in Curves. The server's own
 * validation errors (BAD_USER_INPUT with a field) are shown on the field they name.
 */
import { ApiError, Q, type Run } from '../api.js';
import type { Store } from '../store.js';
import { el, modelName } from '../ui.js';
import { DEMO, TASKS_WITH_LENGTH, validateLaunch, type LaunchInput } from '../launch-input.js';

function mutationInput(input: LaunchInput) {
  return {
    task: input.task,
    ...(TASKS_WITH_LENGTH.has(input.task) ? { taskOptions: { length: input.length } } : {}),
    models: input.models,
    layers: input.layers,
    units: input.units,
    steps: input.steps,
    seed: input.seed,
    evalEvery: input.evalEvery,
    // Snapshots at every 5th evaluation (and at the start and end) keep the step slider useful.
    snapshotEvery: input.evalEvery * Math.max(1, Math.min(5, Math.floor(input.steps / input.evalEvery / 8) || 1)),
  };
}

export async function launch(store: Store, input: LaunchInput): Promise<Run[]> {
  if (!store.api.apiToken)
    throw new ApiError(
      'Starting runs needs the API token that `npm start` prints (also in data/api-token).',
      'UNAUTHENTICATED',
      'token',
    );
  const data = await store.api.gql<{ startComparison: Run[] }>(Q.startComparison, { input: mutationInput(input) });
  const runs = data.startComparison;
  store.addRuns(runs);
  store.set({ view: 'curves', runs: runs.map((r) => r.id), stateRun: runs[0]!.id, step: null, zoom: null }, true);
  return runs;
}

/** The first-start demo: adding T=100, RWA vs LSTM, a few hundred steps. */
export function startDemo(store: Store): Promise<Run[]> {
  if (!store.api.apiToken) {
    store.set({ view: 'launch' }, true);
    return Promise.reject(new Error('Paste the API token on the Launch page first (npm start prints it).'));
  }
  return launch(store, DEMO);
}

export function launchView(root: HTMLElement, store: Store) {
  const field = (name: string, label: string, input: HTMLElement, hint = '') =>
    el(
      'label',
      { class: 'field', 'data-field': name },
      el('span', { class: 'label', text: label }),
      input,
      el('span', { class: 'hint', text: hint }),
      el('span', { class: 'error' }),
    );
  const num = (name: string, value: number) =>
    el('input', { type: 'number', name, value, inputmode: 'numeric', required: true });
  const task = el(
    'select',
    { name: 'task' },
    ...['adding', 'copy', 'length', 'reber', 'mnist'].map((t) => el('option', { value: t, text: t })),
  );
  const length = num('length', 100);
  const models = el(
    'div',
    { class: 'checks', role: 'group', 'aria-label': 'Models' },
    ...['rwa', 'lstm', 'gru', 'rda', 'lstm-attention'].map((m) =>
      el(
        'label',
        {},
        el('input', { type: 'checkbox', name: 'models', value: m, checked: m === 'rwa' || m === 'lstm' }),
        ` ${modelName(m)}`,
      ),
    ),
  );
  const token = el('input', { type: 'password', name: 'token', autocomplete: 'off', placeholder: 'rwa_…' });
  const submit = el('button', { type: 'submit', class: 'primary' }, 'Start');
  const status = el('p', { class: 'form-status', role: 'status' });
  const lengthField = field('length', 'Length T', length, 'time steps: 100 and 1000 in the paper');
  const tokenField = field('token', 'API token', token, 'printed by npm start; kept in this browser');
  const form = el(
    'form',
    { class: 'launch-form', novalidate: true },
    el('h2', { text: 'Launch a run or a comparison' }),
    el('p', {
      class: 'lede',
      text: 'One run per model, on the same task, data and seed, in one experiment. The new runs open in Curves and update live.',
    }),
    el(
      'div',
      { class: 'grid' },
      field('task', 'Task', task),
      lengthField,
      field('models', 'Models', models),
      field('layers', 'Layers', num('layers', 1)),
      field('units', 'Units', num('units', 250), 'the paper: 250'),
      field('steps', 'Training steps', num('steps', 400), 'the paper: 50,000 (adding)'),
      field('evalEvery', 'Evaluate every', num('evalEvery', 20), 'steps between test evaluations'),
      field('seed', 'Seed', num('seed', 1)),
      tokenField,
    ),
    el('div', { class: 'actions' }, submit, status),
  );
  root.append(form);

  task.addEventListener('change', () => {
    lengthField.hidden = !TASKS_WITH_LENGTH.has(task.value);
  });

  const read = (): LaunchInput => {
    const v = (name: string) => {
      const input = form.elements.namedItem(name) as HTMLInputElement;
      return input.value.trim() === '' ? null : Number(input.value);
    };
    return {
      task: task.value,
      length: v('length'),
      models: [...form.querySelectorAll<HTMLInputElement>('input[name=models]:checked')].map((i) => i.value),
      layers: v('layers') as number,
      units: v('units') as number,
      steps: v('steps') as number,
      seed: v('seed') as number,
      evalEvery: v('evalEvery') as number,
    };
  };
  const showErrors = (errors: Record<string, string>) => {
    for (const f of form.querySelectorAll<HTMLElement>('.field')) {
      const msg = errors[f.dataset.field!] ?? '';
      f.classList.toggle('invalid', !!msg);
      f.querySelector('.error')!.textContent = msg;
    }
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (token.value.trim()) store.api.apiToken = token.value.trim();
    const input = read();
    const errors = validateLaunch(input);
    showErrors(errors);
    if (Object.keys(errors).length) {
      status.textContent = 'Fix the marked fields.';
      return;
    }
    submit.disabled = true;
    status.textContent = 'Starting…';
    try {
      const runs = await launch(store, input);
      status.textContent = `Started runs ${runs.map((r) => `#${r.id}`).join(', ')}.`;
      token.value = '';
      render();
    } catch (err) {
      const a = err as ApiError;
      if (a.code === 'UNAUTHENTICATED') {
        store.api.apiToken = null;
        showErrors({ token: 'this token is not valid: paste the one npm start printed' });
      } else if (a.field) {
        const key = a.field.replace(/^input\.(models\[\d+\]\.)?/, '').replace(/^taskOptions\./, '');
        showErrors({ [key]: a.message });
      }
      status.textContent = a.message;
    } finally {
      submit.disabled = false;
    }
  });

  function render() {
    const has = !!store.api.apiToken;
    tokenField.querySelector('.hint')!.textContent = has
      ? 'a token is saved in this browser; paste another to replace it'
      : 'printed by npm start (and kept in data/api-token)';
  }
  return { render, onChange() {} };
}
