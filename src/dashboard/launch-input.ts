/**
 * A launch request as the form reads it, and the checks the server would make (the ranges of
 * src/trainer/config.ts and the tasks' length option, repeated here because the dashboard imports no
 * server or trainer code; the server's own errors still win and are shown on the field they name).
 */
export interface LaunchInput {
  task: string;
  length: number | null;
  models: string[];
  layers: number;
  units: number;
  steps: number;
  seed: number;
  evalEvery: number;
}

export const TASKS_WITH_LENGTH = new Set(['adding', 'copy', 'length']);
const RANGES: Record<string, [number, number]> = {
  length: [2, 100_000],
  layers: [1, 8],
  units: [1, 4096],
  steps: [1, 10_000_000],
  seed: [0, 2 ** 31 - 1],
  evalEvery: [1, 10_000_000],
};

/** Field -> message for every value the server would refuse ({} when all are fine). */
export function validateLaunch(input: LaunchInput): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!['adding', 'copy', 'length', 'reber', 'mnist'].includes(input.task)) errors.task = 'choose a task';
  if (input.models.length < 1) errors.models = 'choose at least one model';
  for (const [field, [min, max]] of Object.entries(RANGES)) {
    if (field === 'length' && !TASKS_WITH_LENGTH.has(input.task)) continue;
    const v = input[field as keyof LaunchInput] as number | null;
    if (v === null || !Number.isInteger(v) || v < min || v > max)
      errors[field] = `a whole number from ${min.toLocaleString('en')} to ${max.toLocaleString('en')}`;
  }
  return errors;
}

export const DEMO: LaunchInput = {
  task: 'adding',
  length: 100,
  models: ['rwa', 'lstm'],
  layers: 1,
  units: 250,
  steps: 1500,
  seed: 1,
  evalEvery: 20,
};
