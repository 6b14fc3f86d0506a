/**
 * The reproductions' figures, kept in this one file: line figures of the shared figure model
 * (src/figures: palette, axes, std bands), which report.ts draws with its SVG renderer.
 */
import { chartFigure } from '../figures/charts.js';
import type { ChartData, DataSeries, LineFigure } from '../figures/types.js';
import type { Measure } from './types.js';

/** A series of mean ± std points. */
export function series(label: string, x: number[], ys: Measure[]): DataSeries {
  return { label, x, y: ys.map((m) => m.mean), std: ys.map((m) => m.std) };
}

export function chart(
  id: string,
  title: string,
  xLabel: string,
  yLabel: string,
  list: DataSeries[],
  opts: Partial<Pick<ChartData, 'xLog' | 'xReverse' | 'xPercent'>> = {},
): LineFigure {
  return chartFigure({ id, title, xLabel, yLabel, series: list, source: 'sprig reproduce', ...opts });
}

/** Accuracy against the fraction of weights remaining: dense on the left, sparsest on the right. */
export function sparsityChart(id: string, title: string, list: DataSeries[]): LineFigure {
  return chart(id, title, 'weights remaining', 'test accuracy', list, {
    xLog: true,
    xReverse: true,
    xPercent: true,
  });
}
