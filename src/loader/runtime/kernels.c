/*
 * sprig's sparse inference kernels, compiled to freestanding wasm32 with SIMD (no libc):
 *   clang --target=wasm32 -nostdlib -O3 -msimd128 -Wl,--no-entry ... (scripts/build-wasm.mjs)
 * The JS side (wasm.ts) owns the linear memory and passes byte offsets in.
 *
 * Weights are CSR with one row per output (unit or channel). A nonzero stores its value and an
 * input offset, so one kernel shape serves both layer kinds (SparseProp / direct sparse conv):
 *   dense: x is feature-major [in][batch], the offset is the input feature; the lanes run over the batch.
 *   conv:  x is one padded image [cin][hp][wp], the offset is c*hp*wp + dy*wp + dx; the lanes run
 *          along an output row (stride 1), so every load is contiguous.
 */
#include <wasm_simd128.h>

#define LANES 16 /* 4 vectors; row_axpy also runs 8 (32 lanes), which still fits x86's 16 SIMD registers */

static inline float relu_s(float v, int relu) { return relu && v < 0.0f ? 0.0f : v; }
static inline v128_t relu_v(v128_t v, int relu) { return relu ? wasm_f32x4_max(v, wasm_f32x4_splat(0.0f)) : v; }

/* One output row, batch 1: a gather dot product with 4 partial sums for instruction-level parallelism. */
static float dot_gather(const float *x, const int *col, const float *val, int k0, int k1) {
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
  int k = k0;
  for (; k + 4 <= k1; k += 4) {
    s0 += val[k] * x[col[k]];
    s1 += val[k + 1] * x[col[k + 1]];
    s2 += val[k + 2] * x[col[k + 2]];
    s3 += val[k + 3] * x[col[k + 3]];
  }
  for (; k < k1; k++) s0 += val[k] * x[col[k]];
  return (s0 + s1) + (s2 + s3);
}

/*
 * y[0..n) = b + sum_k val[k] * x[off[k]*stride .. + n), for n lanes that are contiguous in x and y.
 * Writes 32 lanes at a time (fewer index loads per multiply-add), then 16, then 4, then single ones.
 */
static void row_axpy(const float *x, float *y, const int *off, const float *val, int k0, int k1,
                     int stride, int n, float b, int relu) {
  int i = 0;
  for (; i + 2 * LANES <= n; i += 2 * LANES) {
    v128_t a[8];
    for (int j = 0; j < 8; j++) a[j] = wasm_f32x4_splat(b);
    for (int k = k0; k < k1; k++) {
      const float *p = x + off[k] * stride + i;
      v128_t w = wasm_f32x4_splat(val[k]);
      for (int j = 0; j < 8; j++) a[j] = wasm_f32x4_add(a[j], wasm_f32x4_mul(w, wasm_v128_load(p + 4 * j)));
    }
    for (int j = 0; j < 8; j++) wasm_v128_store(y + i + 4 * j, relu_v(a[j], relu));
  }
  for (; i + LANES <= n; i += LANES) {
    v128_t a0 = wasm_f32x4_splat(b), a1 = a0, a2 = a0, a3 = a0;
    for (int k = k0; k < k1; k++) {
      const float *p = x + off[k] * stride + i;
      v128_t w = wasm_f32x4_splat(val[k]);
      a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(w, wasm_v128_load(p)));
      a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(w, wasm_v128_load(p + 4)));
      a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(w, wasm_v128_load(p + 8)));
      a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(w, wasm_v128_load(p + 12)));
    }
    wasm_v128_store(y + i, relu_v(a0, relu));
    wasm_v128_store(y + i + 4, relu_v(a1, relu));
    wasm_v128_store(y + i + 8, relu_v(a2, relu));
    wasm_v128_store(y + i + 12, relu_v(a3, relu));
  }
  for (; i + 4 <= n; i += 4) {
    v128_t a = wasm_f32x4_splat(b);
    for (int k = k0; k < k1; k++)
      a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_f32x4_splat(val[k]), wasm_v128_load(x + off[k] * stride + i)));
    wasm_v128_store(y + i, relu_v(a, relu));
  }
  for (; i < n; i++) {
    float s = b;
    for (int k = k0; k < k1; k++) s += val[k] * x[off[k] * stride + i];
    y[i] = relu_s(s, relu);
  }
}

