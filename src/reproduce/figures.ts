/**
 * The reproductions' figures, kept in this one file: ChartSpecs drawn through the shared figure
 * definitions (src/figures: palette, axes, std bands) and their SVG renderer.
 */
import type { ChartSpec, Series } from '../dashboard/charts.js';
import { chartFigure } from '../figures/index.js';
import { figureSvg } from '../figures/svg.js';
import type { Measure } from './types.js';

/** A series of mean ± std points. */
export function series(label: string, x: number[], ys: Measure[]): Series {
  return { label, x, y: ys.map((m) => m.mean), std: ys.map((m) => m.std) };
}

export function chart(
  id: string,
  title: string,
  xLabel: string,
  yLabel: string,
  list: Series[],
  opts: Partial<Pick<ChartSpec, 'xLog' | 'xReverse' | 'xPercent'>> = {},
): ChartSpec {
  return { id, title, xLabel, yLabel, series: list, source: 'sprig reproduce', ...opts };
}

/** Accuracy against the fraction of weights remaining: dense on the left, sparsest on the right. */
export function sparsityChart(id: string, title: string, list: Series[]): ChartSpec {
  return chart(id, title, 'weights remaining', 'test accuracy', list, {
    xLog: true,
    xReverse: true,
    xPercent: true,
  });
}

export const svgOf = (c: ChartSpec) => figureSvg(chartFigure(c));
