/** `sprig verify`: checks every run's files against its manifest, and names each damaged run. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { retrainFix } from '../store/faults.js';
import { checkStoreRoot, RunStore } from '../store/store.js';
import { moveAside, verifyStore, type StoreCheck } from '../store/verify.js';
import { addOutputFlags, type CommonOptions } from './flags.js';
import { emit } from './output.js';

export function register(program: Command): void {
  addOutputFlags(
    program
      .command('verify')
      .description(
        "check every run's files against its manifest of sha-256 digests; exits 1 naming each damaged run",
      )
      .option(
        '--move-aside',
        'move each damaged run to <dir>.corrupt-<time>, so the command that made it trains it anew',
      ),
  ).action((o: CommonOptions & { moveAside?: boolean }) => {
    const root = resolve(o.root);
    checkStoreRoot(root);
    const runs = verifyStore(root);
    const bad = runs.filter((r) => r.state === 'corrupt');
    if (o.moveAside && bad.length) {
      for (const r of bad) r.movedTo = moveAside(r.dir);
      const store = new RunStore(root);
      store.reindex(); // the moved runs leave the index; their commands train them anew
      store.close();
    }
    const count = (s: StoreCheck['state']) => runs.filter((r) => r.state === s).length;
    const summary = { root, verified: count('ok'), unverified: count('unverified'), corrupt: bad.length };
    emit(o.json, { ...summary, runs }, () => human(summary, bad, !!o.moveAside));
    if (bad.length && !o.moveAside) process.exitCode = 1;
  });
}

function human(
  s: { root: string; verified: number; unverified: number; corrupt: number },
  bad: StoreCheck[],
  moved: boolean,
) {
  const lines = bad.flatMap((r) => [
    `corrupt: ${r.runId} (${r.dir})${r.movedTo ? `, moved to ${r.movedTo}` : ''}`,
    ...r.problems.map((p) => `  ${p}`),
  ]);
  lines.push(
    `${s.root}: ${s.verified} verified, ${s.unverified} unverified (stored before checksums: nothing to check them against), ${s.corrupt} corrupt`,
  );
  if (bad.length)
    lines.push(
      moved ? 'run the commands that made them again: they train anew' : `fix: ${retrainFix(s.root)}`,
    );
  return lines.join('\n');
}
