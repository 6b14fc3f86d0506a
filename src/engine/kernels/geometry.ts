/** Convolution and pooling geometry, from TF.js's Conv2DInfo to the addon's options. */
import * as tf from '@tensorflow/tfjs-core';
import type { ConvGeometry, PoolGeometry } from './addon.js';

type Shape4 = [number, number, number, number];

/** A channels-last conv's Conv2DInfo from its input and filter shapes and TF.js's attributes. */
export function convInfo(
  x: readonly number[],
  filter: readonly number[],
  attrs: Record<string, unknown>,
  dilations: number | [number, number] = 1,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    x as Shape4,
    filter as Shape4,
    attrs.strides as [number, number],
    dilations,
    attrs.pad as 'same',
    attrs.dimRoundingMode as 'floor',
    false,
    'channelsLast',
  );
}

/** A pooling's Conv2DInfo from its input shape and TF.js's attributes. */
export function poolInfo(x: readonly number[], attrs: Record<string, unknown>): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    x as Shape4,
    attrs.filterSize as [number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as 'same',
    attrs.dimRoundingMode as 'floor',
  );
}

/** A conv's geometry as the addon's dense conv functions take it. */
export function convGeometry(ci: tf.backend_util.Conv2DInfo): ConvGeometry {
  const p = ci.padInfo;
  return {
    batchSize: ci.batchSize,
    inHeight: ci.inHeight,
    inWidth: ci.inWidth,
    inChannels: ci.inChannels,
    filterHeight: ci.filterHeight,
    filterWidth: ci.filterWidth,
    outChannels: ci.outChannels,
    outHeight: ci.outHeight,
    outWidth: ci.outWidth,
    strideHeight: ci.strideHeight,
    strideWidth: ci.strideWidth,
    padTop: p.top,
    padLeft: p.left,
    padBottom: p.bottom,
    padRight: p.right,
    dilationHeight: ci.dilationHeight,
    dilationWidth: ci.dilationWidth,
  };
}

/** A pooling's geometry as the addon's pooling functions take it. */
export function poolGeometry(ci: tf.backend_util.Conv2DInfo): PoolGeometry {
  return {
    batchSize: ci.batchSize,
    inHeight: ci.inHeight,
    inWidth: ci.inWidth,
    inChannels: ci.inChannels,
    outHeight: ci.outHeight,
    outWidth: ci.outWidth,
    filterHeight: ci.filterHeight,
    filterWidth: ci.filterWidth,
    strideHeight: ci.strideHeight,
    strideWidth: ci.strideWidth,
    padTop: ci.padInfo.top,
    padLeft: ci.padInfo.left,
  };
}

/**
 * The same geometry as 17 positional numbers (N,H,W,C, KH,KW,O, OH,OW, sh,sw, pt,pl,pb,pr, dh,dw):
 * the form the sparse conv kernels (native/src/sparse_conv.cc) still take.
 */
export function convParams(ci: tf.backend_util.Conv2DInfo): number[] {
  const g = convGeometry(ci);
  return [
    g.batchSize,
    g.inHeight,
    g.inWidth,
    g.inChannels,
    g.filterHeight,
    g.filterWidth,
    g.outChannels,
    g.outHeight,
    g.outWidth,
    g.strideHeight,
    g.strideWidth,
    g.padTop,
    g.padLeft,
    g.padBottom,
    g.padRight,
    g.dilationHeight,
    g.dilationWidth,
  ];
}

/** The inverse of convParams: 17 positional numbers as the named geometry (benchmarks, tests). */
export function geometryFromParams(p: readonly number[]): ConvGeometry {
  const [batchSize, inHeight, inWidth, inChannels, filterHeight, filterWidth, outChannels] = p as number[];
  const [outHeight, outWidth, strideHeight, strideWidth, padTop, padLeft, padBottom, padRight] = p.slice(7);
  const [dilationHeight, dilationWidth] = p.slice(15);
  return {
    batchSize: batchSize!,
    inHeight: inHeight!,
    inWidth: inWidth!,
    inChannels: inChannels!,
    filterHeight: filterHeight!,
    filterWidth: filterWidth!,
    outChannels: outChannels!,
    outHeight: outHeight!,
    outWidth: outWidth!,
    strideHeight: strideHeight!,
    strideWidth: strideWidth!,
    padTop: padTop!,
    padLeft: padLeft!,
    padBottom: padBottom!,
    padRight: padRight!,
    dilationHeight: dilationHeight!,
    dilationWidth: dilationWidth!,
  };
}
