/**
 * The heatmap's colour scale: diverging (blue below zero, red above, white at zero) over a symmetric
 * domain [-m, m], m the largest |h| of the snapshot (RWA and LSTM states live in (-1, 1) through tanh),
 * precomputed as a 256-entry table so a 1000 x 250 image costs one lookup per cell.
 */
import * as d3 from 'd3';

export interface ColourScale {
  domain: [number, number];
  /** RGB bytes of 256 steps from domain[0] to domain[1]. */
  table: Uint8ClampedArray;
  css(v: number): string;
}

export function symmetricDomain(h: Float32Array): [number, number] {
  let m = 0;
  for (let i = 0; i < h.length; i++) {
    const a = Math.abs(h[i]!);
    if (a > m) m = a;
  }
  return m > 0 ? [-m, m] : [-1, 1];
}

export function colourScale(domain: [number, number]): ColourScale {
  const interpolate = (u: number) => d3.interpolateRdBu(1 - u);
  const table = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const c = d3.rgb(interpolate(i / 255));
    table[3 * i] = c.r;
    table[3 * i + 1] = c.g;
    table[3 * i + 2] = c.b;
  }
  const [lo, hi] = domain;
  return {
    domain,
    table,
    css: (v: number) => interpolate(Math.min(1, Math.max(0, (v - lo) / (hi - lo || 1)))),
  };
}

/** Table index of a value. */
export function colourIndex(scale: ColourScale, v: number): number {
  const [lo, hi] = scale.domain;
  const u = (v - lo) / (hi - lo || 1);
  return Math.min(255, Math.max(0, Math.round(u * 255)));
}
