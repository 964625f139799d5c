/**
 * The task registry: name -> definition, and the one place task options are validated.
 *
 *   const task = createTask('adding', { length: 1000 }, seed);
 *   const batch = task.trainBatch(step, 100);
 *
 * Unknown tasks, unknown option keys and bad values throw a TaskConfigError whose message names the bad
 * value and what is allowed. Int options also accept decimal strings (as they come from a CLI).
 */
import { addingTask } from './adding.js';
import { copyTask } from './copy.js';
import { lengthTask } from './length.js';
import { mnistTask } from './mnist.js';
import { reberTask } from './reber.js';
import type { Task, TaskDefinition, TaskName, TaskOptions } from './task.js';

export type * from './task.js';

export const TASKS: Readonly<Record<TaskName, TaskDefinition>> = {
  adding: addingTask,
  copy: copyTask,
  length: lengthTask,
  reber: reberTask,
  mnist: mnistTask,
};
export const TASK_NAMES = Object.keys(TASKS) as TaskName[];

export type TaskConfigErrorCode = 'UNKNOWN_TASK' | 'UNKNOWN_OPTION' | 'BAD_OPTION' | 'BAD_SEED';

export class TaskConfigError extends Error {
  override readonly name = 'TaskConfigError';
  constructor(
    readonly code: TaskConfigErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function isTaskName(name: string): name is TaskName {
  return Object.hasOwn(TASKS, name);
}

/** Fills in defaults and validates every option; the result is what a run stores. */
export function resolveTaskOptions(name: string, options: Record<string, unknown> = {}): TaskOptions {
  if (!isTaskName(name))
    throw new TaskConfigError('UNKNOWN_TASK', `unknown task ${JSON.stringify(name)}; known: ${TASK_NAMES.join(', ')}`);
  const specs = TASKS[name].options;
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(specs, key) && options[key] !== undefined) {
      const known = Object.keys(specs);
      throw new TaskConfigError(
        'UNKNOWN_OPTION',
        `task ${name} has no option ${JSON.stringify(key)}; its options: ${known.length ? known.join(', ') : 'none'}`,
      );
    }
  }
  const resolved: Record<string, number | string> = {};
  const entries = Object.entries(specs);
  // Enums first: an int default may depend on them (the length task's T depends on its variant).
  for (const [key, spec] of entries) {
    if (spec.kind !== 'enum') continue;
    const value = options[key] ?? spec.default;
    if (typeof value !== 'string' || !spec.values.includes(value))
      throw new TaskConfigError(
        'BAD_OPTION',
        `task ${name}: ${key} must be one of ${spec.values.join(', ')}; got ${JSON.stringify(value)}`,
      );
    resolved[key] = value;
  }
  for (const [key, spec] of entries) {
    if (spec.kind !== 'int') continue;
    const raw = options[key] ?? (typeof spec.default === 'function' ? spec.default(resolved) : spec.default);
    const value = typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : raw;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < spec.min || value > spec.max)
      throw new TaskConfigError(
        'BAD_OPTION',
        `task ${name}: ${key} must be an integer in ${spec.min}..${spec.max}; got ${JSON.stringify(raw)}`,
      );
    resolved[key] = value;
  }
  return Object.freeze(resolved);
}

/** Builds a task from its name, options (validated, defaults filled in) and seed (an integer in 0..2^32-1). */
export function createTask(name: string, options: Record<string, unknown> = {}, seed = 1): Task {
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1)
    throw new TaskConfigError('BAD_SEED', `seed must be an integer in 0..${2 ** 32 - 1}; got ${JSON.stringify(seed)}`);
  const resolved = resolveTaskOptions(name, options);
  return TASKS[name as TaskName].create(resolved, seed);
}
