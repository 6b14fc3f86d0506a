/**
 * Nothing silently wrong: every artifact is checked against its run's manifest. Faults are injected
 * the way a failing disk or a curious user would make them (flipped bits, cut files, hand edits, a
 * deleted or copied store), and each must show as what it is, with a fix that really works.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  readFileSync,
  readdirSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { serveDashboard } from '../src/dashboard/server.js';
import { killWhen, sprig, sprigJson, tempRoot, TINY_TRAIN } from './helpers.js';

interface Trained {
  runId: string;
  runDir: string;
  testAccuracy: number;
  cached: boolean;
}

const train = (root: string, extra: string[] = []) =>
  sprigJson<Trained>(['train', ...TINY_TRAIN, ...extra, '--root', root]);

/** Flips one bit of the byte at `at` (negative: from the end): an exponent bit of a float32. */
function flipBit(path: string, at: number): void {
  const b = readFileSync(path);
  const i = at < 0 ? b.length + at : at;
  b[i] = b[i]! ^ 0x40;
  writeFileSync(path, b);
}

const listed = (root: string) =>
  new Map(
    sprigJson<{ runId: string; status: string; result: { testAccuracy?: number } | null }[]>([
      'runs',
      '--root',
      root,
    ]).map((r) => [r.runId, r]),
  );

test('flipped bits in weights.bin: corrupt in runs, show, verify and the dashboard; the fix retrains it to the same bits', async () => {
  const root = tempRoot();
  const first = train(root);
  const weights = join(first.runDir, 'weights.bin');
  const good = readFileSync(weights);
  flipBit(weights, -1);

  assert.equal(listed(root).get(first.runId)?.status, 'corrupt');
  assert.match(
    sprig(['runs', '--root', root]).stdout,
    new RegExp(`corrupt: ${first.runId}\\n\\s+fix: .*sprig verify --move-aside --root ${root}`),
  );
  const shown = sprig(['show', first.runId, '--root', root]);
  assert.match(shown.stdout, new RegExp(`${first.runId} \\(train, corrupt\\)`));
  assert.match(shown.stdout, /sprig verify --move-aside --root/);
  assert.match(shown.stdout, /files: weights\.bin: its sha-256 does not match the manifest/);
  const served = await serveDashboard({ root, port: 0 });
  try {
    const api = (await (await fetch(new URL('/api/runs', served.url))).json()) as {
      runs: { status: string }[];
    };
    assert.equal(api.runs[0]!.status, 'corrupt');
  } finally {
    await served.close();
  }

  const verify = sprig(['verify', '--root', root, '--json']);
  assert.equal(verify.status, 1, verify.stderr);
  const report = JSON.parse(verify.stdout) as {
    corrupt: number;
    runs: { runId: string; state: string; problems: string[] }[];
  };
  assert.equal(report.corrupt, 1);
  assert.deepEqual(
    report.runs.map((r) => [r.runId, r.state, r.problems]),
    [[first.runId, 'corrupt', ['weights.bin: its sha-256 does not match the manifest']]],
  );

  // A re-run does not return the damaged run as finished: it stops, naming the fix.
  const again = sprig(['train', ...TINY_TRAIN, '--root', root]);
  assert.equal(again.status, 2);
  assert.match(
    again.stderr,
    /weights\.bin: its sha-256 does not match[\s\S]*fix: move the damaged run aside/,
  );

  // The fix: move it aside, then the same command trains it anew, to the same bits.
  assert.equal(sprig(['verify', '--root', root, '--move-aside']).status, 0);
  assert.ok(readdirSync(root).some((n) => n.startsWith(`${first.runId}.corrupt-`)));
  const retrained = train(root);
  assert.equal(retrained.cached, false);
  assert.equal(retrained.testAccuracy, first.testAccuracy);
  assert.ok(readFileSync(weights).equals(good));
  assert.equal(listed(root).get(first.runId)?.status, 'finished');
  assert.equal(sprig(['verify', '--root', root]).status, 0);
});

