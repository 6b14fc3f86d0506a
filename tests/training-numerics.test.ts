import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/index.js';
import { Step } from '../src/training/step.js';
import { learningRate, type LrHparams } from '../src/training/lr.js';
import { Adam, Sgd } from '../src/training/optimizers.js';
import { crossEntropy, kdLoss } from '../src/training/losses.js';
import { metricsFromLogits } from '../src/training/evaluate.js';
import { SprigError } from '../src/util/errors.js';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('Step parses epochs, iterations and both', () => {
  assert.equal(Step.parse('40ep').iterations(100), 4000);
  assert.equal(Step.parse('500it').iterations(100), 500);
  assert.equal(Step.parse('2ep100it').iterations(469), 1038);
  assert.equal(Step.parse('2ep100it').toString(), '2ep100it');
  for (const bad of ['', 'ep', '10', '1.5ep', '3it2ep'])
    assert.throws(() => Step.parse(bad), SprigError, bad);
});

test('learning-rate schedules', () => {
  const h = (o: Partial<LrHparams>): LrHparams => ({
    lr: 0.1,
    lrSchedule: 'constant',
    milestones: [],
    gamma: 0.1,
    warmup: 0,
    ...o,
  });
  close(learningRate(h({}), 999, 1000), 0.1);
  const ms = h({ lrSchedule: 'multistep', milestones: [10, 20] });
  close(learningRate(ms, 9, 30), 0.1);
  close(learningRate(ms, 10, 30), 0.01);
  close(learningRate(ms, 25, 30), 0.001);
  const cos = h({ lrSchedule: 'cosine' });
  close(learningRate(cos, 0, 100), 0.1);
  close(learningRate(cos, 50, 100), 0.05);
  close(learningRate(cos, 100, 100), 0);
  const wu = h({ warmup: 4 });
  close(learningRate(wu, 0, 100), 0.025);
  close(learningRate(wu, 3, 100), 0.1);
  close(learningRate(wu, 4, 100), 0.1);
});

test('SGD with momentum, Nesterov and weight decay, by hand', () => {
  // PyTorch: d = g + wd·w; v = μv + d; w -= lr·v (Nesterov: w -= lr·(d + μv))
  const w = Float32Array.of(1, -2);
  const sgd = new Sgd({ momentum: 0.9, nesterov: false, weightDecay: 0.1 });
  sgd.update('w', w, Float32Array.of(0.5, 0.5), 0.1);
  close(w[0]!, 1 - 0.1 * (0.5 + 0.1));
  close(w[1]!, -2 - 0.1 * (0.5 - 0.2));
  sgd.update('w', w, Float32Array.of(0, 0), 0.1);
  close(w[0]!, 0.94 - 0.1 * (0.9 * 0.6 + 0.1 * 0.94), 1e-6);
  const n = Float32Array.of(1);
  new Sgd({ momentum: 0.9, nesterov: true, weightDecay: 0 }).update('n', n, Float32Array.of(1), 0.1);
  close(n[0]!, 1 - 0.1 * (1 + 0.9 * 1));
});

test('Adam first step moves each weight by lr·sign(g)', () => {
  const w = Float32Array.of(1, 1);
  const adam = new Adam({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  adam.update('w', w, Float32Array.of(3, -0.001), 0.01);
  close(w[0]!, 0.99, 1e-6);
  close(w[1]!, 1.01, 1e-4);
  const s = adam.state();
  adam.endStep();
  const again = new Adam({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  again.load(adam.state());
  assert.equal(again.state().scalars.t, 2);
  assert.equal(s.buffers.size, 2);
});

test('cross-entropy with label smoothing, by hand', () => {
  const logits = tf.tensor2d([[2, 0, 0]]);
  const y = tf.tensor1d([0], 'int32');
  const z = Math.log(Math.exp(2) + 2);
  close(crossEntropy(logits, y).dataSync()[0]!, z - 2, 1e-5);
  // ε = 0.3 over 3 classes: target (0.8, 0.1, 0.1)
  const ls = -(0.8 * (2 - z) + 0.1 * (0 - z) + 0.1 * (0 - z));
  close(crossEntropy(logits, y, 0.3).dataSync()[0]!, ls, 1e-5);
});

test('KD loss: α·T²·KL(teacher‖student) summed over classes, averaged over the batch, + (1−α)·CE', () => {
  const student = tf.tensor2d([
    [1, 0],
    [0, 0],
  ]);
  const teacherLogits = tf.tensor2d([
    [0, 1],
    [2, 0],
  ]);
  const y = tf.tensor1d([0, 1], 'int32');
  const T = 2;
  const alpha = 0.9;
  const sm = (a: number[]) => {
    const e = a.map((v) => Math.exp(v / T));
    const s = e.reduce((p, q) => p + q);
    return e.map((v) => v / s);
  };
  const rows: [number[], number[]][] = [
    [
      [1, 0],
      [0, 1],
    ],
    [
      [0, 0],
      [2, 0],
    ],
  ];
  let kl = 0;
  for (const [s, t] of rows) {
    const ps = sm(s);
    const pt = sm(t);
    kl += pt.reduce((a, p, i) => a + p * Math.log(p / ps[i]!), 0);
  }
  kl /= 2;
  const ce = (-(1 - Math.log(Math.E + 1)) - (0 - Math.log(2))) / 2;
  const want = alpha * T * T * kl + (1 - alpha) * ce;
  const got = kdLoss(() => teacherLogits, alpha, T)(student, y, tf.zeros([2, 1, 1, 1])).dataSync()[0]!;
  close(got, want, 1e-5);
});

test('metrics: loss, accuracy and soft error (mean of 1 − p_true)', () => {
  // row 0: p = (0.5, 0.5) true 0 (tie → argmax 0, correct); row 1: logits (ln 3, 0) true 1 → p_true 0.25
  const m = metricsFromLogits(Float32Array.of(0, 0, Math.log(3), 0), Int32Array.of(0, 1), 2);
  close(m.accuracy, 0.5);
  close(m.softError, (0.5 + 0.75) / 2, 1e-6);
  close(m.loss, (Math.log(2) + Math.log(4)) / 2, 1e-6);
});
