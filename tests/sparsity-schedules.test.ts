import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultDropSchedule,
  dropFraction,
  gmpSparsity,
  gmpSparsityAt,
  isGmpPruneStep,
  isUpdateStep,
  validateDropSchedule,
  validateGmpSchedule,
  type DropSchedule,
  type GmpSchedule,
} from '../src/sparsity/schedules.js';

const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) < eps, `${a} vs ${b}`);

test('cosine drop fraction: α at 0, α/2 at T_end/2, 0 at T_end (RigL eq. 1)', () => {
  const s: DropSchedule = { dropFraction: 0.3, deltaT: 100, tEnd: 1000 };
  close(dropFraction(s, 0), 0.3);
  close(dropFraction(s, 500), 0.15);
  close(dropFraction(s, 1000), 0);
  close(dropFraction(s, 250), 0.15 * (1 + Math.SQRT1_2));
  close(dropFraction(s, 5000), 0); // clamped after T_end
});

test('constant and inverse-power decays; begin shifts t', () => {
  close(dropFraction({ dropFraction: 0.3, deltaT: 1, tEnd: 100, decay: 'constant' }, 70), 0.3);
  close(
    dropFraction({ dropFraction: 0.3, deltaT: 1, tEnd: 100, decay: 'inverse_power', power: 3 }, 50),
    0.3 * 0.125,
  );
  close(dropFraction({ dropFraction: 0.3, deltaT: 1, tEnd: 100, decay: 'inverse_power' }, 75), 0.075);
  close(dropFraction({ dropFraction: 0.4, deltaT: 1, tEnd: 300, begin: 100 }, 200), 0.2);
});

test('update steps: every ΔT after begin, up to and including T_end', () => {
  const s: DropSchedule = { dropFraction: 0.3, deltaT: 100, tEnd: 300 };
  const steps = Array.from({ length: 501 }, (_, t) => t).filter((t) => isUpdateStep(s, t));
  assert.deepEqual(steps, [100, 200, 300]);
  const b: DropSchedule = { ...s, begin: 50, tEnd: 260 };
  assert.deepEqual(
    Array.from({ length: 501 }, (_, t) => t).filter((t) => isUpdateStep(b, t)),
    [150, 250],
  );
});

test('validation: ΔT ≤ 0 and T_end past training are refused', () => {
  assert.throws(
    () => validateDropSchedule({ dropFraction: 0.3, deltaT: 0, tEnd: 10 }, 100),
    /ΔT \(deltaT\) = 0/,
  );
  assert.throws(() => validateDropSchedule({ dropFraction: 0.3, deltaT: -5, tEnd: 10 }, 100), /ΔT/);
  assert.throws(
    () => validateDropSchedule({ dropFraction: 0.3, deltaT: 10, tEnd: 101 }, 100),
    /T_end \(tEnd\) = 101 is past the end of training \(100 steps\)/,
  );
  assert.throws(
    () => validateDropSchedule({ dropFraction: 1.3, deltaT: 10, tEnd: 50 }, 100),
    /drop fraction/,
  );
  assert.throws(
    () => validateDropSchedule({ dropFraction: 0.3, deltaT: 10, tEnd: 50, decay: 'linear' as 'cosine' }, 100),
    /unknown drop-fraction decay/,
  );
  const d = defaultDropSchedule(97656);
  assert.equal(d.tEnd, 73242);
  validateDropSchedule(d, 97656);
});

test('GMP (Zhu & Gupta): s_i at start, s_f at end, cubic in between', () => {
  const g: GmpSchedule = { initialSparsity: 0, finalSparsity: 0.9, begin: 1000, end: 5000, frequency: 100 };
  close(gmpSparsity(g, 1000), 0);
  close(gmpSparsity(g, 5000), 0.9);
  close(gmpSparsity(g, 3000), 0.9 - 0.9 * 0.125);
  close(gmpSparsity(g, 0), 0);
  close(gmpSparsity(g, 9000), 0.9);
  close(gmpSparsity({ ...g, initialSparsity: 0.5 }, 1000), 0.5);
  assert.equal(isGmpPruneStep(g, 1000), true);
  assert.equal(isGmpPruneStep(g, 1050), false);
  assert.equal(isGmpPruneStep(g, 5000), true);
  assert.equal(isGmpPruneStep(g, 5100), false);
  // end not on the Δt grid: pruning also happens at end
  const r: GmpSchedule = { finalSparsity: 0.8, begin: 700, end: 1050, frequency: 100 };
  assert.deepEqual(
    Array.from({ length: 2000 }, (_, t) => t).filter((t) => isGmpPruneStep(r, t)),
    [700, 800, 900, 1000, 1050],
  );
  // sparsity in force: dense before t0, held between prune steps, s_f from end on
  close(gmpSparsityAt(g, 999), 0);
  close(gmpSparsityAt(g, 3050), gmpSparsity(g, 3000));
  close(gmpSparsityAt(g, 7000), 0.9);
});

test('GMP validation', () => {
  assert.throws(
    () => validateGmpSchedule({ finalSparsity: 1, begin: 0, end: 10, frequency: 1 }, 100),
    /final sparsity 1/,
  );
  assert.throws(
    () => validateGmpSchedule({ finalSparsity: 0.9, begin: 0, end: 200, frequency: 1 }, 100),
    /past the end of training/,
  );
  assert.throws(
    () => validateGmpSchedule({ finalSparsity: 0.9, begin: 50, end: 50, frequency: 1 }, 100),
    /not after its begin/,
  );
  assert.throws(
    () => validateGmpSchedule({ finalSparsity: 0.9, begin: 0, end: 50, frequency: 0 }, 100),
    /frequency/,
  );
  validateGmpSchedule({ finalSparsity: 0.9, begin: 0, end: 100, frequency: 10 }, 100);
});