test('a truncated weights.bin: export refuses it with the retrain fix, not "rm weights.bin"', () => {
  const root = tempRoot();
  const run = train(root);
  truncateSync(join(run.runDir, 'weights.bin'), 1000);
  assert.equal(listed(root).get(run.runId)?.status, 'corrupt');
  const r = sprig(['export', run.runId, '--root', root, '--format', 'sparse', '--no-evaluate']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /weights\.bin: 1000 bytes where \d+ were written/);
  assert.match(r.stderr, /fix: move the damaged run aside with `sprig verify --move-aside --root /);
  assert.doesNotMatch(r.stderr, /rm /);
});

test('an edited result.json or hparams.json is corrupt after reindex, and its claimed result is not shown', () => {
  const root = tempRoot();
  const a = train(root);
  const b = train(root, ['--lr', '0.05']);
  const result = join(a.runDir, 'result.json');
  writeFileSync(
    result,
    readFileSync(result, 'utf8').replace(/"testAccuracy": [0-9.]+/, '"testAccuracy": 0.1234'),
  );
  const hp = join(b.runDir, 'hparams.json');
  writeFileSync(hp, readFileSync(hp, 'utf8').replace('"lr": 0.05', '"lr": 0.07'));
  const re = sprig(['reindex', '--root', root]);
  assert.equal(re.status, 0, re.stderr);
  assert.match(re.stderr, new RegExp(`${a.runId} is corrupt: result\\.json`));
  assert.match(re.stderr, new RegExp(`${b.runId} is corrupt: hparams\\.json`));
  const rows = listed(root);
  assert.equal(rows.get(a.runId)?.status, 'corrupt');
  assert.equal(rows.get(a.runId)?.result, null);
  assert.equal(rows.get(b.runId)?.status, 'corrupt');
  const v = sprig(['verify', '--root', root]);
  assert.equal(v.status, 1);
  assert.match(v.stdout, new RegExp(`corrupt: ${a.runId}`));
  assert.match(v.stdout, new RegExp(`corrupt: ${b.runId}`));
});

test('a checkpoint that fails its check is never resumed from: the run starts over, with a warning, and ends on the same bits', async () => {
  const args = [
    'train',
    '--dataset',
    'synthetic',
    '--model',
    'mlp_16',
    '--train-steps',
    '40ep',
    '--batch-size',
    '8',
    '--momentum',
    '0.9',
    '--quiet',
  ];
  const reference = sprigJson<Trained>([...args, '--root', tempRoot()]);
  const root = tempRoot();
  const ck = () => {
    const d = existsSync(root) ? readdirSync(root).find((n) => n.startsWith('train_')) : undefined;
    return d ? join(root, d, 'checkpoint.bin') : '';
  };
  assert.ok(await killWhen([...args, '--root', root], () => !!ck() && existsSync(ck())), 'killed mid-run');
  flipBit(ck(), -1); // the last float of the last buffer
  const r = sprig([...args, '--root', root, '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stderr,
    /warning: .*checkpoint\.bin is corrupt .*not resuming from it .*this run starts over/,
  );
  const resumed = JSON.parse(r.stdout) as Trained;
  assert.equal(resumed.testAccuracy, reference.testAccuracy);
  assert.ok(
    readFileSync(join(resumed.runDir, 'weights.bin')).equals(
      readFileSync(join(reference.runDir, 'weights.bin')),
    ),
  );
});

test('a run stored before manifests is unverified, not corrupt', () => {
  const root = tempRoot();
  const run = train(root);
  unlinkSync(join(run.runDir, 'manifest.json'));
  assert.equal(listed(root).get(run.runId)?.status, 'finished');
  assert.match(
    sprig(['show', run.runId, '--root', root]).stdout,
    /files: unverified \(stored before checksums/,
  );
  const v = sprig(['verify', '--root', root]);
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /0 verified, 1 unverified \(stored before checksums/);
  assert.equal(train(root).cached, true);
});

test('liveness comes from the owner lock: a deleted run is missing, a copied store finds its runs, nothing is a ghost "running"', async () => {
  const root = tempRoot();
  const done = train(root);
  const args = [
    'train',
    '--dataset',
    'synthetic',
    '--model',
    'mlp_16',
    '--train-steps',
    '400ep',
    '--batch-size',
    '8',
    '--quiet',
    '--root',
    root,
  ];
  const ck = () =>
    readdirSync(root)
      .map((d) => join(root, d, 'checkpoint.bin'))
      .find((p) => existsSync(p));
  assert.ok(await killWhen(args, () => !!ck()), 'killed mid-run');
  const killedId = readdirSync(root).find((d) => d.startsWith('train_') && d !== done.runId)!;
  assert.equal(listed(root).get(killedId)?.status, 'interrupted');

  // Copy the store elsewhere and delete the original: the copy's runs are found where the copy is.
  const copy = join(tempRoot(), 'moved');
  cpSync(root, copy, { recursive: true });
  rmSync(root, { recursive: true });
  const rows = listed(copy);
  assert.equal(rows.get(done.runId)?.status, 'finished');
  assert.equal(rows.get(killedId)?.status, 'interrupted');
  const shown = sprigJson<{ dir: string }>(['show', done.runId, '--root', copy]);
  assert.equal(shown.dir, join(copy, done.runId));

  // A deleted run directory shows as missing (until reindex drops it), never as finished or running.
  rmSync(join(copy, done.runId), { recursive: true });
  rmSync(join(copy, killedId), { recursive: true });
  const gone = listed(copy);
  assert.equal(gone.get(done.runId)?.status, 'missing');
  assert.equal(gone.get(killedId)?.status, 'missing');
  assert.match(sprig(['show', done.runId, '--root', copy]).stdout, /directory is gone/);
});

test('bad roots and statuses fail with one line and a fix', () => {
  const root = tempRoot();
  train(root);
  const cases: [string[], RegExp][] = [
    [['runs', '--root', '/etc/passwd'], /\/etc\/passwd is not a run store: it is a file/],
    [
      ['runs', '--root', '/proc/self'],
      /\/proc\/self is not a run store: it holds neither index\.sqlite nor any run directory/,
    ],
    [['show', 'train_', '--root', '/proc/self'], /\/proc\/self is not a run store/],
    [['verify', '--root', '/etc/passwd'], /\/etc\/passwd is not a run store/],
    [
      ['runs', '--root', root, '--status', 'bogus'],
      /unknown status 'bogus'[\s\S]*fix: use one of: running, finished, failed, corrupt, interrupted, missing/,
    ],
  ];
  for (const [args, re] of cases) {
    const r = sprig(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, re);
    assert.match(r.stderr, /fix: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.equal(
    sprigJson<unknown[]>(['runs', '--root', tempRoot()]).length,
    0,
    'an empty directory is an empty store',
  );
});

test('an index without its runs table (copied without its -wal) is rebuilt from the run directories', async () => {
  const Database = (await import('better-sqlite3')).default;
  const root = tempRoot();
  const run = train(root);
  const tableless = () => {
    for (const ext of ['', '-wal', '-shm']) rmSync(join(root, 'index.sqlite' + ext), { force: true });
    const db = new Database(join(root, 'index.sqlite'));
    db.exec('CREATE TABLE unrelated (x)');
    db.close();
  };
  tableless();
  const ro = sprig(['runs', '--root', root, '--json']); // read-only: rebuilt into a private copy
  assert.equal(ro.status, 0, ro.stderr);
  assert.match(ro.stderr, /index\.sqlite (is corrupt|has no runs table); rebuilding it/);
  assert.deepEqual(
    (JSON.parse(ro.stdout) as { runId: string }[]).map((x) => x.runId),
    [run.runId],
  );
  tableless();
  const again = sprig(['train', ...TINY_TRAIN, '--root', root, '--json']); // a writer rebuilds it in place
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /index\.sqlite has no runs table; rebuilding it/);
  assert.equal(listed(root).get(run.runId)?.status, 'finished');
});

test('a truncated masks.bin is named with its path and a fix a user can run, which works', () => {
  const root = tempRoot();
  const args = ['lottery', ...TINY_TRAIN, '--levels', '1', '--root', root];
  const first = sprigJson<{ runId: string }>(args);
  const masks = join(root, first.runId, 'replicate_0', 'level_1', 'masks.bin');
  const good = readFileSync(masks);
  truncateSync(masks, 12);
  const r = sprig(args);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`${masks} is corrupt \\(12 bytes where ${good.length} were written\\)`));
  assert.match(r.stderr, /fix: move the damaged run aside with `sprig verify --move-aside --root /);
  assert.doesNotMatch(r.stderr, /serialiseMasks/);
  // Without a manifest (an older store) the parse catches it, still with the path.
  const manifest = join(root, first.runId, 'replicate_0', 'level_1', 'manifest.json');
  const saved = readFileSync(manifest);
  unlinkSync(manifest);
  assert.match(sprig(args).stderr, new RegExp(`${masks} is corrupt \\(not a sprig mask file`));
  writeFileSync(manifest, saved);
  assert.equal(sprig(['verify', '--move-aside', '--root', root]).status, 0);
  sprigJson(args);
  assert.ok(readFileSync(masks).equals(good), 'the level is pruned and trained anew, to the same mask');
});

