/**
 * Deep Bootstrap figures (Nakkiran et al. 2021, fig. 1): per model, the Real and Ideal World test
 * soft error on one axis, the gap between them shaded (gap = Real − Ideal: positive when the Real
 * World generalises worse), the stopping time marked; and the models ranked in both worlds.
 */
import type { Figure, LineSeries } from './types.js';
import { GAP_COLORS, WORLD_COLORS } from './styles.js';
import { FILES } from '../store/names.js';

interface Point {
  step: number;
  testSoftError: number | null;
  testError: number | null;
  trainError?: number | null;
}
interface World {
  curve: Point[];
}
interface ModelReport {
  model: string;
  real: World;
  ideal: World;
  stoppingStep: number | null;
  atStop?: { step: number; real: Point; ideal: Point };
  gap?: number;
  hardGap?: number;
}
export interface BootstrapReport {
  models: ModelReport[];
  threshold?: number;
  n?: number;
}

export function isBootstrapReport(v: unknown): v is BootstrapReport {
  const m = (v as { models?: unknown })?.models;
  return (
    Array.isArray(m) &&
    m.length > 0 &&
    m.every((x) => Array.isArray(x?.real?.curve) && Array.isArray(x?.ideal?.curve))
  );
}

const pct = (v: number) => v * 100;
const SIGN = 'gap = Real − Ideal soft error (positive: the Real World generalises worse)';

function column(curve: Point[], key: 'testSoftError' | 'testError' | 'trainError') {
  const pts = curve.filter((p) => typeof p[key] === 'number');
  return { x: pts.map((p) => p.step), y: pts.map((p) => pct(p[key]!)) };
}

export function bootstrapFigures(report: BootstrapReport, runId: string): Figure[] {
  const figs: Figure[] = report.models.map((m) => modelFigure(report, m, runId));
  figs.push(rankingTable(report, runId));
  return figs;
}

/** A world's soft error solid and hard error dashed in the world's hue; the Real World's train error dotted. */
function worldSeries(m: ModelReport): LineSeries[] {
  const { real, ideal } = WORLD_COLORS;
  const series: LineSeries[] = [
    { label: 'Real World soft error', ...column(m.real.curve, 'testSoftError'), color: real },
    { label: 'Ideal World soft error', ...column(m.ideal.curve, 'testSoftError'), color: ideal },
    { label: 'Real World hard error', ...column(m.real.curve, 'testError'), color: real, dashed: true },
    { label: 'Ideal World hard error', ...column(m.ideal.curve, 'testError'), color: ideal, dashed: true },
  ];
  // The Real World's train error defines the stopping time (it reaches the threshold there).
  const train = column(m.real.curve, 'trainError');
  if (train.x.length) series.push({ label: 'Real World train error', ...train, color: real, dotted: true });
  return series;
}

function modelFigure(report: BootstrapReport, m: ModelReport, runId: string): Figure {
  const stop = m.atStop?.step ?? m.stoppingStep ?? undefined;
  const threshold = pct(report.threshold ?? 0.01);
  return {
    type: 'line',
    id: `bootstrap:${runId}:${m.model}`,
    title: `Real vs Ideal World: ${m.model}`,
    x: { label: 'iteration', unit: 'integer' },
    y: { label: 'error (%)', unit: 'percent' },
    series: worldSeries(m),
    shade: {
      upper: 0,
      lower: 1,
      label: 'gap > 0 (Real worse)',
      color: GAP_COLORS.positive,
      belowColor: GAP_COLORS.negative,
      belowLabel: 'gap < 0 (Real better)',
    },
    refLines:
      stop === undefined
        ? []
        : [
            {
              axis: 'x' as const,
              value: stop,
              label:
                m.stoppingStep === null
                  ? `no stop (train error never < ${threshold}%): last step`
                  : `stopping time: step ${stop} (train error < ${threshold}%)`,
              color: '#555555',
            },
          ],
    note: `${SIGN}${m.gap === undefined ? '' : `; at the stopping time: soft gap ${fmtPp(m.gap)}, hard gap ${fmtPp(m.hardGap)}`}`,
    source: FILES.bootstrap,
  };
}

const fmtPp = (v: number | undefined) =>
  v === undefined ? '–' : `${v >= 0 ? '+' : ''}${pct(v).toFixed(2)} pp`;

/** Models ranked by test soft error at the stopping time, in each world (1 = best). */
function rankingTable(report: BootstrapReport, runId: string): Figure {
  const at = (m: ModelReport, w: 'real' | 'ideal') =>
    m.atStop?.[w]?.testSoftError ?? m[w].curve.at(-1)?.testSoftError ?? null;
  const rank = (w: 'real' | 'ideal') => {
    const order = [...report.models].sort((a, b) => (at(a, w) ?? Infinity) - (at(b, w) ?? Infinity));
    return new Map(order.map((m, i) => [m.model, i + 1]));
  };
  const rr = rank('real');
  const ri = rank('ideal');
  return {
    type: 'table',
    id: `bootstrap:${runId}:ranking`,
    title: 'models ranked in both worlds (test soft error at the stopping time)',
    columns: [
      { label: 'Real soft error (%)', unit: 'percent' },
      { label: 'Real rank', unit: 'integer' },
      { label: 'Ideal soft error (%)', unit: 'percent' },
      { label: 'Ideal rank', unit: 'integer' },
      { label: 'soft gap (pp)', unit: 'number' },
      { label: 'stopping step', unit: 'integer' },
    ],
    rows: report.models.map((m) => {
      const real = at(m, 'real');
      const ideal = at(m, 'ideal');
      return {
        label: m.model,
        values: [
          real === null ? null : pct(real),
          rr.get(m.model)!,
          ideal === null ? null : pct(ideal),
          ri.get(m.model)!,
          m.gap === undefined ? null : pct(m.gap),
          m.stoppingStep,
        ],
      };
    }),
    note: `${SIGN}; stopping step empty: the train error never fell below the threshold, so the last step is used`,
    source: FILES.bootstrap,
  };
}