/* Dense layer, feature-major: x [in][batch] → y [rows][batch]. bias may be 0 (no bias). */
__attribute__((export_name("spmm"))) void spmm(const float *x, float *y, const int *rowptr, const int *col,
                                               const float *val, const float *bias, int rows, int batch,
                                               int relu) {
  for (int o = 0; o < rows; o++) {
    float b = bias ? bias[o] : 0.0f;
    if (batch == 1)
      y[o] = relu_s(b + dot_gather(x, col, val, rowptr[o], rowptr[o + 1]), relu);
    else
      row_axpy(x, y + o * batch, col, val, rowptr[o], rowptr[o + 1], batch, batch, b, relu);
  }
}

/*
 * Conv, stride 1, one image: x padded [cin][hp][wp] → y [cout][ho][wo]; off[k] = c*hp*wp + dy*wp + dx.
 * Direct sparse convolution: an output plane is a sum of shifted input planes. Computed at the padded
 * width wp, the plane is one contiguous run of ho*wp lanes in both x and the scratch `t` (rounded up
 * to 16; t holds ho*wp + 16 floats), so the lanes stay full even for narrow images; the columns past
 * wo are discarded when the rows are copied to y. The reads run up to kw + 14 floats past the input
 * planes: the allocator leaves that slack after every buffer.
 */
__attribute__((export_name("conv_s1"))) void conv_s1(const float *x, float *y, float *t, const int *rowptr,
                                                     const int *off, const float *val, const float *bias,
                                                     int cout, int ho, int wo, int wp, int relu) {
  int n = (ho * wp + LANES - 1) / LANES * LANES;
  for (int o = 0; o < cout; o++) {
    row_axpy(x, t, off, val, rowptr[o], rowptr[o + 1], 1, n, bias ? bias[o] : 0.0f, relu);
    float *dst = y + o * ho * wo;
    for (int r = 0; r < ho; r++)
      for (int c = 0; c < wo; c++) dst[r * wo + c] = t[r * wp + c];
  }
}

/* Conv with any stride, one image (scalar: only strided ResNet convs take this path). */
__attribute__((export_name("conv_strided"))) void conv_strided(const float *x, float *y, const int *rowptr,
                                                               const int *off, const float *val,
                                                               const float *bias, int cout, int ho, int wo,
                                                               int wp, int stride, int relu) {
  for (int o = 0; o < cout; o++) {
    float b = bias ? bias[o] : 0.0f;
    int k0 = rowptr[o], k1 = rowptr[o + 1];
    for (int r = 0; r < ho; r++)
      for (int c = 0; c < wo; c++) {
        const float *p = x + r * stride * wp + c * stride;
        float s = b;
        for (int k = k0; k < k1; k++) s += val[k] * p[off[k]];
        y[(o * ho + r) * wo + c] = relu_s(s, relu);
      }
  }
}

/* Copies planes [n][h][w] into the interior of zeroed planes [n][hp][wp] at (top, left). */
__attribute__((export_name("pad"))) void pad(const float *x, float *y, int n, int h, int w, int hp, int wp,
                                             int top, int left) {
  for (int i = 0; i < n * hp * wp; i++) y[i] = 0.0f;
  for (int p = 0; p < n; p++)
    for (int r = 0; r < h; r++) {
      const float *src = x + (p * h + r) * w;
      float *dst = y + (p * hp + r + top) * wp + left;
      for (int c = 0; c < w; c++) dst[c] = src[c];
    }
}

/*
 * Max or average pooling of planes [n][h][w] → [n][ho][wo]; windows start at (r*sh - top, c*sw - left)
 * and are clipped to the plane, so 'same' borders count only the positions inside (as TF.js).
 */
__attribute__((export_name("pool"))) void pool(const float *x, float *y, int n, int h, int w, int ho, int wo,
                                               int kh, int kw, int sh, int sw, int top, int left, int max) {
  for (int p = 0; p < n; p++, x += h * w)
    for (int r = 0; r < ho; r++) {
      int r0 = r * sh - top, r1 = r0 + kh;
      if (r0 < 0) r0 = 0;
      if (r1 > h) r1 = h;
      for (int c = 0; c < wo; c++, y++) {
        int c0 = c * sw - left, c1 = c0 + kw;
        if (c0 < 0) c0 = 0;
        if (c1 > w) c1 = w;
        float acc = max ? x[r0 * w + c0] : 0.0f;
        for (int i = r0; i < r1; i++)
          for (int j = c0; j < c1; j++) {
            float v = x[i * w + j];
            acc = max ? (v > acc ? v : acc) : acc + v;
          }
        *y = max ? acc : acc / (float)((r1 - r0) * (c1 - c0));
      }
    }
}
