/**
 * `sprig reproduce <paper>`: one paper's central experiment at CPU scale on Fashion-MNIST, over
 * several seeds, every training run through the store (a second call reads it back; a killed one
 * resumes), and a report — markdown table, JSON, SVG figures — with the claim and its verdict.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { RunStore } from '../store/store.js';
import { SprigError } from '../util/errors.js';
import { PAPER_NAMES, paperOf, reproduce } from '../reproduce/index.js';
import { writeReport } from '../reproduce/report.js';
import { intervalText } from '../reproduce/claims.js';
import { addOutputFlags, list, type CommonOptions } from './flags.js';
import { progress } from './progress.js';
import { emit } from './output.js';

/** `--seeds 3` is seeds 0, 1, 2 (a count); `--seeds 7,8,9` (or `7,`) names the seeds. */
export function parseSeeds(v: string): number[] {
  const bad = () =>
    new SprigError(
      `--seeds ${v} is neither a count nor a list of seeds`,
      'pass e.g. --seeds 3 or --seeds 7,8,9',
    );
  const items = list(v);
  if (!items.length || items.some((x) => !/^\d+$/.test(x))) throw bad();
  const nums = items.map(Number);
  if (!v.includes(',')) {
    if (nums[0]! < 1) throw bad();
    return Array.from({ length: nums[0]! }, (_, i) => i);
  }
  if (new Set(nums).size !== nums.length)
    throw new SprigError(`--seeds ${v} lists a seed twice`, 'list each seed once');
  return nums;
}

export function register(program: Command): void {
  addOutputFlags(
    program
      .command('reproduce')
      .argument('<paper>', PAPER_NAMES.join(', '))
      .description(
        "run a paper's central experiment on Fashion-MNIST over seeds and report whether its claim holds",
      )
      .option(
        '--seeds <n|list>',
        'a count n (seeds 0 … n−1; default 3) or a list of seeds, e.g. 7,8,9',
        parseSeeds,
      )
      .option('--quick', 'tiny synthetic settings that only exercise the pipeline (for tests)')
      .option('--out <dir>', 'report directory (default <root>/reproduce/<paper>[-quick])'),
  ).action((name: string, o: CommonOptions & { seeds?: number[]; quick?: boolean; out?: string }) => {
    const paper = paperOf(name);
    const seeds = o.seeds ?? [0, 1, 2];
    const store = new RunStore(o.root);
    const quiet = Boolean(o.quiet || o.json);
    const log = (line: string) => {
      if (!quiet) process.stderr.write(`${line}\n`);
    };
    const command = `sprig reproduce ${name} --seeds ${seeds.join(',')}${seeds.length === 1 ? ',' : ''}${o.quick ? ' --quick' : ''}`;
    try {
      const report = reproduce(
        paper,
        {
          store,
          seeds,
          quick: Boolean(o.quick),
          log,
          callbacks: progress({ quiet }),
        },
        command,
      );
      const dir = o.out ?? join(store.root, 'reproduce', `${name}${o.quick ? '-quick' : ''}`);
      const files = writeReport(dir, report);
      emit(o.json, { ...report, figures: report.figures.map((f) => f.name), files }, () =>
        [
          `${paper.title}`,
          `claim: ${paper.claim}`,
          `seeds: ${seeds.join(', ')}`,
          ...report.checks.map(
            (c) => `  ${c.verdict}: ${c.what}: ${intervalText(c)}${c.caveat ? ` (${c.caveat})` : ''}`,
          ),
          `verdict at this scale: ${report.verdict} (${report.wallSeconds.toFixed(0)} s)`,
          `report: ${files[0]}`,
        ].join('\n'),
      );
    } finally {
      store.close();
    }
  });
}
