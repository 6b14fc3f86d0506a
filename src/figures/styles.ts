/**
 * One look per method, lottery branch, bootstrap world and gradflow run, in every figure of the
 * dashboard and `sprig plot`: a reader who learns that RigL is vermilion keeps that across figures.
 * Hues are Okabe & Ito's colour-blind-safe set, with Paul Tol's muted colours where it runs out;
 * markers tell apart series that overlap (static and SET at the same accuracy).
 */
import type { MethodName } from '../algorithms/registry.js';
import type { LineSeries, Marker } from './types.js';

export type SeriesStyle = Pick<LineSeries, 'color' | 'dashed' | 'marker'>;

/** Okabe & Ito (2008), "Color Universal Design"; Tol (2021) muted for the extra hues. */
export const HUES = {
  black: '#000000',
  orange: '#e69f00',
  sky: '#56b4e9',
  green: '#009e73',
  blue: '#0072b2',
  vermilion: '#d55e00',
  purple: '#cc79a7',
  grey: '#999999',
  wine: '#882255',
  indigo: '#332288',
  teal: '#44aa99',
  olive: '#999933',
  brown: '#661100',
} as const;

const s = (color: string, marker: Marker): SeriesStyle => ({ color, marker });

export const METHOD_STYLES = {
  dense: s(HUES.black, 'circle'),
  small_dense: s(HUES.grey, 'square'),
  static: s(HUES.blue, 'circle'),
  snip: s(HUES.sky, 'triangle'),
  set: s(HUES.green, 'square'),
  snfs: s(HUES.purple, 'diamond'),
  rigl: s(HUES.vermilion, 'triangle'),
  gmp: s(HUES.orange, 'diamond'),
  magnitude_init: s(HUES.wine, 'square'),
} as const satisfies Record<MethodName, SeriesStyle>;

/** The IMP line is the ticket; each ablation branch keeps its hue in every lottery figure. */
export const BRANCH_STYLES: Readonly<Record<string, SeriesStyle>> = {
  main: s(HUES.black, 'circle'),
  reinit: s(HUES.vermilion, 'triangle'),
  random_mask: s(HUES.purple, 'square'),
  kd: s(HUES.green, 'diamond'),
  kd_rewind: s(HUES.teal, 'circle'),
  rewind: s(HUES.orange, 'square'),
  lr_rewind: s(HUES.blue, 'triangle'),
  retrain: s(HUES.brown, 'diamond'),
  'basis:identity': s(HUES.indigo, 'circle'),
  'basis:dct': s(HUES.sky, 'square'),
  'basis:orthogonal': s(HUES.olive, 'triangle'),
};

/** experiments/gradflow.ts's GRADFLOW_RUNS (figures sit below experiments, so listed here). */
export const GRADFLOW_STYLES = {
  scratch: s(HUES.sky, 'circle'),
  'scratch+': s(HUES.blue, 'square'),
  random_mask: s(HUES.purple, 'square'),
  rigl: s(HUES.vermilion, 'triangle'),
  'rigl+': s(HUES.orange, 'diamond'),
  lottery: s(HUES.green, 'circle'),
  pruned: s(HUES.black, 'diamond'),
} as const satisfies Record<string, SeriesStyle>;

/** Real and Ideal World each have one hue; the hard error is the dashed curve of that hue. */
export const WORLD_COLORS = { real: HUES.blue, ideal: HUES.vermilion } as const;

/** The bootstrap gap by sign: positive (Real World worse) and negative shade differently. */
export const GAP_COLORS = { positive: HUES.orange, negative: HUES.sky } as const;

const SPARE = [HUES.indigo, HUES.teal, HUES.olive, HUES.wine, HUES.brown, HUES.grey];
const MARKERS: Marker[] = ['circle', 'square', 'triangle', 'diamond'];

/** A name no table lists (a new method or branch): a look from its name, never its position. */
export function styleOfName(name: string): SeriesStyle {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return { color: SPARE[h % SPARE.length]!, marker: MARKERS[(h >>> 8) % MARKERS.length] };
}

const lookup = (table: Readonly<Record<string, SeriesStyle>>, name: string): SeriesStyle =>
  Object.hasOwn(table, name) ? table[name]! : styleOfName(name);

export const methodStyle = (method: string) => lookup(METHOD_STYLES, method);
export const gradflowStyle = (run: string) => lookup(GRADFLOW_STYLES, run);

/** A lottery line: `IMP (main)`, a branch, or `one-shot [branch]` (dashed, the branch's hue). */
export function branchStyle(line: string): SeriesStyle {
  const oneShot = line.startsWith('one-shot');
  const name = line.replace(/^one-shot\s*/, '') || 'main';
  const base = /main|ticket/.test(name) ? BRANCH_STYLES.main! : lookup(BRANCH_STYLES, name);
  return oneShot ? { ...base, dashed: true } : base;
}

/**
 * Styles for groups that share a key (rigl at two sparsities): the first keeps the key's look, the
 * next ones the same hue dashed and with other markers, so a repeat is never a new colour.
 */
export function repeatStyles<T>(items: T[], key: (t: T) => string, style: (k: string) => SeriesStyle) {
  const seen = new Map<string, number>();
  return items.map((t) => {
    const k = key(t);
    const i = seen.get(k) ?? 0;
    seen.set(k, i + 1);
    const base = style(k);
    if (!i) return base;
    const m = MARKERS[(MARKERS.indexOf(base.marker ?? 'circle') + i) % MARKERS.length];
    return { ...base, dashed: true, marker: m };
  });
}

/** The look of a series named after a branch, method or gradflow run (`reinit test`), if it is one. */
export function knownStyle(label: string): SeriesStyle | undefined {
  if (/^(IMP|main)\b|^one-shot/.test(label)) return branchStyle(label);
  const first = label.split(' ')[0]!;
  for (const table of [BRANCH_STYLES, METHOD_STYLES, GRADFLOW_STYLES] as Readonly<
    Record<string, SeriesStyle>
  >[])
    if (Object.hasOwn(table, first)) return table[first];
  return undefined;
}
