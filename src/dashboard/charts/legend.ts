/** Colour legend: a horizontal ramp of a ColourScale with ticks and a title. */
import * as d3 from 'd3';
import type { ColourScale } from './colour.js';

export function colourLegend(colour: ColourScale, options: { width: number; title: string }): SVGSVGElement {
  const height = 44;
  const [lo, hi] = colour.domain;
  const x = d3
    .scaleLinear()
    .domain([lo, hi])
    .range([8, options.width - 8]);
  const svg = d3
    .create('svg')
    .attr('class', 'colour-legend')
    .attr('width', options.width)
    .attr('height', height)
    .attr('viewBox', `0 0 ${options.width} ${height}`);
  const id = `ramp-${Math.random().toString(36).slice(2, 9)}`;
  const gradient = svg.append('defs').append('linearGradient').attr('id', id);
  for (let i = 0; i <= 10; i++)
    gradient
      .append('stop')
      .attr('offset', `${i * 10}%`)
      .attr('stop-color', colour.css(lo + ((hi - lo) * i) / 10));
  svg.append('text').attr('x', 8).attr('y', 11).attr('class', 'legend-title').text(options.title);
  svg
    .append('rect')
    .attr('x', 8)
    .attr('y', 16)
    .attr('width', options.width - 16)
    .attr('height', 10)
    .attr('fill', `url(#${id})`);
  svg
    .append('g')
    .attr('transform', 'translate(0,26)')
    .call(d3.axisBottom(x).ticks(5).tickSize(4).tickFormat(d3.format('.2~f')));
  return svg.node()!;
}
