import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SprigError } from '../util/errors.js';
import { RunStore } from '../store/store.js';
import { INDEX_FILE } from '../store/artifacts.js';
import { remoteLocation } from '../sweep/ingest.js';
import { VALUE_FORMATS, type ValueFormat } from '../loader/format.js';
import { EXPORT_FORMATS, TFJS_QUANTIZE, type ExportFormat } from '../export/formats.js';
import type { ExportResult } from '../export/run.js';
import { addOutputFlags, type CommonOptions } from './flags.js';
import { emit, pct } from './output.js';

function oneOf<T extends string>(what: string, v: string, valid: readonly T[]): T {
  if (!(valid as readonly string[]).includes(v))
    throw new SprigError(`unknown ${what} '${v}'`, `use one of: ${valid.join(', ')}`);
  return v as T;
}

export function register(program: Command): void {
  addOutputFlags(
    program
      .command('export')
      .argument('<run>', 'a finished run: its directory, or its run id under --root')
      .description(
        "a finished run's model as a TF.js LayersModel (model.json + weights.bin) or sprig's compact sparse file",
      ),
  )
    .option('--format <format>', `${EXPORT_FORMATS.join(' or ')}`, 'tfjs')
    .option('--out <path>', 'tfjs: output directory; sparse: output file (default: <run>/export/…)')
    .option('--values <fmt>', `sparse: value format of prunable weights, ${VALUE_FORMATS.join('|')}`, 'fp16')
    .option(
      '--int8-scale <mode>',
      "int8: 'channel' (one scale per output channel, default) or 'tensor'",
      'channel',
    )
    .option(
      '--quantize <dtype>',
      `tfjs: store the prunable kernels with TF.js's own weight quantisation, ${TFJS_QUANTIZE.join('|')} (tf.loadLayersModel dequantises; default none, fp32)`,
    )
    .option('--no-evaluate', 'skip loading the export back and measuring its test accuracy')
    .action(async (run: string, o: CommonOptions) => {
      const format = oneOf<ExportFormat>('export format', String(o.format), EXPORT_FORMATS);
      const values = oneOf<ValueFormat>('value format', String(o.values), VALUE_FORMATS);
      const int8Scale = oneOf('int8 scale', String(o.int8Scale), ['channel', 'tensor'] as const);
      const quantize =
        o.quantize === undefined ? undefined : oneOf('quantisation', String(o.quantize), TFJS_QUANTIZE);
      // loaded here: TF.js layers cost every sprig command ~0.1 s to import
      const { exportRun, resolveRun } = await import('../export/run.js');
      const dir = resolveOrSayWhere(resolveRun, run, o.root);
      const out =
        (o.out as string | undefined) ??
        `${dir}/export/${format === 'tfjs' ? 'tfjs' : `model.${values}.sprig`}`;
      const r = await exportRun(dir, {
        format,
        out,
        values,
        int8Scale,
        quantize,
        evaluate: o.evaluate !== false,
        root: o.root,
      });
      emit(o.json, r, () => human(r));
    });
}

/**
 * A run trained by a sweep worker on another machine is in this store's index but not on its disk:
 * the error names the machine and directory that hold its files.
 */
function resolveOrSayWhere(resolveRun: (run: string, root: string) => string, run: string, root: string) {
  try {
    return resolveRun(run, root);
  } catch (e) {
    if (!(e instanceof SprigError) || !existsSync(join(root, INDEX_FILE))) throw e;
    const store = new RunStore(root);
    const loc = (() => {
      try {
        return remoteLocation(store, run);
      } finally {
        store.close();
      }
    })();
    if (!loc) throw e;
    const dir = loc.runDir ?? join(loc.root, run);
    throw new SprigError(
      `run ${run} was trained by a sweep worker on ${loc.host}; its files are in ${loc.host}:${dir}, not under ${root}`,
      `copy that directory here (e.g. rsync -a ${loc.host}:${dir} ${join(root, run)}) or run export on ${loc.host}`,
    );
  }
}

function human(r: ExportResult): string {
  const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
  const lines = [
    `exported ${r.runDir} as ${r.format}${r.values ? ` (${r.values} values)` : ''}${r.quantize ? ` (kernels quantised to ${r.quantize})` : ''}:`,
    ...r.files.map((f) => `  ${f.path}  ${kb(f.bytes)}`),
    `  ${kb(r.bytes)} in all = ${(r.sizeRatio * 100).toFixed(2)}% of the dense fp32 weights (${kb(r.denseWeightBytes)})`,
  ];
  if (r.exportTestAccuracy !== undefined)
    lines.push(
      `  test accuracy: sprig ${pct(r.sprigTestAccuracy)}, export loaded with TF.js ${pct(r.exportTestAccuracy)} (same class on ${pct(r.agreement)} of examples; max ${r.compared === 'probabilities' ? 'probability' : 'logit'} difference ${r.maxLogitDiff!.toExponential(2)})`,
    );
  return lines.join('\n');
}
