/**
 * Test curves as a standalone SVG string: one line per run, a dashed threshold, a legend; log y for losses
 * (MSE and bits span orders of magnitude), linear for accuracy. A pure function of (series, options), no
 * DOM: d3's scales, ticks and line generator work in Node.
 */
import * as d3 from 'd3';

export interface ChartSeries {
  /** Legend entry; series with the same label share one entry. */
  label: string;
  colour: string;
  /** Reference curves (the paper's logs) are dashed and lighter. */
  dashed?: boolean;
  points: readonly { step: number; value: number }[];
  /** A dot where the run met the threshold. */
  marker?: { step: number; value: number };
}

export interface CurvesChartOptions {
  title: string;
  yLabel: string;
  log: boolean;
  series: readonly ChartSeries[];
  threshold?: { value: number; label: string };
  /** Points beyond this step are left out (the paper's 50k-step logs beside a 2k-step quick run). */
  xMax?: number;
  /** Accuracy charts: [lo, 1]; values outside are drawn at the edge. */
  yDomain?: [number, number];
  /** Ticks as percentages (accuracy). */
  percent?: boolean;
  width?: number;
  height?: number;
  note?: string;
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const r2 = (v: number) => Math.round(v * 100) / 100;

function formatTick(v: number, log: boolean): string {
  if (!log) return d3.format(v >= 1e4 ? '~s' : '~g')(v);
  return v >= 0.01 && v < 1000 ? d3.format('~g')(v) : d3.format('.0e')(v).replace('e-', 'e−');
}

export function curvesChart(options: CurvesChartOptions): string {
  const width = options.width ?? 760;
  const height = options.height ?? 380;
  const legendRows = new Set(options.series.map((s) => s.label)).size;
  const margin = { top: 36, right: 190, bottom: 46 + (options.note ? 16 : 0), left: 70 };
  const inner = { w: width - margin.left - margin.right, h: height - margin.top - margin.bottom };
  const usable = (v: number) => Number.isFinite(v) && (!options.log || v > 0);

  const clipped = options.series.map((s) => ({
    ...s,
    points: s.points.filter((p) => (options.xMax === undefined || p.step <= options.xMax) && Number.isFinite(p.step)),
  }));
  const steps = clipped.flatMap((s) => s.points.map((p) => p.step));
  const values = clipped.flatMap((s) => s.points.map((p) => p.value)).filter(usable);
  // Room under the threshold on a log axis (it would otherwise sit on the bottom edge).
  if (options.threshold && usable(options.threshold.value))
    values.push(options.log ? options.threshold.value / 2 : options.threshold.value);

  const xMax = options.xMax ?? d3.max(steps) ?? 1;
  const x = d3
    .scaleLinear()
    .domain([0, xMax > 0 ? xMax : 1])
    .range([0, inner.w]);
  let y: d3.ScaleContinuousNumeric<number, number>;
  if (options.log) {
    let [lo, hi] = d3.extent(values) as [number | undefined, number | undefined];
    lo ??= 1e-3;
    hi ??= 1;
    if (lo === hi) [lo, hi] = [lo / 10, hi * 10];
    // Whole decades, so the ticks are powers of ten.
    y = d3
      .scaleLog()
      .domain([10 ** Math.floor(Math.log10(lo)), 10 ** Math.ceil(Math.log10(hi))])
      .range([inner.h, 0]);
  } else {
    const [lo, hi] = options.yDomain ?? (d3.extent(values) as [number, number]);
    y = d3
      .scaleLinear()
      .domain([lo ?? 0, hi ?? 1])
      .nice()
      .range([inner.h, 0]);
  }
  const yTicks = options.log
    ? (y.ticks() as number[]).filter((t) => Math.abs(Math.log10(t) - Math.round(Math.log10(t))) < 1e-9)
    : y.ticks(6);
  const yTickValues = yTicks.length > 8 ? yTicks.filter((_, i) => i % Math.ceil(yTicks.length / 8) === 0) : yTicks;
  const [y0, y1] = y.domain() as [number, number];
  const yFormat = options.percent
    ? d3.format(y1 - y0 >= 0.1 ? '.0%' : '.1%')
    : (v: number) => formatTick(v, options.log);

  const line = d3
    .line<{ step: number; value: number }>()
    .defined((p) => usable(p.value))
    .x((p) => r2(x(p.step)))
    .y((p) => r2(Math.min(inner.h, Math.max(0, y(p.value)))));

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${margin.left}" y="20" font-size="14" font-weight="bold">${escapeXml(options.title)}</text>`,
    `<g transform="translate(${margin.left},${margin.top})">`,
  );
  // Grid and axes.
  for (const t of yTickValues) {
    const py = r2(y(t));
    out.push(
      `<line x1="0" x2="${inner.w}" y1="${py}" y2="${py}" stroke="#e5e5e5"/>`,
      `<text x="-6" y="${py}" text-anchor="end" dominant-baseline="middle" fill="#444">${escapeXml(yFormat(t))}</text>`,
    );
  }
  for (const t of x.ticks(6)) {
    const px = r2(x(t));
    out.push(
      `<line x1="${px}" x2="${px}" y1="0" y2="${inner.h}" stroke="#f0f0f0"/>`,
      `<text x="${px}" y="${inner.h + 16}" text-anchor="middle" fill="#444">${escapeXml(formatTick(t, false))}</text>`,
    );
  }
  out.push(
    `<rect x="0" y="0" width="${inner.w}" height="${inner.h}" fill="none" stroke="#888"/>`,
    `<text x="${r2(inner.w / 2)}" y="${inner.h + 34}" text-anchor="middle">training step</text>`,
    `<text transform="translate(${-52},${r2(inner.h / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`,
  );
  if (options.threshold && usable(options.threshold.value)) {
    const py = r2(y(options.threshold.value));
    out.push(
      `<line class="threshold" x1="0" x2="${inner.w}" y1="${py}" y2="${py}" stroke="#333" stroke-dasharray="2,3"/>`,
      `<text x="${inner.w - 4}" y="${py < 16 ? py + 13 : py - 4}" text-anchor="end" fill="#333">${escapeXml(options.threshold.label)}</text>`,
    );
  }
  // Reference curves first, so our runs are drawn on top.
  const ordered = [...clipped.filter((s) => s.dashed), ...clipped.filter((s) => !s.dashed)];
  for (const s of ordered) {
    const d = line(s.points);
    if (!d) continue;
    const style = s.dashed
      ? 'stroke-width="1" stroke-dasharray="5,3" opacity="0.65"'
      : 'stroke-width="1.5" opacity="0.9"';
    out.push(
      `<path class="curve" d="${d}" fill="none" stroke="${s.colour}" ${style}><title>${escapeXml(s.label)}</title></path>`,
    );
    if (s.marker && usable(s.marker.value) && (options.xMax === undefined || s.marker.step <= options.xMax))
      out.push(
        `<circle class="reached" cx="${r2(x(s.marker.step))}" cy="${r2(y(s.marker.value))}" r="3.5" fill="${s.colour}" stroke="white"/>`,
      );
  }
  out.push('</g>');
  // Legend.
  const seen = new Map<string, ChartSeries>();
  for (const s of options.series) if (!seen.has(s.label)) seen.set(s.label, s);
  let ly = margin.top + 6;
  for (const s of seen.values()) {
    const lx = width - margin.right + 14;
    const dash = s.dashed ? ' stroke-dasharray="5,3"' : '';
    out.push(
      `<line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="${s.colour}" stroke-width="2"${dash}/>`,
      `<text x="${lx + 28}" y="${ly}" dominant-baseline="middle">${escapeXml(s.label)}</text>`,
    );
    ly += 16;
  }
  if (legendRows && options.series.some((s) => s.marker)) {
    const lx = width - margin.right + 14;
    out.push(
      `<circle cx="${lx + 11}" cy="${ly}" r="3.5" fill="#666"/>`,
      `<text x="${lx + 28}" y="${ly}" dominant-baseline="middle">median of 5 meets threshold</text>`,
    );
  }
  if (options.note)
    out.push(`<text x="${margin.left}" y="${height - 8}" fill="#555">${escapeXml(options.note)}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
