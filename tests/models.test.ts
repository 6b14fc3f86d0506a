import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/index.js';
import { MODELS, createModel, parameterCount } from '../src/models/registry.js';
import { Rng } from '../src/util/rng.js';
import { SprigError } from '../src/util/errors.js';

const mnist: [number, number, number] = [28, 28, 1];
const cifar: [number, number, number] = [32, 32, 3];

test('parameter counts match the papers', () => {
  // LeNet-300-100 with biases: 784·300+300 + 300·100+100 + 100·10+10 (Frankle & Carbin: 266K)
  assert.equal(parameterCount(createModel('mnist_lenet_300_100', mnist, 10)), 266_610);
  // ResNet-20 for CIFAR-10: 0.27M (He et al. 2016); with BN parameters and the 1×1 shortcuts
  assert.equal(parameterCount(createModel('cifar_resnet_20', cifar, 10)), 272_474);
  // Conv-2 4.3M, Conv-4 2.4M (Frankle & Carbin, Fig. 2)
  assert.equal(Math.round(parameterCount(createModel('cifar_conv2', cifar, 10)) / 1e5) / 10, 4.3);
  assert.equal(Math.round(parameterCount(createModel('cifar_conv4', cifar, 10)) / 1e5) / 10, 2.4);
  // ResNet-56 0.85M, ResNet-110 1.7M (He et al. 2016)
  assert.equal(Math.round(parameterCount(createModel('cifar_resnet_56', cifar, 10)) / 1e4) / 100, 0.86);
  assert.equal(Math.round(parameterCount(createModel('cifar_resnet_110', cifar, 10)) / 1e5) / 10, 1.7);
  // LeNet-5 (gradient-flow paper's MNIST config): 6 and 16 5×5 filters, FC 120, 84, 10
  assert.equal(parameterCount(createModel('mnist_lenet5', mnist, 10)), 44_426);
});

test('prunable weights have stable names, biases and batch norm do not prune', () => {
  const m = createModel('mnist_lenet_300_100', mnist, 10);
  assert.deepEqual(
    m.specs.map((s) => `${s.name}:${s.prunable ? 'p' : '-'}`),
    ['fc1.weight:p', 'fc1.bias:-', 'fc2.weight:p', 'fc2.bias:-', 'fc.weight:p', 'fc.bias:-'],
  );
  assert.deepEqual(
    m.specs.filter((s) => s.isOutput).map((s) => s.name),
    ['fc.weight'],
  );
  const r = createModel('cifar_resnet_20', cifar, 10);
  assert.ok(r.specs.some((s) => s.name === 'blocks.3.shortcut.conv.weight' && s.prunable));
  assert.ok(r.specs.filter((s) => s.kind.startsWith('bn_')).every((s) => !s.prunable));
  assert.equal(new Set(r.specs.map((s) => s.name)).size, r.specs.length);
});

test('every model runs forward on both MNIST and CIFAR shapes (input shape follows the dataset)', () => {
  for (const name of Object.keys(MODELS)) {
    for (const shape of [mnist, cifar]) {
      const m = createModel(name, shape, 7);
      const init = m.init(new Rng(1));
      tf.tidy(() => {
        const p = Object.fromEntries(m.specs.map((s) => [s.name, tf.tensor(init.get(s.name)!, s.shape)]));
        const y = m.forward(p, tf.zeros([1, ...shape]) as tf.Tensor4D, false);
        assert.deepEqual(y.shape, [1, 7], `${name} on ${shape}`);
      });
    }
  }
});

test('configurable MLP and unknown names', () => {
  const m = createModel('mlp_20_10', [8, 8, 1], 4);
  assert.equal(parameterCount(m), 64 * 20 + 20 + 20 * 10 + 10 + 10 * 4 + 4);
  assert.throws(
    () => createModel('resnet9000', mnist, 10),
    (e: unknown) => e instanceof SprigError && /mnist_lenet_300_100/.test(e.message),
  );
});

test('Kaiming-normal init: weight std ≈ √(2/fan_in), zero biases, unit BN scale', () => {
  const m = createModel('cifar_resnet_20', cifar, 10);
  const init = m.init(new Rng(3));
  const w = init.get('blocks.8.conv2.weight')!;
  const std = Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length);
  assert.ok(Math.abs(std / Math.sqrt(2 / (3 * 3 * 64)) - 1) < 0.02, `std ${std}`);
  assert.ok(init.get('fc.bias')!.every((v) => v === 0));
  assert.ok(init.get('bn.weight')!.every((v) => v === 1));
});
