/**
 * A figure as plain data: what the dashboard draws with Chart.js and `sprig plot` draws as SVG.
 * Values are already in display units (accuracy and error in percent), so both renderers only
 * format numbers; labels are readable names (`rigl s=0.9 seed=1`), never bare hashes.
 */

/** How an axis shows its numbers: plain, percent (values already ×100), or whole numbers (levels). */
export type Unit = 'number' | 'percent' | 'integer';

/** A point marker: tells apart series that overlap (the same hue never stands for two methods). */
export type Marker = 'circle' | 'square' | 'triangle' | 'diamond';

export interface LineSeries {
  label: string;
  x: number[];
  y: number[];
  /** Standard deviation of each point over seeds or replicates: drawn as a band y ± std. */
  std?: number[];
  /** Replicates behind each point (for tooltips and tables). */
  n?: number[];
  color: string;
  dashed?: boolean;
  /** Dotted: a third line of the same hue (the Real World's train error). */
  dotted?: boolean;
  /** The right-hand axis (a second quantity with its own unit). */
  axis?: 'y' | 'y2';
  marker?: Marker;
  /** A short label per point, written beside it (the sparsity of a point on a FLOPs axis). */
  pointLabels?: string[];
  /** Markers only, no connecting line. */
  pointsOnly?: boolean;
}

export interface Axis {
  label: string;
  unit: Unit;
  log?: boolean;
  /** High to low (remaining weights: dense on the left). */
  reverse?: boolean;
  /** Label the axis at the data's own values (lottery levels on a log axis). */
  ticksAtData?: boolean;
  /** The range both renderers draw (set by `withRanges`, from the data, bands and reference lines). */
  range?: [number, number];
}

/** A horizontal (y) or vertical (x) reference line: dense accuracy, the stopping time. */
export interface RefLine {
  axis: 'x' | 'y';
  value: number;
  label: string;
  color: string;
}

/**
 * A stretch of x marked behind the data, with a tick at each event in it: GMP's pruning window and
 * RigL's update window on the gradient-norm plot, where the norm jumps.
 */
export interface Span {
  from: number;
  to: number;
  label: string;
  color: string;
  /** The x of each event (a pruning step, a mask update), ticked along the bottom of the plot. */
  at?: number[];
}

/** The area between two series shaded (the bootstrap gap), coloured by its sign. */
export interface Shade {
  upper: number;
  lower: number;
  label: string;
  /** Where `upper` is above `lower`. */
  color: string;
  /** Where `upper` is below `lower` (default: `color`). */
  belowColor?: string;
  belowLabel?: string;
}

export interface LineFigure {
  type: 'line';
  id: string;
  title: string;
  x: Axis;
  y: Axis;
  y2?: Axis;
  series: LineSeries[];
  refLines?: RefLine[];
  spans?: Span[];
  shade?: Shade;
  /** One line under the title: a sign convention, what the band is. */
  note?: string;
  source: string;
}

export interface BarFigure {
  type: 'bar';
  id: string;
  title: string;
  categories: string[];
  y: Axis;
  series: { label: string; values: (number | null)[]; std?: (number | null)[]; color: string }[];
  note?: string;
  source: string;
}

export interface HeatmapFigure {
  type: 'heatmap';
  id: string;
  title: string;
  rows: string[];
  cols: string[];
  /** values[r][c], in `unit`. */
  values: (number | null)[][];
  unit: Unit;
  note?: string;
  source: string;
}

export interface TableFigure {
  type: 'table';
  id: string;
  title: string;
  columns: { label: string; unit: Unit }[];
  rows: { label: string; values: (number | string | null)[] }[];
  note?: string;
  source: string;
}

export type Figure = LineFigure | BarFigure | HeatmapFigure | TableFigure;

/** A series in the data's own units, without a colour (see ChartData). */
export interface DataSeries {
  label: string;
  x: number[];
  y: number[];
  /** Standard deviation of each point over replicates, when known. */
  std?: number[];
}

/**
 * A line figure as gathered, before display units and colours: generic charts (metrics, curve
 * files) and the reproductions describe their lines this way, and `chartFigure` (charts.ts) makes
 * the LineFigure that both renderers draw.
 */
export interface ChartData {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  xLog?: boolean;
  /** Draw x from high to low (remaining weights: dense on the left, sparsest on the right). */
  xReverse?: boolean;
  /** Show x as a percentage (fractions of weights remaining). */
  xPercent?: boolean;
  series: DataSeries[];
  /** Where the data came from: 'metrics' or a file name. */
  source: string;
}
