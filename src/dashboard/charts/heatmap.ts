/**
 * Hidden-state heatmap, as the article draws it: time down the page, one column per unit, colour = h_t.
 * Cells go into an ImageData of N x T pixels (one per cell, so 1000 x 250 is 250k lookups, a few ms) that
 * is scaled onto the canvas without smoothing; axes, the task's event markers and the hover cross-hair
 * are SVG on top. Hover reports (t, unit, value) through onHover.
 *
 *   const el = heatmapChart({ h, T, N, order, markers }, { width: 560, height: 520, colour });
 */
import * as d3 from 'd3';
import { colourIndex, type ColourScale } from './colour.js';
import type { Marker } from './markers.js';

export interface HeatmapData {
  /** (T, N) time-major. */
  h: Float32Array;
  T: number;
  N: number;
  /** Column c shows unit order[c]. */
  order: Int32Array;
  markers: readonly Marker[];
}

export interface HeatmapCell {
  t: number;
  unit: number;
  value: number;
}

export interface HeatmapOptions {
  width: number;
  height: number;
  colour: ColourScale;
  unitLabel?: string;
  onHover?: (cell: HeatmapCell | null) => void;
}

export const HEATMAP_MARGIN = { top: 8, right: 112, bottom: 36, left: 52 };

/** Cell at a point of the plot area (CSS px from its top-left), or null outside. */
export function cellAt(data: HeatmapData, innerW: number, innerH: number, px: number, py: number): HeatmapCell | null {
  const col = Math.floor((px / innerW) * data.N);
  const t = Math.floor((py / innerH) * data.T);
  if (col < 0 || col >= data.N || t < 0 || t >= data.T) return null;
  const unit = data.order[col]!;
  return { t, unit, value: data.h[t * data.N + unit]! };
}

/** The N x T RGBA image (column c = unit order[c], row t = time t). */
export function heatmapImage(data: HeatmapData, colour: ColourScale): ImageData {
  const { h, T, N, order } = data;
  const image = new ImageData(N, T);
  const px = image.data;
  const table = colour.table;
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < N; c++) {
      const k = 3 * colourIndex(colour, h[t * N + order[c]!]!);
      const o = 4 * (t * N + c);
      px[o] = table[k]!;
      px[o + 1] = table[k + 1]!;
      px[o + 2] = table[k + 2]!;
      px[o + 3] = 255;
    }
  }
  return image;
}

export function heatmapChart(data: HeatmapData, options: HeatmapOptions): HTMLDivElement {
  const { width, height } = options;
  const m = HEATMAP_MARGIN;
  const innerW = width - m.left - m.right;
  const innerH = height - m.top - m.bottom;
  const root = document.createElement('div');
  root.className = 'heatmap-chart';
  root.style.width = `${width}px`;
  root.style.height = `${height}px`;

  const canvas = document.createElement('canvas');
  const dpr = Math.min(2, window.devicePixelRatio || 1);
  canvas.width = Math.round(innerW * dpr);
  canvas.height = Math.round(innerH * dpr);
  canvas.style.cssText = `position:absolute;left:${m.left}px;top:${m.top}px;width:${innerW}px;height:${innerH}px`;
  canvas.dataset.cells = `${data.T}x${data.N}`;
  const off = document.createElement('canvas');
  off.width = data.N;
  off.height = data.T;
  off.getContext('2d')!.putImageData(heatmapImage(data, options.colour), 0, 0);
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
  root.append(canvas);

  const t = d3
    .scaleLinear()
    .domain([0, data.T])
    .range([m.top, m.top + innerH]);
  const u = d3
    .scaleLinear()
    .domain([0, data.N])
    .range([m.left, m.left + innerW]);
  const svg = d3
    .select(root)
    .append('svg')
    .attr('width', width)
    .attr('height', height)
    .attr('class', 'heatmap-overlay');
  svg
    .append('g')
    .attr('class', 'axis y')
    .attr('transform', `translate(${m.left},0)`)
    .call(d3.axisLeft(t).ticks(Math.max(2, Math.floor(innerH / 60))));
  const unitAxis = d3.axisBottom(u).ticks(Math.max(2, Math.floor(innerW / 60)));
  if (options.unitLabel && options.unitLabel !== 'unit') unitAxis.tickFormat(() => '');
  svg
    .append('g')
    .attr('class', 'axis x')
    .attr('transform', `translate(0,${m.top + innerH})`)
    .call(unitAxis);
  svg
    .append('text')
    .attr('class', 'axis-label')
    .attr('x', m.left + innerW)
    .attr('y', height - 4)
    .attr('text-anchor', 'end')
    .text(options.unitLabel ?? 'unit');
  svg
    .append('text')
    .attr('class', 'axis-label')
    .attr('transform', `translate(12,${m.top + innerH / 2}) rotate(-90)`)
    .attr('text-anchor', 'middle')
    .text('time step t');

  const markers = svg
    .append('g')
    .attr('class', 'markers')
    .selectAll('g')
    .data(data.markers)
    .join('g')
    .attr('class', (d) => `marker ${d.kind}`)
    .attr('data-t', (d) => d.t)
    .attr('transform', (d) => `translate(0,${t(d.t + 0.5)})`);
  markers
    .append('line')
    .attr('x1', m.left - 6)
    .attr('x2', m.left + innerW + 6);
  // Labels of close markers are pushed apart (12 px) so they stay readable; lines stay exact.
  const labelY: number[] = [];
  for (const d of data.markers) {
    const y0 = t(d.t + 0.5);
    labelY.push(Math.max(y0, (labelY.at(-1) ?? -Infinity) + 12));
  }
  markers
    .append('text')
    .attr('x', m.left + innerW + 9)
    .attr('y', (_, i) => labelY[i]! - t(data.markers[i]!.t + 0.5))
    .attr('dy', '0.32em')
    .text((d) => `t=${d.t} ${d.label}`);

  const cross = svg.append('g').attr('class', 'crosshair').style('display', 'none');
  const hLine = cross.append('rect').attr('x', m.left).attr('width', innerW);
  const vLine = cross.append('rect').attr('y', m.top).attr('height', innerH);
  const rowH = Math.max(1, innerH / data.T);
  const colW = Math.max(1, innerW / data.N);
  canvas.addEventListener('pointermove', (event) => {
    const cell = cellAt(data, innerW, innerH, event.offsetX, event.offsetY);
    if (!cell) return;
    const col = Math.floor((event.offsetX / innerW) * data.N);
    cross.style('display', null);
    hLine.attr('y', t(cell.t)).attr('height', rowH);
    vLine.attr('x', u(col)).attr('width', colW);
    options.onHover?.(cell);
  });
  canvas.addEventListener('pointerleave', () => {
    cross.style('display', 'none');
    options.onHover?.(null);
  });
  return root;
}
