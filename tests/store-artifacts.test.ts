/** The store's artifacts: atomic writes that clean up, clear errors for damaged files, the index rebuilt. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJson, writeJson } from '../src/store/artifacts.js';
import { RunStore, ensureDir } from '../src/store/store.js';
import { loadCheckpoint, saveCheckpoint } from '../src/store/checkpoint.js';
import { writeAtomic } from '../src/store/atomic.js';
import { SprigError } from '../src/util/errors.js';
import { sprig, sprigJson, tempRoot } from './helpers.js';

test('a failed atomic write names the path and the OS error and leaves no temporary', () => {
  const root = tempRoot();
  const target = join(root, 'gone', 'x.json');
  assert.throws(
    () => writeAtomic(target, [Buffer.from('{}')]),
    (e: Error) => {
      assert.ok(e instanceof SprigError);
      assert.match(e.message, /could not write .*gone\/x\.json: ENOENT/);
      assert.match(e.message, /fix: /);
      return true;
    },
  );
  assert.deepEqual(readdirSync(root), []);
});

test('damaged JSON and checkpoints are named with their fix', () => {
  const root = tempRoot();
  const json = join(root, 'result.json');
  writeJson(json, { testAccuracy: 0.5 });
  writeFileSync(json, readFileSync(json, 'utf8').slice(0, 10));
  // Caught by its size in the manifest, and without a manifest (an older store) by its parse.
  const retrain = /\n\s+fix: move the damaged run aside with `sprig verify --move-aside/;
  assert.throws(() => readJson(json), /result\.json is corrupt \(10 bytes where 26 were written\)/);
  assert.throws(() => readJson(json), retrain);
  const ck = join(root, 'checkpoint.bin');
  saveCheckpoint(ck, { meta: { step: 3 }, arrays: new Map([['w/a', new Float32Array(100)]]) });
  writeFileSync(ck, readFileSync(ck).subarray(0, 200));
  assert.throws(
    () => loadCheckpoint(ck),
    /checkpoint\.bin is corrupt \(200 bytes where .*\n\s+fix: delete it/,
  );
  unlinkSync(join(root, 'manifest.json'));
  assert.throws(() => readJson(json), /result\.json is corrupt \(.*JSON/);
  assert.equal(readJson(join(root, 'missing.json')), undefined);
  assert.throws(
    () => loadCheckpoint(ck),
    /checkpoint .*checkpoint\.bin is corrupt \(truncated\)\n\s+fix: delete it/,
  );
});

test('directories under /proc fail at once instead of looping', () => {
  const t0 = Date.now();
  assert.throws(() => ensureDir('/proc/forbidden/a/b'), /ENOENT|EACCES|EPERM/);
  assert.ok(Date.now() - t0 < 2000);
});

test('an exact run id wins over the runs it prefixes', () => {
  const root = tempRoot();
  const store = new RunStore(root);
  store.index.upsertRun({ runId: 'lottery_ab', kind: 'lottery', status: 'finished', hparams: {} });
  store.index.upsertRun({
    runId: 'lottery_ab.r0.L1',
    kind: 'lottery_level',
    status: 'finished',
    parent: 'lottery_ab',
    hparams: {},
  });
  store.close();
  assert.equal(sprigJson<{ runId: string }>(['show', 'lottery_ab', '--root', root]).runId, 'lottery_ab');
  assert.match(sprig(['show', 'lottery_a', '--root', root]).stderr, /matches 2 runs/);
});

test('the index is rebuilt from the run directories: by command, and when it is corrupt', () => {
  const root = tempRoot();
  const args = [
    'train',
    '--dataset',
    'synthetic',
    '--model',
    'mlp_32',
    '--train-steps',
    '2ep',
    '--quiet',
    '--root',
    root,
  ];
  const trained = sprigJson<{ runId: string; testAccuracy: number }>(args);
  // An unfinished run too (a directory with hparams.json only) and a damaged one.
  mkdirSync(join(root, 'train_0123456789abcdef'));
  writeJson(join(root, 'train_0123456789abcdef', 'hparams.json'), { model: { name: 'mlp_32' } });
  mkdirSync(join(root, 'train_fedcba9876543210'));
  writeFileSync(join(root, 'train_fedcba9876543210', 'hparams.json'), '{"trunc');

  writeFileSync(join(root, 'index.sqlite'), 'not a database '.repeat(100));
  for (const ext of ['-wal', '-shm'])
    if (existsSync(join(root, 'index.sqlite' + ext))) writeFileSync(join(root, 'index.sqlite' + ext), '');
  const listed = sprig(['runs', '--root', root, '--json']);
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stderr, /index\.sqlite is corrupt; rebuilding it/);
  assert.match(listed.stderr, /train_fedcba9876543210\/hparams\.json is corrupt/);
  const rows = JSON.parse(listed.stdout) as {
    runId: string;
    status: string;
    result: { testAccuracy?: number };
  }[];
  const byId = new Map(rows.map((r) => [r.runId, r]));
  assert.equal(byId.get(trained.runId)?.status, 'finished');
  assert.equal(byId.get(trained.runId)?.result.testAccuracy, trained.testAccuracy);
  // No process owns it, so it is not running: re-running its command resumes it.
  assert.equal(byId.get('train_0123456789abcdef')?.status, 'interrupted');

  const re = sprigJson<{ runs: number }>(['reindex', '--root', root]);
  assert.equal(re.runs, 2);
  const shown = sprigJson<{ metrics: { name: string }[] }>(['show', trained.runId, '--root', root]);
  assert.ok(
    shown.metrics.some((m) => m.name === 'testAccuracy'),
    'metrics come back from result.json',
  );
  // A truncated result.json is named, with its fix, instead of a raw SyntaxError.
  const dir = join(root, trained.runId);
  writeFileSync(join(dir, 'result.json'), '{"runId": "tr');
  const again = sprig(args);
  assert.equal(again.status, 2);
  assert.match(again.stderr, new RegExp(`${dir}/result\\.json is corrupt`));
});
