/**
 * Reber grammar: tell grammatical strings from corrupted ones.
 *
 * The grammar (Reber 1967), a letter-deterministic automaton; strings run from B to E:
 *
 *   q0 -B-> q1;  q1 -T-> q2, -P-> q3;  q2 -S-> q2, -X-> q4;  q3 -T-> q3, -V-> q5;
 *   q4 -S-> q6, -X-> q3;  q5 -P-> q4, -V-> q6;  q6 -E-> accept
 *
 * x (T, B, 7): one-hot letters in the authors' order B E P S T V X; mask: the string's length; T = the
 * maximum length (50). target (1, B, 1): 1 valid, 0 invalid. Loss: sigmoid cross-entropy in bits; accuracy.
 *
 * Generation follows the authors' script: walk the automaton choosing each branch with probability 1/2;
 * with probability 1/2 corrupt the string by splicing a prefix of it onto a suffix of another random
 * walk, redrawing until the result is rejected. The script checks its splice on automaton states, where two
 * states can share a letter; here the letters are checked, so every string labelled invalid is really
 * rejected by `acceptsReber`. Strings longer than T are redrawn (the script would have crashed on them).
 * Events: { string, length, valid }.
 */
import type { Rng } from '../random.js';
import { generatedTask, type TaskDefinition, type TaskOptions } from './task.js';

export const REBER_LETTERS = 'BEPSTVX';

/** state -> [[letter, next state], ...]; state 7 is the accepting end. */
const GRAMMAR: readonly (readonly [string, number])[][] = [
  [['B', 1]],
  [
    ['T', 2],
    ['P', 3],
  ],
  [
    ['S', 2],
    ['X', 4],
  ],
  [
    ['T', 3],
    ['V', 5],
  ],
  [
    ['S', 6],
    ['X', 3],
  ],
  [
    ['P', 4],
    ['V', 6],
  ],
  [['E', 7]],
];
const END = 7;

/** A random grammatical string. */
export function randomReber(rng: Rng): string {
  let s = '';
  for (let q = 0; q !== END;) {
    const edges = GRAMMAR[q]!;
    const [letter, next] = edges[edges.length === 1 ? 0 : rng.int(edges.length)]!;
    s += letter;
    q = next;
  }
  return s;
}

/** True when the grammar generates exactly this string. */
export function acceptsReber(s: string): boolean {
  let q = 0;
  for (const c of s) {
    if (q === END) return false;
    const edge = GRAMMAR[q]!.find(([letter]) => letter === c);
    if (!edge) return false;
    q = edge[1];
  }
  return q === END;
}

export type ReberEvents = { string: string; length: number; valid: boolean };

export const reberTask: TaskDefinition = {
  name: 'reber',
  summary: 'Reber grammar strings, half corrupted: valid or not? (sigmoid cross-entropy, bits)',
  options: {
    length: { kind: 'int', min: 10, max: 10_000, default: 50, doc: 'T, the maximum string length (the paper: 50)' },
  },
  create: (options: TaskOptions, seed: number) => {
    const T = options.length as number;
    const draw = (rng: Rng): { string: string; valid: boolean } => {
      const s = randomReber(rng);
      if (rng.uniform() < 0.5) return { string: s, valid: true };
      for (;;) {
        const other = randomReber(rng);
        const hybrid = s.slice(0, rng.int(s.length)) + other.slice(rng.int(other.length));
        if (!acceptsReber(hybrid)) return { string: hybrid, valid: false };
      }
    };
    return generatedTask<ReberEvents>({
      name: 'reber',
      seed,
      options,
      sequenceSteps: T,
      inputSize: REBER_LETTERS.length,
      outputSize: 1,
      outputSteps: 1,
      loss: 'sigmoid',
      metrics: ['loss', 'accuracy'],
      defaultTrainingSteps: 10_000,
      masked: true,
      sample(rng: Rng, out, b) {
        let d = draw(rng);
        while (d.string.length > T) d = draw(rng);
        const s = d.string;
        for (let t = 0; t < s.length; t++) out.set(t, b, REBER_LETTERS.indexOf(s[t]!), 1);
        out.setTarget(0, b, 0, d.valid ? 1 : 0);
        out.finish(b, s.length, { string: s, length: s.length, valid: d.valid });
      },
    });
  },
};
