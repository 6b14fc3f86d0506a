/** Conv2D, FusedConv2D and the two conv gradients on the addon's oneDNN convolutions (native/src/conv.cc). */
import * as tf from '@tensorflow/tfjs-core';
import type { Activation, NativeAddon } from '../addon.js';
import type { CpuBackend, KernelArgs } from '../cpu-backend.js';
import { convGeometry, convInfo } from '../geometry.js';
import { alloc } from '../../pool.js';
import { dataFormatOk, f32, fusedEpilogue, out, size, type ImplTable } from './util.js';

function conv(nat: NativeAddon, args: KernelArgs, be: CpuBackend, fused: boolean): tf.TensorInfo | null {
  const { x, filter } = args.inputs;
  const X = f32(be, x),
    W = f32(be, filter);
  const attrs = args.attrs ?? {};
  if (!X || !W || !x || !filter || x.shape.length !== 4 || !dataFormatOk(attrs.dataFormat)) return null;
  const ci = convInfo(x.shape, filter.shape, attrs, (attrs.dilations ?? 1) as [number, number]);
  let bias: Float32Array | null = null;
  let activation: Activation = { act: 0, alpha: 0 };
  if (fused) {
    const e = fusedEpilogue(args, be, ci.outChannels, false);
    if (!e) return null;
    ({ bias, activation } = e);
  }
  const y = alloc(size(ci.outShape));
  if (y.length === 0) return null;
  nat.convFwd(y, X, W, bias, { ...convGeometry(ci), ...activation });
  return out(be, ci.outShape, y);
}

/** dx from dy and the filter; the input's shape is an attribute. */
function backpropInput(nat: NativeAddon, args: KernelArgs, be: CpuBackend): tf.TensorInfo | null {
  const { dy, filter } = args.inputs;
  const DY = f32(be, dy),
    W = f32(be, filter);
  const attrs = args.attrs ?? {};
  if (!DY || !W || !filter || !dataFormatOk(attrs.dataFormat)) return null;
  const inShape = attrs.inputShape as [number, number, number, number];
  const ci = convInfo(inShape, filter.shape, attrs);
  const dx = alloc(size(inShape));
  if (dx.length === 0 || DY.length !== size(ci.outShape)) return null;
  nat.convBwdData(dx, DY, W, convGeometry(ci));
  return out(be, inShape, dx);
}

/** dW from x and dy; the filter's shape is an attribute. */
function backpropFilter(nat: NativeAddon, args: KernelArgs, be: CpuBackend): tf.TensorInfo | null {
  const { x, dy } = args.inputs;
  const X = f32(be, x),
    DY = f32(be, dy);
  const attrs = args.attrs ?? {};
  if (!X || !DY || !x || !dataFormatOk(attrs.dataFormat)) return null;
  const fs = attrs.filterShape as [number, number, number, number];
  const ci = convInfo(x.shape, fs, attrs);
  const dw = alloc(size(fs));
  if (dw.length === 0 || DY.length !== size(ci.outShape)) return null;
  nat.convBwdWeights(dw, X, DY, convGeometry(ci));
  return out(be, fs, dw);
}

export const convImpls: ImplTable = (nat) => ({
  [tf.Conv2D]: (args, be) => conv(nat, args, be, false),
  [tf.FusedConv2D]: (args, be) => conv(nat, args, be, true),
  [tf.Conv2DBackpropInput]: (args, be) => backpropInput(nat, args, be),
  [tf.Conv2DBackpropFilter]: (args, be) => backpropFilter(nat, args, be),
});
