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
import { addOutputFlags, int, type CommonOptions } from './flags.js';
import { progress } from './progress.js';
import { emit } from './output.js';

export function register(program: Command): void {
  addOutputFlags(
    program
      .command('reproduce')
      .argument('<paper>', PAPER_NAMES.join(', '))
      .description(
        "run a paper's central experiment on Fashion-MNIST over seeds and report whether its claim holds",
      )
      .option('--seeds <n>', 'number of seeds (0 … n−1; default 3)', int)
      .option('--quick', 'tiny synthetic settings that only exercise the pipeline (for tests)')
      .option('--out <dir>', 'report directory (default <root>/reproduce/<paper>[-quick])'),
  ).action((name: string, o: CommonOptions & { seeds?: number; quick?: boolean; out?: string }) => {
    const paper = paperOf(name);
    const n = o.seeds ?? 3;
    if (!(n >= 1))
      throw new SprigError(`--seeds ${n} is not a number of seeds`, 'pass --seeds 3 (or at least 1)');
    const store = new RunStore(o.root);
    const quiet = Boolean(o.quiet || o.json);
    const log = (line: string) => {
      if (!quiet) process.stderr.write(`${line}\n`);
    };
    const command = `sprig reproduce ${name} --seeds ${n}${o.quick ? ' --quick' : ''}`;
    try {
      const report = reproduce(
        paper,
        {
          store,
          seeds: Array.from({ length: n }, (_, i) => i),
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
          ...report.checks.map((c) => `  ${c.holds ? 'holds' : 'does not hold'}: ${c.what}`),
          `verdict at this scale: the claim ${report.holds ? 'holds' : 'does not hold'} (${report.wallSeconds.toFixed(0)} s)`,
          `report: ${files[0]}`,
        ].join('\n'),
      );
    } finally {
      store.close();
    }
  });
}
