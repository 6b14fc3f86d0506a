/**
 * Bench-only networks written with tf ops, layer for layer the same as torch_reference.py
 * (used until/unless the model registry is available; also used by the kernel profiler).
 */
import { buffer, tf } from '../src/engine/index.js';
import { batchNormTrain, convLayer, denseLayer, nativeSgdUpdate, softmaxCrossEntropy } from '../src/engine/native.js';

/** SPRIG_BENCH_LAYERS=tf uses tf.fused.* (TF.js's own unfused-in-training path) instead of sprig's layer ops. */
const fusedLayers = process.env.SPRIG_BENCH_LAYERS !== 'tf';

export interface BenchNet {
  name: string;
  batch: number;
  inputShape: [number, number, number];
  params: Map<string, tf.Tensor>;
  forward(p: Map<string, tf.Tensor>, x: tf.Tensor4D, training: boolean): tf.Tensor2D;
}

function randn(shape: number[], std: number): tf.Tensor {
  return tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), tf.scalar(std));
}

class Builder {
  params = new Map<string, tf.Tensor>();
  conv(name: string, k: number, cin: number, cout: number, bias: boolean): void {
    this.params.set(`${name}.weight`, randn([k, k, cin, cout], Math.sqrt(2 / (k * k * cin))));
    if (bias) this.params.set(`${name}.bias`, tf.zeros([cout]));
  }
  dense(name: string, cin: number, cout: number): void {
    this.params.set(`${name}.weight`, randn([cin, cout], Math.sqrt(2 / cin)));
    this.params.set(`${name}.bias`, tf.zeros([cout]));
  }
  bn(name: string, c: number): void {
    this.params.set(`${name}.gamma`, tf.ones([c]));
    this.params.set(`${name}.beta`, tf.zeros([c]));
  }
}

const g = (p: Map<string, tf.Tensor>, n: string): tf.Tensor => p.get(n)!;

function dense(p: Map<string, tf.Tensor>, n: string, x: tf.Tensor2D, relu: boolean): tf.Tensor2D {
  if (fusedLayers) return denseLayer(x, g(p, `${n}.weight`) as tf.Tensor2D, g(p, `${n}.bias`), relu ? 'relu' : 'linear');
  return tf.fused.matMul({ a: x, b: g(p, `${n}.weight`) as tf.Tensor2D, bias: g(p, `${n}.bias`), activation: relu ? 'relu' : 'linear' });
}

function conv(
  p: Map<string, tf.Tensor>,
  n: string,
  x: tf.Tensor4D,
  stride: number,
  pad: 'same' | 'valid',
  relu: boolean,
  bias = true,
): tf.Tensor4D {
  const w = g(p, `${n}.weight`) as tf.Tensor4D;
  if (fusedLayers) return convLayer(x, w, stride, pad, bias ? g(p, `${n}.bias`) : undefined, relu ? 'relu' : 'linear');
  if (!bias) return tf.conv2d(x, w, stride, pad);
  return tf.fused.conv2d({ x, filter: w, strides: stride, pad, bias: g(p, `${n}.bias`), activation: relu ? 'relu' : 'linear' });
}

/** SPRIG_BENCH_BN=moments uses tf.moments + tf.batchNorm (the unfused path) instead. */
const fusedBn = process.env.SPRIG_BENCH_BN !== 'moments';

function bn(p: Map<string, tf.Tensor>, n: string, x: tf.Tensor4D): tf.Tensor4D {
  if (fusedBn) return batchNormTrain(x, g(p, `${n}.gamma`) as tf.Tensor1D, g(p, `${n}.beta`) as tf.Tensor1D, 1e-5);
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm(x, mean, variance, g(p, `${n}.beta`), g(p, `${n}.gamma`), 1e-5);
}

