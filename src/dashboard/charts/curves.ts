/**
 * Learning curves: one line per series (test solid, train dashed), a min/max band from the bucketed
 * points, a log or linear y axis labelled with its unit, a hover read-out of every series at the nearest
 * step, and zoom on steps (drag across the plot; double-click to reset, reported through onZoom).
 *
 *   const svg = curvesChart(series, { width: 800, height: 360, log: true, yLabel: 'MSE', zoom: null });
 */
import * as d3 from 'd3';
import { curveDomains, nearestIndex, type CurveSeries } from './curve-data.js';

export interface CurvesOptions {
  width: number;
  height: number;
  log: boolean;
  yLabel: string;
  xLabel?: string;
  zoom: [number, number] | null;
  /** Draw the min/max band (default true). */
  band?: boolean;
  onZoom?: (range: [number, number] | null) => void;
}

const MARGIN = { top: 12, right: 16, bottom: 40, left: 64 };

export const formatValue = (v: number | null): string => {
  if (v === null || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : d3.format('.4~r')(v);
};

export function curvesChart(series: readonly CurveSeries[], options: CurvesOptions): SVGSVGElement {
  const { width, height, log } = options;
  const band = options.band ?? true;
  const svg = d3
    .create('svg')
    .attr('class', 'curves-chart')
    .attr('viewBox', `0 0 ${width} ${height}`)
    .attr('width', width)
    .attr('height', height)
    .attr('role', 'img')
    .attr('aria-label', `${options.yLabel} by training step`);
  const domains = curveDomains(series, { log, zoom: options.zoom, band });
  if (!domains) {
    svg
      .append('text')
      .attr('class', 'empty')
      .attr('x', width / 2)
      .attr('y', height / 2)
      .attr('text-anchor', 'middle')
      .text('No points yet for this metric.');
    return svg.node()!;
  }
  const innerW = width - MARGIN.left - MARGIN.right;
  const innerH = height - MARGIN.top - MARGIN.bottom;
  const x = d3
    .scaleLinear()
    .domain(domains.x)
    .range([MARGIN.left, MARGIN.left + innerW]);
  const y = (log ? d3.scaleLog() : d3.scaleLinear()).domain(domains.y).range([MARGIN.top + innerH, MARGIN.top]);
  const ok = (v: number | null): v is number => v !== null && Number.isFinite(v) && (!log || v > 0);

  // Grid and axes. Log axes label the powers of ten, or every tick when the range is under two decades.
  const yTicks = y.ticks(Math.max(2, Math.floor(innerH / 50)));
  const decades = log ? yTicks.filter((t) => Math.abs(Math.log10(t) - Math.round(Math.log10(t))) < 1e-9) : yTicks;
  const labelled = new Set(log && decades.length < 2 ? yTicks : decades);
  svg
    .append('g')
    .attr('class', 'grid')
    .selectAll('line')
    .data([...labelled])
    .join('line')
    .attr('x1', MARGIN.left)
    .attr('x2', MARGIN.left + innerW)
    .attr('y1', (d) => y(d))
    .attr('y2', (d) => y(d));
  svg
    .append('g')
    .attr('class', 'axis x')
    .attr('transform', `translate(0,${MARGIN.top + innerH})`)
    .call(d3.axisBottom(x).ticks(Math.max(2, Math.floor(innerW / 90)), 's'));
  const yAxis = d3
    .axisLeft(y)
    .ticks(Math.max(2, Math.floor(innerH / 50)))
    .tickFormat((d) => (labelled.has(d as number) ? formatValue(d as number) : ''));
  svg.append('g').attr('class', 'axis y').attr('transform', `translate(${MARGIN.left},0)`).call(yAxis);
  svg
    .append('text')
    .attr('class', 'axis-label')
    .attr('x', MARGIN.left + innerW)
    .attr('y', height - 6)
    .attr('text-anchor', 'end')
    .text(options.xLabel ?? 'training step');
  svg
    .append('text')
    .attr('class', 'axis-label')
    .attr('transform', `translate(14,${MARGIN.top + innerH / 2}) rotate(-90)`)
    .attr('text-anchor', 'middle')
    .text(`${options.yLabel}${log ? ' (log scale)' : ''}`);

  const clipId = `clip-${Math.random().toString(36).slice(2, 9)}`;
  svg
    .append('clipPath')
    .attr('id', clipId)
    .append('rect')
    .attr('x', MARGIN.left)
    .attr('y', MARGIN.top)
    .attr('width', innerW)
    .attr('height', innerH);
  const plot = svg.append('g').attr('class', 'plot').attr('clip-path', `url(#${clipId})`);

  if (band) {
    const area = d3
      .area<CurveSeries['points'][number]>()
      .defined((p) => ok(p.min) && ok(p.max))
      .x((p) => x(p.step))
      .y0((p) => y(p.min!))
      .y1((p) => y(p.max!));
    plot
      .selectAll('path.band')
      .data(series.filter((s) => s.points.some((p) => p.min !== p.max)))
      .join('path')
      .attr('class', 'band')
      .attr('fill', (s) => s.color)
      .attr('d', (s) => area(s.points));
  }
  const line = d3
    .line<CurveSeries['points'][number]>()
    .defined((p) => ok(p.value))
    .x((p) => x(p.step))
    .y((p) => y(p.value!));
  plot
    .selectAll('path.line')
    .data(series)
    .join('path')
    .attr('class', (s) => `line${s.dashed ? ' dashed' : ''}`)
    .attr('data-key', (s) => s.key)
    .attr('data-points', (s) => s.points.length)
    .attr('stroke', (s) => s.color)
    .attr('d', (s) => line(s.points));

  // Hover read-out.
  const hover = svg.append('g').attr('class', 'hover').style('display', 'none');
  const rule = hover
    .append('line')
    .attr('class', 'rule')
    .attr('y1', MARGIN.top)
    .attr('y2', MARGIN.top + innerH);
  const dots = hover.append('g');
  const box = hover.append('g').attr('class', 'readout');
  const boxBg = box.append('rect').attr('rx', 4);
  const boxText = box.append('text');

  const brush = d3
    .brushX<undefined>()
    .extent([
      [MARGIN.left, MARGIN.top],
      [MARGIN.left + innerW, MARGIN.top + innerH],
    ])
    .on('end', (event: d3.D3BrushEvent<undefined>) => {
      if (!event.selection || !event.sourceEvent) return;
      const [a, b] = event.selection as [number, number];
      brushG.call(brush.move, null);
      if (b - a < 4) return;
      options.onZoom?.([Math.max(0, Math.round(x.invert(a))), Math.round(x.invert(b))]);
    });
  const brushG = svg.append('g').attr('class', 'brush').call(brush);
  brushG
    .on('dblclick', () => options.onZoom?.(null))
    .on('pointerleave', () => hover.style('display', 'none'))
    .on('pointermove', (event: PointerEvent) => {
      const [px] = d3.pointer(event, svg.node());
      const step = x.invert(px);
      const rows: { s: CurveSeries; step: number; value: number }[] = [];
      for (const s of series) {
        const i = nearestIndex(s.points, step);
        const p = s.points[i];
        if (p && ok(p.value) && p.step >= x.domain()[0]! && p.step <= x.domain()[1]!)
          rows.push({ s, step: p.step, value: p.value });
      }
      if (!rows.length) return hover.style('display', 'none');
      hover.style('display', null);
      const at = rows[0]!.step;
      rule.attr('x1', x(at)).attr('x2', x(at));
      dots
        .selectAll('circle')
        .data(rows)
        .join('circle')
        .attr('r', 3.5)
        .attr('cx', (r) => x(r.step))
        .attr('cy', (r) => y(r.value))
        .attr('fill', (r) => r.s.color);
      const lines = [`step ${d3.format(',')(at)}`, ...rows.map((r) => `${r.s.label}: ${formatValue(r.value)}`)];
      boxText
        .selectAll('tspan')
        .data(lines)
        .join('tspan')
        .attr('x', 8)
        .attr('dy', (_, i) => (i ? 15 : 14))
        .attr('class', (_, i) => (i ? 'row' : 'head'))
        .text((d) => d);
      const textW = Math.max(...lines.map((l) => l.length)) * 6.6 + 16;
      const boxH = lines.length * 15 + 8;
      boxBg.attr('width', textW).attr('height', boxH);
      const bx = x(at) + 12 + textW > MARGIN.left + innerW ? x(at) - 12 - textW : x(at) + 12;
      box.attr('transform', `translate(${bx},${MARGIN.top + 4})`);
    });
  return svg.node()!;
}
