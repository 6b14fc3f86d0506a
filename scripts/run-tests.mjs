#!/usr/bin/env node
// Runs the whole test suite: every tests/**/*.test.ts under node's test runner, with tsx for TypeScript.
// Extra arguments are passed to node --test (e.g. a file list, or --test-name-pattern).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const files = args.filter((a) => a.endsWith('.ts'));
const flags = args.filter((a) => !a.endsWith('.ts'));
const walk = (d) =>
  readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)],
  );
const all = files.length
  ? files
  : walk('tests')
      .filter((f) => f.endsWith('.test.ts'))
      .sort();
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', ...flags, ...all],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
