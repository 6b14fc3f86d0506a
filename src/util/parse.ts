/** Text → values for flags, config keys and sweep axes: one grammar wherever a user types a value. */
import { SprigError } from './errors.js';

export const num = (v: string) => {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x))
    throw new SprigError(`'${v}' is not a number`, 'pass a number, e.g. 0.1');
  return x;
};
export const int = (v: string) => {
  const x = Number(v);
  if (v.trim() === '' || !Number.isInteger(x))
    throw new SprigError(`'${v}' is not an integer`, 'pass a whole number');
  return x;
};
export const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
