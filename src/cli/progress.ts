/**
 * Progress of long work: a bar with step, loss, accuracy and ETA on a terminal; plain lines (one per
 * epoch) when stderr is not a terminal. Always on stderr, so `--json` output on stdout stays clean.
 */
import cliProgress from 'cli-progress';
import type { Callbacks } from '../training/loop.js';

export type ProgressFactory = (label: string) => Callbacks;

export function progress(opts: { quiet?: boolean } = {}): ProgressFactory {
  return (label) => {
    if (opts.quiet) return {};
    const tty = process.stderr.isTTY;
    let bar: cliProgress.SingleBar | undefined;
    let lastAcc = '–';
    const t0 = performance.now();
    return {
      onStep(step, total, loss) {
        if (!tty) return;
        if (!bar) {
          bar = new cliProgress.SingleBar(
            {
              format: `${label} {bar} {value}/{total} it | loss {loss} | test acc {acc} | ETA {eta_formatted}`,
              stream: process.stderr,
              hideCursor: true,
              clearOnComplete: true,
              etaBuffer: 200,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(total, step, { loss: '–', acc: lastAcc });
        }
        if (step % 10 === 0 || step === total) bar.update(step, { loss: loss.toFixed(4), acc: lastAcc });
        if (step === total) bar.stop();
      },
      onEpoch(e) {
        lastAcc = `${(e.test.accuracy * 100).toFixed(2)}%`;
        if (tty) return;
        const s = ((performance.now() - t0) / 1000).toFixed(1);
        const eta =
          e.step < e.totalSteps
            ? ` eta ${(((performance.now() - t0) / 1000 / e.step) * (e.totalSteps - e.step)).toFixed(0)}s`
            : '';
        process.stderr.write(
          `${label} epoch ${e.epoch} it ${e.step}/${e.totalSteps} train loss ${e.trainLoss.toFixed(4)} test loss ${e.test.loss.toFixed(4)} acc ${lastAcc} (${s}s${eta})\n`,
        );
      },
    };
  };
}
