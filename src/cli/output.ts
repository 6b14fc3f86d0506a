/** How commands speak: human text on stdout, or one JSON document with `--json`. */
export function emit(json: boolean | undefined, result: unknown, human: () => string): void {
  if (json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else process.stdout.write(human() + '\n');
}

export { pct, table } from '../util/format.js';
