/**
 * Colours for one figure: Tableau 10 first (distinguishable, colour-blind aware), then its light
 * companions (Tableau 20), then hues spread by the golden angle. `palette(n)` never repeats a
 * colour, however many series a figure has.
 */
const TABLEAU_10 = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];
const TABLEAU_20_LIGHT = [
  '#a0cbe8',
  '#ffbe7d',
  '#8cd17d',
  '#b6992d',
  '#f1ce63',
  '#86bcb6',
  '#d37295',
  '#fabfd2',
  '#d4a6c8',
  '#79706e',
];

export function palette(n: number): string[] {
  const out = [...TABLEAU_10, ...TABLEAU_20_LIGHT].slice(0, n);
  const seen = new Set(out);
  // Golden-angle hues at two lightnesses: distinct for any count a figure can hold.
  for (let i = 0; out.length < n; i++) {
    const hue = Math.round((i * 137.508) % 360);
    const light = i % 2 ? 38 : 52;
    const c = hsl(hue, 62, light);
    if (!seen.has(c)) {
      seen.add(c);
      out.push(c);
    }
  }
  return out;
}

function hsl(h: number, s: number, l: number): string {
  const a = (s / 100) * Math.min(l / 100, 1 - l / 100);
  const f = (k: number) => {
    const t = (k + h / 30) % 12;
    const v = l / 100 - a * Math.max(-1, Math.min(t - 3, 9 - t, 1));
    return Math.round(v * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${f(0)}${f(8)}${f(4)}`;
}

/** The colour of the dense / reference line: neutral, not in the palette. */
export const REFERENCE_COLOR = '#333333';
