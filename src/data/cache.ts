/**
 * Per-process cache of loaded, normalised datasets, so loading Fashion-MNIST twice neither gunzips,
 * parses nor normalises again. Entries are keyed by dataset and directory, and re-read if a file's
 * size or mtime changes. Cached splits are shared between loads: treat them as read-only.
 */
import { statSync } from 'node:fs';
import type { Normalisation, Split } from './types.js';

/** A dataset's full train and test splits, normalised, before any validation/subset split. */
export interface BaseDataset {
  inputShape: [number, number, number];
  numClasses: number;
  normalisation: Normalisation;
  train: Split;
  test: Split;
}

interface Entry {
  stamp: string;
  base: BaseDataset;
}

const cache = new Map<string, Entry>();

function stampOf(files: string[]): string {
  return files
    .map((f) => {
      try {
        const s = statSync(f);
        return `${f}:${s.size}:${s.mtimeMs}`;
      } catch {
        return `${f}:missing`;
      }
    })
    .join('|');
}

/** The cached dataset for `key`, loading it when absent or when any of `files` changed. */
export function cachedDataset(key: string, files: string[], load: () => BaseDataset): BaseDataset {
  const stamp = stampOf(files);
  const hit = cache.get(key);
  if (hit && hit.stamp === stamp) return hit.base;
  const base = load();
  cache.set(key, { stamp, base });
  return base;
}

/** Drops every cached dataset (frees memory; tests use it to force a re-parse). */
export function clearDataCache(): void {
  cache.clear();
}

/** How many datasets are cached (for tests). */
export function dataCacheSize(): number {
  return cache.size;
}