export function benchNet(name: string): BenchNet {
  const b = new Builder();
  switch (name) {
    case 'lenet300':
      b.dense('fc1', 784, 300);
      b.dense('fc2', 300, 100);
      b.dense('fc3', 100, 10);
      return {
        name,
        batch: 60,
        inputShape: [28, 28, 1],
        params: b.params,
        forward: (p, x) => {
          let h = tf.reshape(x, [x.shape[0], 784]) as tf.Tensor2D;
          h = dense(p, 'fc1', h, true);
          h = dense(p, 'fc2', h, true);
          return dense(p, 'fc3', h, false);
        },
      };
    case 'lenet5':
      b.conv('conv1', 5, 1, 6, true);
      b.conv('conv2', 5, 6, 16, true);
      b.dense('fc1', 256, 120);
      b.dense('fc2', 120, 84);
      b.dense('fc3', 84, 10);
      return {
        name,
        batch: 128,
        inputShape: [28, 28, 1],
        params: b.params,
        forward: (p, x) => {
          let h = conv(p, 'conv1', x, 1, 'valid', true);
          h = tf.maxPool(h, 2, 2, 'valid');
          h = conv(p, 'conv2', h, 1, 'valid', true);
          h = tf.maxPool(h, 2, 2, 'valid');
          let f = tf.reshape(h, [h.shape[0], 256]) as tf.Tensor2D;
          f = dense(p, 'fc1', f, true);
          f = dense(p, 'fc2', f, true);
          return dense(p, 'fc3', f, false);
        },
      };
    case 'conv4':
      b.conv('conv1', 3, 3, 64, true);
      b.conv('conv2', 3, 64, 64, true);
      b.conv('conv3', 3, 64, 128, true);
      b.conv('conv4', 3, 128, 128, true);
      b.dense('fc1', 8192, 256);
      b.dense('fc2', 256, 256);
      b.dense('fc3', 256, 10);
      return {
        name,
        batch: 60,
        inputShape: [32, 32, 3],
        params: b.params,
        forward: (p, x) => {
          let h = conv(p, 'conv1', x, 1, 'same', true);
          h = conv(p, 'conv2', h, 1, 'same', true);
          h = tf.maxPool(h, 2, 2, 'valid');
          h = conv(p, 'conv3', h, 1, 'same', true);
          h = conv(p, 'conv4', h, 1, 'same', true);
          h = tf.maxPool(h, 2, 2, 'valid');
          let f = tf.reshape(h, [h.shape[0], 8192]) as tf.Tensor2D;
          f = dense(p, 'fc1', f, true);
          f = dense(p, 'fc2', f, true);
          return dense(p, 'fc3', f, false);
        },
      };
    case 'resnet20': {
      b.conv('conv', 3, 3, 16, false);
      b.bn('bn', 16);
      const blocks: { n: string; stride: number; sc: boolean }[] = [];
      let cin = 16,
        i = 0;
      for (const [cout, stride] of [
        [16, 1],
        [32, 2],
        [64, 2],
      ] as const) {
        for (let k = 0; k < 3; k++) {
          const s = k === 0 ? stride : 1;
          const n = `blocks.${i++}`;
          b.conv(`${n}.conv1`, 3, cin, cout, false);
          b.bn(`${n}.bn1`, cout);
          b.conv(`${n}.conv2`, 3, cout, cout, false);
          b.bn(`${n}.bn2`, cout);
          const sc = s !== 1 || cin !== cout;
          if (sc) {
            b.conv(`${n}.sc`, 1, cin, cout, false);
            b.bn(`${n}.scbn`, cout);
          }
          blocks.push({ n, stride: s, sc });
          cin = cout;
        }
      }
      b.dense('fc', 64, 10);
      return {
        name,
        batch: 128,
        inputShape: [32, 32, 3],
        params: b.params,
        forward: (p, x) => {
          let h = tf.relu(bn(p, 'bn', conv(p, 'conv', x, 1, 'same', false, false)));
          for (const bl of blocks) {
            const y = tf.relu(bn(p, `${bl.n}.bn1`, conv(p, `${bl.n}.conv1`, h, bl.stride, 'same', false, false)));
            const z = bn(p, `${bl.n}.bn2`, conv(p, `${bl.n}.conv2`, y, 1, 'same', false, false));
            const s = bl.sc ? bn(p, `${bl.n}.scbn`, conv(p, `${bl.n}.sc`, h, bl.stride, 'valid', false, false)) : h;
            h = tf.relu(tf.add(z, s));
          }
          const f = tf.mean(h, [1, 2]) as tf.Tensor2D;
          return dense(p, 'fc', f, false);
        },
      };
    }
    default:
      throw new Error(`unknown bench net '${name}'`);
  }
}

/** One SGD step (lr 0.01, momentum 0.9) on fixed data; returns the loss. */
export function makeStep(net: BenchNet): { step: () => number; dispose: () => void } {
  const [h, w, c] = net.inputShape;
  const x = tf.randomNormal([net.batch, h, w, c], 0, 1, 'float32', 2) as tf.Tensor4D;
  const labels = tf.oneHot(tf.randomUniform([net.batch], 0, 10, 'int32', 3) as tf.Tensor1D, 10);
  const names = [...net.params.keys()];
  const vars = names.map((n) => tf.variable(net.params.get(n)!, true, `bench_${net.name}_${n}`));
  const moms = vars.map((v) => tf.zerosLike(v));
  const momBufs = moms.map((m) => new Float32Array(m.size));
  const lossFn = (...ps: tf.Tensor[]): tf.Scalar => {
    const p = new Map(names.map((n, i) => [n, ps[i]!] as const));
    const logits = net.forward(p, x, true);
    if (fusedLayers) return softmaxCrossEntropy(logits, labels as tf.Tensor2D);
    return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  };
  const vg = tf.valueAndGrads(lossFn);
  const step = (): number => {
    const loss = tf.tidy(() => {
      const { value, grads } = vg(vars);
      grads.forEach((gr, i) => {
        if (nativeSgdUpdate(buffer(vars[i]!), buffer(gr), momBufs[i]!, null, 0.01, 0.9, 0, false)) return;
        const m = tf.add(tf.mul(moms[i]!, tf.scalar(0.9)), gr);
        moms[i]!.dispose();
        moms[i] = tf.keep(m);
        vars[i]!.assign(tf.sub(vars[i]!, tf.mul(m, tf.scalar(0.01))));
      });
      return value;
    });
    const v = loss.dataSync()[0]!;
    loss.dispose();
    return v;
  };
  return {
    step,
    dispose: () => {
      x.dispose();
      labels.dispose();
      vars.forEach((v) => v.dispose());
      moms.forEach((m) => m.dispose());
    },
  };
}
