/**
 * Beyond the paper: plain answers, from the rows of one task group, to the questions the paper and the article
 * left open. Does depth help RWA (and LSTM)? Does RWA beat an LSTM with attention over its past states? How
 * do GRU and RDA (RWA with a learned discount) compare? Pure: rows in, sentences out.
 *
 * A difference counts only when it is larger than the spread over seeds: "sooner" means every run of one
 * row reached the threshold before any run of the other (or the other never did). Otherwise the answer is
 * "no difference beyond the seed spread", with the means given so a reader can judge.
 */
import type { Spread } from './metrics.js';
import { fmtInt, fmtValue, modelName, type ReportRow, type TaskGroup } from './summary.js';

/** sooner/later: beyond the seed spread; more/fewer: reached the threshold in more/fewer of its runs. */
type Verdict = 'sooner' | 'later' | 'same' | 'more' | 'fewer' | 'unknown';

const allReached = (r: ReportRow) => r.reached === r.runs.length && r.steps !== null;
const longest = (r: ReportRow) => Math.max(...r.runs.map((s) => s.steps));

/** e.g. 'RWA 850 ± 120 steps (3/3 runs)', 'LSTM never in 2,000 steps (0/3)'. */
function describeSteps(r: ReportRow, label = r.label): string {
  const n = r.runs.length;
  if (r.reached === 0 || !r.steps) return `${label} never in ${fmtInt(longest(r))} steps (0/${n})`;
  const s = r.steps;
  const spread = s.n > 1 && s.max > s.min ? ` ± ${fmtInt(s.sd)}` : '';
  return `${label} ${fmtInt(s.mean)}${spread} steps (${r.reached}/${n} runs)`;
}

function describeFinal(r: ReportRow, metric: 'loss' | 'accuracy', label = r.label): string {
  const f: Spread | null = r.final;
  if (!f) return `${label} no test evaluations`;
  const spread = f.n > 1 && f.max > f.min ? ` (${fmtValue(f.min, metric)}–${fmtValue(f.max, metric)})` : '';
  return `${label} ${fmtValue(f.mean, metric)}${spread}`;
}

/** Steps to threshold of a against b, judged against the seeds' spread. */
export function compareSteps(a: ReportRow, b: ReportRow): Verdict {
  if (allReached(a) && b.reached === 0) return 'sooner';
  if (allReached(b) && a.reached === 0) return 'later';
  if (a.reached === 0 && b.reached === 0) return 'same';
  if (!allReached(a) || !allReached(b)) {
    const fa = a.reached / a.runs.length;
    const fb = b.reached / b.runs.length;
    return fa > fb ? 'more' : fa < fb ? 'fewer' : 'unknown';
  }
  if (a.steps!.max < b.steps!.min) return 'sooner';
  if (a.steps!.min > b.steps!.max) return 'later';
  return 'same';
}

/** Final values of a against b: 'sooner' here means better (lower loss, higher accuracy) beyond the spread. */
export function compareFinal(a: ReportRow, b: ReportRow, metric: 'loss' | 'accuracy'): Verdict {
  if (!a.final || !b.final) return 'unknown';
  const best = (f: Spread) => (metric === 'loss' ? f.min : f.max);
  const worst = (f: Spread) => (metric === 'loss' ? f.max : f.min);
  const better = (x: number, y: number) => (metric === 'loss' ? x < y : x > y);
  if (better(worst(a.final), best(b.final))) return 'sooner';
  if (better(worst(b.final), best(a.final))) return 'later';
  return 'same';
}

/** How a compares with b, in words: on steps where the group has a threshold both can be judged by, else on the final value. */
function versus(g: TaskGroup, a: ReportRow, b: ReportRow): string {
  // One run on either side has no spread to judge a difference by: give the numbers, and a verdict only where
  // one reached the threshold and the other never did.
  const single = a.runs.length < 2 || b.runs.length < 2;
  const useSteps = g.threshold !== undefined && (a.reached > 0 || b.reached > 0);
  if (useSteps) {
    const v = compareSteps(a, b);
    const detail = `(${describeSteps(a)}; ${describeSteps(b)})`;
    if (single && !((allReached(a) && b.reached === 0) || (allReached(b) && a.reached === 0)))
      return `one run each, no spread to judge a difference by ${detail}`;
    const words = {
      sooner: `${a.label} reached the threshold sooner than ${b.label}`,
      later: `${a.label} reached the threshold later than ${b.label}`,
      same: `no difference between ${a.label} and ${b.label} beyond the seed spread`,
      more: `${a.label} reached the threshold in more of its runs than ${b.label}`,
      fewer: `${a.label} reached the threshold in fewer of its runs than ${b.label}`,
      unknown: `${a.label} and ${b.label} each reached it in only some runs`,
    }[v];
    return `${words}${single ? ', in one run each' : ''} ${detail}`;
  }
  const what = `final ${g.finalMetric}`;
  const detail = `(${what}: ${describeFinal(a, g.finalMetric)}; ${describeFinal(b, g.finalMetric)})`;
  if (single) return `one run each, no spread to judge a difference by ${detail}`;
  const v = compareFinal(a, b, g.finalMetric);
  const words = {
    sooner: `${a.label} ended better than ${b.label}`,
    later: `${a.label} ended worse than ${b.label}`,
    same: `no difference in ${what} between ${a.label} and ${b.label} beyond the seed spread`,
    more: `${a.label} ended better than ${b.label}`,
    fewer: `${a.label} ended worse than ${b.label}`,
    unknown: `${a.label} and ${b.label} cannot be compared`,
  }[v];
  return `${words} ${detail}`;
}

