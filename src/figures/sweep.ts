/**
 * A sweep's grid as figures: the ranking metric against each swept axis, mean ± std over the runs
 * at each value (over seeds, and over the other axes where there are several). A numeric axis is
 * a line with its band; any other (a method, a distribution) is bars with error bars.
 */
import { withRanges } from './axes.js';
import { HUES } from './styles.js';
import type { Figure, Unit } from './types.js';

/** One swept axis: the metric's mean ± std over the finished runs at each of its values. */
export interface AxisPoints {
  axis: string;
  points: { value: string | number | boolean; mean: number; std: number; n: number }[];
}

export function sweepFigures(s: { sweepId: string; metric: string; axes: AxisPoints[] }): Figure[] {
  const percent = /accuracy|error/i.test(s.metric);
  const scale = (v: number) => (percent ? v * 100 : v);
  const y = { label: percent ? `${s.metric} (%)` : s.metric, unit: (percent ? 'percent' : 'number') as Unit };
  const others = s.axes.length > 1;
  const note = `mean ± std over the finished runs at each value (seeds${others ? ' and the other axes' : ''})`;
  return s.axes
    .filter((a) => a.points.length)
    .map((a): Figure => {
      const id = `sweep:${s.sweepId}:${a.axis}`;
      const title = `${s.metric} vs ${a.axis}`;
      const source = `sweep ${s.sweepId}`;
      if (a.points.every((p) => typeof p.value === 'number')) {
        const pts = [...a.points].sort((p, q) => (p.value as number) - (q.value as number));
        const x = pts.map((p) => p.value as number);
        const log = x.length > 2 && x[0]! > 0 && x.at(-1)! / x[0]! >= 10;
        return withRanges({
          type: 'line',
          id,
          title,
          x: { label: a.axis, unit: 'number', log, ticksAtData: true },
          y,
          series: [
            {
              label: s.metric,
              x,
              y: pts.map((p) => scale(p.mean)),
              std: pts.map((p) => scale(p.std)),
              n: pts.map((p) => p.n),
              color: HUES.blue,
              marker: 'circle',
            },
          ],
          note,
          source,
        });
      }
      return {
        type: 'bar',
        id,
        title,
        categories: a.points.map((p) => String(p.value)),
        y,
        series: [
          {
            label: s.metric,
            values: a.points.map((p) => scale(p.mean)),
            std: a.points.map((p) => scale(p.std)),
            color: HUES.blue,
          },
        ],
        note,
        source,
      };
    });
}
