/**
 * The run store: one directory per run, named by the hash of its hyperparameters, holding
 * hparams.json, the checkpoint, metrics and result.json; plus the SQLite index. A finished run
 * (result.json present) is never trained again or overwritten: asking for it returns what it stored.
 */
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
  unlinkSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { SprigError } from '../util/errors.js';
import { writeAtomic } from '../training/checkpoint.js';
import { RunIndex } from './index-db.js';

export const DEFAULT_ROOT = 'runs';

export function defaultRoot(): string {
  return process.env.SPRIG_ROOT || DEFAULT_ROOT;
}

export class RunStore {
  readonly root: string;
  private indexDb?: RunIndex;

  constructor(root: string = defaultRoot()) {
    this.root = resolve(root);
    try {
      mkdirSync(this.root, { recursive: true });
      accessSync(this.root, constants.W_OK);
      const probe = join(this.root, `.write-test-${process.pid}`);
      writeFileSync(probe, '');
      unlinkSync(probe);
    } catch (e) {
      throw new SprigError(
        `the run store ${this.root} is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        'pass --root DIR (or set SPRIG_ROOT) to a directory you can write to',
      );
    }
  }

  get index(): RunIndex {
    this.indexDb ??= new RunIndex(join(this.root, 'index.sqlite'));
    return this.indexDb;
  }

  /** Directory of a run; `parent` nests it (a lottery level under its experiment, a branch under its level). */
  dir(runId: string, parentDir?: string): string {
    return join(parentDir ?? this.root, runId);
  }

  /** Creates the run's directory and records its hyperparameters (once; they never change). */
  open(dir: string, hparams: unknown): void {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'hparams.json');
    const text = JSON.stringify(hparams, null, 2) + '\n';
    if (!existsSync(path)) writeAtomic(path, [Buffer.from(text)]);
  }

  readResult<R>(dir: string): R | undefined {
    const path = join(dir, 'result.json');
    if (!existsSync(path)) return undefined;
    return JSON.parse(readFileSync(path, 'utf8')) as R;
  }

  /** Records a finished run's result; refuses to replace one that exists. */
  writeResult(dir: string, result: unknown): void {
    const path = join(dir, 'result.json');
    if (existsSync(path))
      throw new SprigError(
        `${path} already exists; a finished run is never overwritten`,
        'delete the run directory to run it again',
      );
    writeAtomic(path, [Buffer.from(JSON.stringify(result, null, 2) + '\n')]);
  }

  close(): void {
    this.indexDb?.close();
    this.indexDb = undefined;
  }
}