test('runs, show and plot on a full disk say so: one line, the path, the fix', (t) => {
  const mnt = tempRoot('sprig-full-');
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status !== 0) return t.skip(`mount refused: ${m.stderr.trim()}`);
  try {
    const root = join(mnt, 'runs');
    const run = train(root);
    spawnSync('dd', ['if=/dev/zero', `of=${join(mnt, 'fill')}`, 'bs=4k']);
    for (const args of [['runs'], ['show', run.runId], ['plot', run.runId, '--out-dir', tempRoot()]]) {
      const r = sprig([...args, '--root', root]);
      assert.equal(r.status, 2, `${args[0]}: ${r.stdout}${r.stderr}`);
      assert.match(
        r.stderr,
        /index\.sqlite: ENOSPC .*\n\s+fix: free space on the disk holding .* \(it is full; df -h/,
      );
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    // verify reads only the run directories: it works on a full disk
    assert.equal(sprig(['verify', '--root', root]).status, 0);
  } finally {
    spawnSync('umount', [mnt]);
  }
});

test('hparams.json is checked against the run id, also in a run stored before manifests', () => {
  const root = tempRoot();
  const run = train(root, ['--lr', '0.05']);
  const dst = sprigJson<{ runId: string; runDir: string }>([
    'dst',
    ...TINY_TRAIN,
    '--sparsity',
    '0.5',
    '--root',
    root,
  ]);
  // Untouched, every kind's stored hyperparameters hash to its id.
  assert.equal(sprig(['verify', '--root', root]).status, 0);
  unlinkSync(join(run.runDir, 'manifest.json'));
  const hp = join(run.runDir, 'hparams.json');
  writeFileSync(hp, readFileSync(hp, 'utf8').replace('"lr": 0.05', '"lr": 0.07'));
  const v = sprig(['verify', '--root', root, '--json']);
  assert.equal(v.status, 1, v.stderr);
  const checked = JSON.parse(v.stdout) as { runs: { runId: string; state: string }[] };
  assert.deepEqual(
    checked.runs.filter((r) => r.state === 'corrupt').map((r) => r.runId),
    [run.runId],
  );
  assert.match(
    v.stdout,
    new RegExp(`hparams\\.json hashes to train_[0-9a-f]{16}, not to the run's id ${run.runId}`),
  );
  assert.equal(listed(root).get(run.runId)?.status, 'corrupt');
  assert.equal(listed(root).get(dst.runId)?.status, 'finished');
});

test('export on a full or read-only disk: one error with the fix, and no partial file', (t) => {
  const root = tempRoot();
  const run = train(root);
  const mnt = tempRoot('sprig-export-full-');
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status !== 0) return t.skip(`mount refused: ${m.stderr.trim()}`);
  try {
    spawnSync('dd', ['if=/dev/zero', `of=${join(mnt, 'fill')}`, 'bs=4k']);
    const exp = (out: string, format: string) =>
      sprig(['export', run.runId, '--root', root, '--format', format, '--out', out, '--no-evaluate']);
    for (const [out, format] of [
      [join(mnt, 'm.sprig'), 'sparse'],
      [join(mnt, 'tfjs'), 'tfjs'],
    ] as const) {
      const r = exp(out, format);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /: ENOSPC .*\n\s+fix: free space on the disk holding/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.deepEqual(readdirSync(mnt, { recursive: true }).sort(), ['fill', 'tfjs'], 'no partial file');
    spawnSync('mount', ['-o', 'remount,ro', mnt]);
    const ro = exp(join(mnt, 'ro', 'm.sprig'), 'sparse');
    assert.equal(ro.status, 2, ro.stderr);
    assert.match(ro.stderr, /could not create the export directory .*: EROFS/);
  } finally {
    spawnSync('umount', [mnt]);
  }
});

test('a sweep does not count a corrupt run as existing: its job runs and fails naming the fix', () => {
  const dir = tempRoot();
  const file = join(dir, 'sweep.json');
  const base = { dataset: 'synthetic', model: 'mlp_16', trainSteps: '2ep', batchSize: 32 };
  writeFileSync(file, JSON.stringify({ kind: 'train', base, grid: { lr: [0.05, 0.1] } }));
  const root = join(dir, 'runs');
  type Summary = { counts: Record<string, number>; runs: { runId: string; state: string; error?: string }[] };
  const first = sprigJson<Summary>(['sweep', file, '--root', root, '--workers', '1']);
  assert.equal(first.counts.finished, 2);
  flipBit(join(root, first.runs[0]!.runId, 'weights.bin'), -1);
  const r = sprig(['sweep', file, '--root', root, '--workers', '1', '--json']);
  const again = JSON.parse(r.stdout) as Summary;
  assert.equal(again.counts.exists, 1, r.stderr);
  const bad = again.runs.find((x) => x.runId === first.runs[0]!.runId)!;
  assert.equal(bad.state, 'failed');
  assert.match(bad.error ?? '', /weights\.bin: its sha-256 does not match/);
  assert.match(bad.error ?? '', /fix: move the damaged run aside with `sprig verify --move-aside/);
});