/** The trained rows at the group's most common size (rows of other sizes answer other questions). */
function comparable(g: TaskGroup): ReportRow[] {
  const trained = g.rows.filter((r) => r.source === 'TRAINED');
  const counts = new Map<number, number>();
  for (const r of trained) counts.set(r.units, (counts.get(r.units) ?? 0) + 1);
  const units = [...counts.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0];
  return trained.filter((r) => r.units === units);
}

export function beyondPaper(g: TaskGroup): string[] {
  const rows = comparable(g);
  if (rows.length === 0) return [];
  const out: string[] = [];
  const one = rows.filter((r) => r.layers === 1);
  const find = (model: string, layers = 1) => rows.find((r) => r.model === model && r.layers === layers);
  const units = rows[0]!.units;

  // Every one-layer model side by side, when there is more than the paper's pair.
  if (one.some((r) => r.model !== 'rwa' && r.model !== 'lstm') && one.length >= 2) {
    // By steps to threshold; when no run reached it, by the final value.
    const bySteps = g.threshold !== undefined && one.some((r) => r.reached > 0);
    const byFinal = (a: ReportRow, b: ReportRow) =>
      g.finalMetric === 'loss'
        ? (a.final?.mean ?? Infinity) - (b.final?.mean ?? Infinity)
        : (b.final?.mean ?? -Infinity) - (a.final?.mean ?? -Infinity);
    const ranked = [...one].sort((a, b) =>
      bySteps
        ? b.reached / b.runs.length - a.reached / a.runs.length ||
          (a.steps?.mean ?? Infinity) - (b.steps?.mean ?? Infinity)
        : byFinal(a, b),
    );
    const list = ranked.map((r) => (bySteps ? describeSteps(r) : describeFinal(r, g.finalMetric))).join('; ');
    const none =
      g.threshold && !bySteps
        ? `No model reached the threshold in ${fmtInt(Math.max(...one.map(longest)))} steps. `
        : '';
    out.push(
      `${none}${bySteps ? 'Steps to threshold' : `Final ${g.finalMetric}`}, one layer of ${units} units, best first: ${list}.`,
    );
  }

  // Depth: does stacking help RWA, and LSTM?
  for (const model of ['rwa', 'lstm']) {
    const base = find(model);
    const deeper = rows.filter((r) => r.model === model && r.layers > 1).sort((a, b) => a.layers - b.layers);
    if (!base || deeper.length === 0) continue;
    const name = modelName(model);
    const verdicts = deeper.map((d) => (g.threshold ? compareSteps(d, base) : compareFinal(d, base, g.finalMetric)));
    const better = (v: Verdict) => v === 'sooner' || v === 'more';
    const worse = (v: Verdict) => v === 'later' || v === 'fewer';
    const answer = verdicts.every(better)
      ? 'yes'
      : verdicts.every(worse)
        ? 'no, it hurt'
        : verdicts.every((v) => v === 'same')
          ? 'no difference beyond the seed spread'
          : 'it depends on the depth';
    const phrase: Record<Verdict, string> = g.threshold
      ? {
          sooner: 'sooner than 1 layer',
          later: 'later than 1 layer',
          same: 'no difference from 1 layer beyond the seed spread',
          more: 'reached it in more runs than 1 layer',
          fewer: 'reached it in fewer runs than 1 layer',
          unknown: 'unclear (few runs reached it)',
        }
      : {
          sooner: 'ended better than 1 layer',
          later: 'ended worse than 1 layer',
          same: 'no difference from 1 layer beyond the seed spread',
          more: 'ended better than 1 layer',
          fewer: 'ended worse than 1 layer',
          unknown: 'unclear',
        };
    const perDepth = deeper.map((d, i) => `${d.layers} layers ${phrase[verdicts[i]!]}`).join(', ');
    const detail = [base, ...deeper]
      .map((r) =>
        g.threshold
          ? describeSteps(r, `${r.layers} layer${r.layers > 1 ? 's' : ''}`)
          : describeFinal(r, g.finalMetric, `${r.layers} layer${r.layers > 1 ? 's' : ''}`),
      )
      .join('; ');
    out.push(`Does depth help ${name}? ${answer}: ${perDepth} (${detail}).`);
  }

  // RWA against an LSTM with attention over its past states.
  const rwa = find('rwa');
  const attention = find('lstm-attention');
  const lstm = find('lstm');
  if (rwa && attention) {
    let s = `RWA against LSTM+attention: ${versus(g, rwa, attention)}`;
    if (lstm) s += `; attention against plain LSTM: ${versus(g, attention, lstm)}`;
    out.push(`${s}.`);
  }
  // RDA's learned discount, and GRU, against RWA.
  for (const model of ['rda', 'gru']) {
    const other = find(model);
    if (rwa && other) out.push(`${modelName(model)} against RWA: ${versus(g, other, rwa)}.`);
  }
  return out;
}
