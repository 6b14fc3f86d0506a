/** Dense and Conv2D layers on their sparse kernels (CSR in the kernels' memory, ReLU fused). */
import { densify, type SparseTensor } from '../decode.js';
import type { LayerConfig } from '../../models/layers-model-topology.js';
import { activationOf } from './activation.js';
import { csrOf, type Csr } from './csr.js';
import { pairOf, sizeOf, unsupported, window, type Layer } from './layer.js';
import { READ_SLACK, type Arena } from './wasm.js';

/** A layer's weights by field ('kernel', 'bias', 'gamma', …). */
export type LayerWeights = Map<string, SparseTensor>;

export function weight(w: LayerWeights, field: string, layer: string, shape?: number[]): SparseTensor {
  const t = w.get(field);
  if (!t) throw unsupported(layer, `a layer without its '${field}' weight`, 're-export the model');
  if (shape && t.shape.join() !== shape.join())
    throw unsupported(layer, `a '${field}' of shape ${t.shape.join('×')} where ${shape.join('×')} fits`);
  return t;
}

function put(mem: Arena, csr: Csr) {
  return { rowptr: mem.put(csr.rowptr), off: mem.put(csr.off), val: mem.put(csr.val) };
}

/** The bias's pointer, or 0 when the layer has none. */
function biasOf(mem: Arena, c: LayerConfig, w: LayerWeights, layer: string, units: number): number {
  return c.use_bias === false ? 0 : mem.put(densify(weight(w, 'bias', layer, [units])));
}

export function denseLayer(layer: string, c: LayerConfig, x: number[], w: LayerWeights, mem: Arena): Layer {
  if (x.length !== 1)
    throw unsupported(layer, `Dense on a rank-${x.length} input`, 'add a Flatten layer before it');
  const units = Number(c.units);
  const csr = put(
    mem,
    csrOf(weight(w, 'kernel', layer, [x[0]!, units]), (r) => r),
  );
  const bias = biasOf(mem, c, w, layer, units);
  const act = activationOf(c.activation, layer, [units]);
  return {
    shape: [units],
    run({ k, mem, batch }, [x], y) {
      k.spmm(x!, y, csr.rowptr, csr.off, csr.val, bias, units, batch, act.relu ? 1 : 0);
      act.after?.(mem.f32(y, units * batch), [units], batch);
    },
  };
}

function convChecks(layer: string, c: LayerConfig, x: number[]): number {
  if (x.length !== 3) throw unsupported(layer, `Conv2D on a rank-${x.length} input`);
  if (c.data_format && c.data_format !== 'channels_last')
    throw unsupported(layer, `data_format ${String(c.data_format)}`);
  const [dh, dw] = pairOf(c.dilation_rate, 1);
  if (dh !== 1 || dw !== 1) throw unsupported(layer, `dilation ${dh}×${dw}`);
  if (Number(c.groups ?? 1) !== 1) throw unsupported(layer, 'grouped convolution');
  const [sh, sw] = pairOf(c.strides, 1);
  if (sh !== sw) throw unsupported(layer, `unequal strides ${sh}×${sw}`);
  return sh;
}

export function convLayer(layer: string, c: LayerConfig, x: number[], w: LayerWeights, mem: Arena): Layer {
  const stride = convChecks(layer, c, x);
  const [h, wd, cin] = x as [number, number, number];
  const [kh, kw] = pairOf(c.kernel_size, 1);
  const cout = Number(c.filters);
  const rows = window(h, kh, stride, c.padding);
  const cols = window(wd, kw, stride, c.padding);
  const [ho, wo, hp, wp] = [rows.out, cols.out, h + rows.total, wd + cols.total];
  // unpadded, the kernel reads the previous layer's buffer in place, up to kw + 14 floats past an image
  const padded = rows.total + cols.total > 0 || kw + 14 > READ_SLACK;
  const padFloats = padded ? cin * hp * wp + READ_SLACK : 0;
  const planeFloats = Math.ceil((ho * wp) / 16) * 16 + 16; // one output plane at the padded width
  // offset of tap (dy, dx) of channel ci in one padded image [cin][hp][wp]
  const csr = put(
    mem,
    csrOf(weight(w, 'kernel', layer, [kh, kw, cin, cout]), (r) => {
      const ci = r % cin;
      const tap = (r - ci) / cin;
      const dx = tap % kw;
      return ci * hp * wp + ((tap - dx) / kw) * wp + dx;
    }),
  );
  const bias = biasOf(mem, c, w, layer, cout);
  const act = activationOf(c.activation, layer, [ho, wo, cout]);
  const relu = act.relu ? 1 : 0;
  const inBytes = 4 * h * wd * cin;
  const outBytes = 4 * ho * wo * cout;
  return {
    shape: [ho, wo, cout],
    scratch: () => padFloats + planeFloats,
    run({ k, mem, batch }, [x], y, scratch) {
      for (let b = 0; b < batch; b++) {
        const img = x! + b * inBytes;
        if (padded) k.pad(img, scratch, cin, h, wd, hp, wp, rows.before, cols.before);
        const src = padded ? scratch : img;
        const dst = y + b * outBytes;
        if (stride === 1)
          k.conv_s1(
            src,
            dst,
            scratch + 4 * padFloats,
            csr.rowptr,
            csr.off,
            csr.val,
            bias,
            cout,
            ho,
            wo,
            wp,
            relu,
          );
        else k.conv_strided(src, dst, csr.rowptr, csr.off, csr.val, bias, cout, ho, wo, wp, stride, relu);
      }
      act.after?.(mem.f32(y, sizeOf([ho, wo, cout]) * batch), [ho, wo, cout], batch);
    },
  };
}
