#!/usr/bin/env node
// Start-up time: median wall time of N interleaved runs of each command line, and each against the
// first. `node scripts/startup-time.mjs 7 'node -e 0' 'node dist/cli/main.js --help'`
// (arguments split on spaces, no shell).
import { spawnSync } from 'node:child_process';

const [n, ...lines] = process.argv.slice(2);
const times = lines.map(() => []);
for (let i = 0; i < Number(n); i++)
  lines.forEach((line, j) => {
    const [cmd, ...args] = line.split(' ');
    const start = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${line}: exit ${r.status}`);
    times[j].push(Number(process.hrtime.bigint() - start) / 1e9);
  });
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const base = median(times[0]);
lines.forEach((line, j) => {
  const m = median(times[j]);
  console.log(`${m.toFixed(3)} s  ${(m / base).toFixed(2)}×  ${line}`);
});
