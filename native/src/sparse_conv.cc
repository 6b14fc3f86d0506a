// Sparse 2-D convolutions: forward, input gradient and weight gradient computed only at a filter's
// active connections, on TF.js's layouts (activations NHWC, filters [kh, kw, cin, cout]).
//
// Method (SparseProp's direct sparse convolution, vectorised over the batch): the activations are
// copied once into a padded [H][W][C][batch] layout with the batch rounded up to 16 lanes. An active
// connection (kh, kw, c) -> o is then one broadcast weight times contiguous batch vectors at a fixed
// offset from the output pixel's origin, whatever the filter's shape: no im2col matrix. Forward:
// for each output pixel, each output channel gathers its active taps. Input gradient: for each input
// pixel, each input channel gathers its active (kh, kw, o) taps from the padded dy (taps grouped by
// stride phase, so strided convs need no branches). Weight gradient: a dot product over pixels and
// batch per active connection only, accumulated over a fixed number of pixel groups.
//
// Fixed partitioning: every output value is summed in an order that does not depend on the thread
// count (pixels are independent; the weight gradient's pixel groups are fixed and added in order).
#include "common.h"
#include "options.h"
#include <omp.h>
#include <algorithm>
#include <cstring>
#include <vector>

namespace sprig {

void scGatherAvx512(float*, int64_t, const float*, int64_t, int64_t, int, const int64_t*, const float*, int64_t,
                    int64_t);
void scDotAvx512(float*, const float*, const int64_t*, const float*, const int64_t*, int, const int64_t*, int64_t, int64_t);
void scGatherAvx2(float*, int64_t, const float*, int64_t, int64_t, int, const int64_t*, const float*, int64_t,
                  int64_t);
void scDotAvx2(float*, const float*, const int64_t*, const float*, const int64_t*, int, const int64_t*, int64_t, int64_t);

namespace sc_portable {
struct Vec {
  using T = float;
  static constexpr int W = 1, ACC = 16;
  static T zero() { return 0.f; }
  static T set1(float v) { return v; }
  static T load(const float* p) { return *p; }
  static void store(float* p, T v) { *p = v; }
  static T fma(T a, T b, T c) { return a * b + c; }
  static T add(T a, T b) { return a + b; }
  static float hsum(T v) { return v; }
};
}  // namespace sc_portable
}  // namespace sprig
#define SPRIG_SC_NS sc_portable
#include "sparse_conv_kern.h"

namespace sprig {

enum ScIsa { SC_PORTABLE = 0, SC_AVX2 = 1, SC_AVX512 = 2 };
static int bestIsa() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return SC_AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SC_AVX2;
  return SC_PORTABLE;
}
static int isa = bestIsa();

static void gather(float* out, int64_t outStride, const float* src, int64_t base, int64_t pixStride, int npix,
                   const int64_t* off, const float* val, int64_t nnz, int64_t Np) {
  if (isa == SC_AVX512) scGatherAvx512(out, outStride, src, base, pixStride, npix, off, val, nnz, Np);
  else if (isa == SC_AVX2) scGatherAvx2(out, outStride, src, base, pixStride, npix, off, val, nnz, Np);
  else sc_portable::gatherAcc(out, outStride, src, base, pixStride, npix, off, val, nnz, Np);
}
static void dot(float* part, const float* dy, const int64_t* dyBase, const float* src, const int64_t* base, int npix,
                const int64_t* off, int64_t nnz, int64_t Np) {
  if (isa == SC_AVX512) scDotAvx512(part, dy, dyBase, src, base, npix, off, nnz, Np);
  else if (isa == SC_AVX2) scDotAvx2(part, dy, dyBase, src, base, npix, off, nnz, Np);
  else sc_portable::dotBlock(part, dy, dyBase, src, base, npix, off, nnz, Np);
}

// N,H,W,C, KH,KW,O, OH,OW, sh,sw, pt,pl,pb,pr, dh,dw (as conv.cc)
struct SP {
  int64_t N, H, W, C, KH, KW, O, OH, OW, sh, sw, pt, pl, pb, pr, dh, dw;
  int64_t Np() const { return (N + 15) / 16 * 16; }
};
static SP readSP(const Options& o) {
  const auto d = convGeometry(o);
  return SP{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15], d[16]};
}
static const int32_t* i32(const Napi::CallbackInfo& info, size_t i, size_t* len = nullptr) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw std::invalid_argument("argument " + std::to_string(i) + " must be an Int32Array");
  auto a = v.As<Napi::Int32Array>();
  if (len) *len = a.ElementLength();
  return a.Data();
}

// Scratch buffers reused across calls (one layer's activations can be tens of MB).
static std::vector<float> bufA, bufB;
static float* scratch(std::vector<float>& b, size_t n) {
  if (b.size() < n) b.assign(n, 0.f);
  return b.data();
}

// src NHWC [N][H][W][C] -> dst [H+padT+padB][W+padL+padR][C][Np], zeros in the borders and lanes >= N.
static void toPixelMajor(float* dst, const float* src, int64_t N, int64_t H, int64_t W, int64_t C, int64_t padT,
                         int64_t padL, int64_t Hp, int64_t Wp, int64_t Np) {
  const int64_t rowLen = Wp * C * Np;
#pragma omp parallel for schedule(static) if (Hp * rowLen >= kParMin)
  for (int64_t hp = 0; hp < Hp; hp++) {
    float* row = dst + hp * rowLen;
    const int64_t h = hp - padT;
    if (h < 0 || h >= H) { std::memset(row, 0, rowLen * sizeof(float)); continue; }
    for (int64_t wp = 0; wp < Wp; wp++) {
      float* px = row + wp * C * Np;
      const int64_t w = wp - padL;
      if (w < 0 || w >= W) { std::memset(px, 0, C * Np * sizeof(float)); continue; }
      // one image's C contiguous values at a time (a strided read per value would miss the cache)
      for (int64_t n = 0; n < N; n++) {
        const float* s = src + ((n * H + h) * W + w) * C;
        for (int64_t c = 0; c < C; c++) px[c * Np + n] = s[c];
      }
      for (int64_t c = 0; c < C; c++)
        for (int64_t n = N; n < Np; n++) px[c * Np + n] = 0.f;
    }
  }
}

// The packed layouts: x padded by the conv's padding; dy padded so that the input gradient's gather
// reads zeros out of range (see SparseConvBwdData).
struct Packed {
  int64_t Np, Hp, Wp, loH, loW, OHp, OWp;
  explicit Packed(const SP& p) {
    Np = p.Np();
    Hp = p.H + p.pt + p.pb;
    Wp = p.W + p.pl + p.pr;
    loH = ((p.KH - 1) * p.dh) / p.sh + 1;
    loW = ((p.KW - 1) * p.dw) / p.sw + 1;
    OHp = p.OH + loH + std::max<int64_t>(0, (p.H - 1 + p.pt) / p.sh - (p.OH - 1)) + 1;
    OWp = p.OW + loW + std::max<int64_t>(0, (p.W - 1 + p.pl) / p.sw - (p.OW - 1)) + 1;
  }
  size_t xLen(const SP& p) const { return (size_t)(Hp * Wp * p.C * Np); }
  size_t dyLen(const SP& p) const { return (size_t)(OHp * OWp * p.O * Np); }
};

// An optional Float32Array argument of at least n elements, else nullptr.
static float* packedArg(const Napi::CallbackInfo& info, size_t i, size_t n) {
  if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  if (f32len(info, i) < n) throw std::invalid_argument("packed buffer " + std::to_string(i) + " is too small");
  return f32(info, i);
}

// sparseConvPackedSizes(geometry) -> [x, dy]: element counts of the packed layouts.
static Napi::Value SparseConvPackedSizes(const Napi::CallbackInfo& info) {
  const SP p = readSP(Options(info, 0, "sparseConvPackedSizes"));
  const Packed k(p);
  Napi::Array a = Napi::Array::New(info.Env(), 2);
  a.Set(0u, Napi::Number::New(info.Env(), (double)k.xLen(p)));
  a.Set(1u, Napi::Number::New(info.Env(), (double)k.dyLen(p)));
  return a;
}

// sparseConvPackX(xp, x, geometry) / sparseConvPackDy(dyp, dy, geometry): the packed layouts, made
// once per step and shared by the passes (forward and weight gradient: x; both gradients: dy).
static Napi::Value SparseConvPackX(const Napi::CallbackInfo& info) {
  adaptThreads();
  const SP p = readSP(Options(info, 2, "sparseConvPackX"));
  const Packed k(p);
  float* xp = packedArg(info, 0, k.xLen(p));
  toPixelMajor(xp, f32(info, 1), p.N, p.H, p.W, p.C, p.pt, p.pl, k.Hp, k.Wp, k.Np);
  return info.Env().Undefined();
}
static Napi::Value SparseConvPackDy(const Napi::CallbackInfo& info) {
  adaptThreads();
  const SP p = readSP(Options(info, 2, "sparseConvPackDy"));
  const Packed k(p);
  float* dyp = packedArg(info, 0, k.dyLen(p));
  toPixelMajor(dyp, f32(info, 1), p.N, p.OH, p.OW, p.O, k.loH, k.loW, k.OHp, k.OWp, k.Np);
  return info.Env().Undefined();
}

// Decodes flat HWIO indices: ((kh*KW + kw)*C + c)*O + o.
struct Tap { int64_t kh, kw, c, o; };
static inline Tap tapOf(int64_t idx, const SP& p) {
  Tap t;
  t.o = idx % p.O; idx /= p.O;
  t.c = idx % p.C; idx /= p.C;
  t.kw = idx % p.KW;
  t.kh = idx / p.KW;
  return t;
}

// sparseConvFwd(y, x, w, bias|null, outPtr[O+1], outIdx[nnz], xp|null, {...geometry, relu}): outIdx
// lists each output channel's active flat HWIO indices.
static Napi::Value SparseConvFwd(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* y = f32(info, 0);
  const float* x = f32(info, 1);
  const float* w = f32(info, 2);
  const float* bias = f32(info, 3, true);
  const int32_t* ptr = i32(info, 4);
  size_t nnz;
  const int32_t* idx = i32(info, 5, &nnz);
  const Options opt(info, 7, "sparseConvFwd");
  const SP p = readSP(opt);
  const int act = opt.boolean("relu") ? ACT_RELU : ACT_LINEAR;
  const int64_t Np = p.Np(), Hp = p.H + p.pt + p.pb, Wp = p.W + p.pl + p.pr;
  // packed x given (arg 6): already made by sparseConvPackX, x is not read
  float* xp = packedArg(info, 6, Packed(p).xLen(p));
  if (!xp) {
    xp = scratch(bufA, Packed(p).xLen(p));
    toPixelMajor(xp, x, p.N, p.H, p.W, p.C, p.pt, p.pl, Hp, Wp, Np);
  }
  std::vector<int64_t> off(nnz);
  std::vector<float> val(nnz);
  for (size_t j = 0; j < nnz; j++) {
    const Tap t = tapOf(idx[j], p);
    off[j] = ((t.kh * p.dh * Wp + t.kw * p.dw) * p.C + t.c) * Np;
    val[j] = w[idx[j]];
  }
  const int64_t P = p.OH * p.OW, O = p.O;
  const int64_t pairsPerRow = (p.OW + 1) / 2;
  // Output pixels in pairs along a row: the two share every broadcast weight.
#pragma omp parallel
  {
    std::vector<float> tile(2 * O * Np);
#pragma omp for schedule(static)
    for (int64_t u = 0; u < p.OH * pairsPerRow; u++) {
      const int64_t oh = u / pairsPerRow, ow = u % pairsPerRow * 2;
      const int npix = ow + 1 < p.OW ? 2 : 1;
      const int64_t base = ((oh * p.sh) * Wp + ow * p.sw) * p.C * Np;
      for (int64_t o = 0; o < O; o++)
        gather(tile.data() + o * Np, O * Np, xp, base, p.sw * p.C * Np, npix, off.data() + ptr[o], val.data() + ptr[o],
               ptr[o + 1] - ptr[o], Np);
      for (int k = 0; k < npix; k++) {
        const int64_t q = oh * p.OW + ow + k;
        const float* t = tile.data() + k * O * Np;
        for (int64_t n = 0; n < p.N; n++) {
          float* yo = y + (n * P + q) * O;
          for (int64_t o = 0; o < O; o++) {
            float v = t[o * Np + n] + (bias ? bias[o] : 0.f);
            yo[o] = act == ACT_RELU ? (v > 0 ? v : 0.f) : v;
          }
        }
      }
    }
  }
  return info.Env().Undefined();
}

// sparseConvBwdData(dx, dy, w, inPtr[C+1], inIdx[nnz], dyp|null, geometry): inIdx lists each input
// channel's active flat HWIO indices. dx = the transposed convolution of dy over the active taps only.
static Napi::Value SparseConvBwdData(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* dx = f32(info, 0);
  const float* dy = f32(info, 1);
  const float* w = f32(info, 2);
  const int32_t* ptr = i32(info, 3);
  size_t nnz;
  const int32_t* idx = i32(info, 4, &nnz);
  const SP p = readSP(Options(info, 6, "sparseConvBwdData"));
  const int64_t Np = p.Np(), sh = p.sh, sw = p.sw, C = p.C, O = p.O;
  // Input pixel h (padded: h + pt) receives output row oh = (h + pt - kh*dh) / sh when divisible. With
  // r = (h + pt) mod sh (the phase), oh = qh - (kh*dh - r) / sh, qh = (h + pt - r) / sh. dy is padded
  // so that every such oh reads a zero when it is out of range.
  const Packed k(p);
  const int64_t loH = k.loH, loW = k.loW, OWp = k.OWp;
  // packed dy given (arg 5): already made by sparseConvPackDy, dy is not read
  float* dyp = packedArg(info, 5, k.dyLen(p));
  if (!dyp) {
    dyp = scratch(bufA, k.dyLen(p));
    toPixelMajor(dyp, dy, p.N, p.OH, p.OW, O, loH, loW, k.OHp, OWp, Np);
  }
  // Taps by phase (rh, rw), then input channel: offsets relative to the pixel's (qh, qw).
  const int64_t phases = sh * sw;
  std::vector<int64_t> pptr(phases * C + 1, 0), off(nnz);
  std::vector<float> val(nnz);
  std::vector<int64_t> phaseOf(nnz);
  for (size_t j = 0; j < nnz; j++) {
    const Tap t = tapOf(idx[j], p);
    phaseOf[j] = ((t.kh * p.dh) % sh * sw + (t.kw * p.dw) % sw) * C + t.c;
    pptr[phaseOf[j] + 1]++;
  }
  for (int64_t i = 0; i < phases * C; i++) pptr[i + 1] += pptr[i];
  {
    std::vector<int64_t> cur(pptr.begin(), pptr.end() - 1);
    for (int64_t c = 0; c < C; c++)
      for (int32_t q = ptr[c]; q < ptr[c + 1]; q++) {
        const Tap t = tapOf(idx[q], p);
        const int64_t k = cur[phaseOf[q]]++;
        const int64_t dqh = (t.kh * p.dh) / sh, dqw = (t.kw * p.dw) / sw;
        off[k] = (-dqh * OWp - dqw) * O * Np + t.o * Np;
        val[k] = w[idx[q]];
      }
  }
  const int64_t P = p.H * p.W;
  // Input pixels in pairs along a row at stride 1 (same phase, neighbouring dy pixels).
  const int64_t step = sw == 1 ? 2 : 1, perRow = (p.W + step - 1) / step;
#pragma omp parallel
  {
    std::vector<float> tile(2 * C * Np);
#pragma omp for schedule(static)
    for (int64_t u = 0; u < p.H * perRow; u++) {
      const int64_t h = u / perRow, w0 = u % perRow * step;
      const int npix = step == 2 && w0 + 1 < p.W ? 2 : 1;
      const int64_t rh = (h + p.pt) % sh, rw = (w0 + p.pl) % sw;
      const int64_t qh = (h + p.pt - rh) / sh, qw = (w0 + p.pl - rw) / sw;
      const int64_t base = ((qh + loH) * OWp + qw + loW) * O * Np;
      const int64_t* pp = pptr.data() + (rh * sw + rw) * C;
      for (int64_t c = 0; c < C; c++)
        gather(tile.data() + c * Np, C * Np, dyp, base, O * Np, npix, off.data() + pp[c], val.data() + pp[c],
               pp[c + 1] - pp[c], Np);
      for (int k = 0; k < npix; k++) {
        const int64_t q = h * p.W + w0 + k;
        const float* t = tile.data() + k * C * Np;
        for (int64_t n = 0; n < p.N; n++) {
          float* d = dx + (n * P + q) * C;
          for (int64_t c = 0; c < C; c++) d[c] = t[c * Np + n];
        }
      }
    }
  }
  return info.Env().Undefined();
}

// Pixel groups of the weight gradient: a fixed count, so its sums do not depend on the threads.
constexpr int kDwGroups = 8;
constexpr int kDwBlock = 16;  // output pixels per dot block (one horizontal sum per block and tap)

// sparseConvBwdWeights(dw, x, dy, outPtr[O+1], outIdx[nnz], xp|null, dyp|null, geometry): dw at the
// active connections, zero elsewhere.
static Napi::Value SparseConvBwdWeights(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* dw = f32(info, 0);
  const float* x = f32(info, 1);
  const float* dy = f32(info, 2);
  const int32_t* ptr = i32(info, 3);
  size_t nnz;
  const int32_t* idx = i32(info, 4, &nnz);
  const SP p = readSP(Options(info, 7, "sparseConvBwdWeights"));
  const int64_t Np = p.Np(), Hp = p.H + p.pt + p.pb, Wp = p.W + p.pl + p.pr, O = p.O;
  const int64_t P = p.OH * p.OW;
  // packed x (arg 5) and dy (arg 6) when given, else made here
  const Packed k(p);
  float* xp = packedArg(info, 5, k.xLen(p));
  if (!xp) {
    xp = scratch(bufA, k.xLen(p));
    toPixelMajor(xp, x, p.N, p.H, p.W, p.C, p.pt, p.pl, Hp, Wp, Np);
  }
  float* dyp = packedArg(info, 6, k.dyLen(p));
  if (!dyp) {
    dyp = scratch(bufB, k.dyLen(p));
    toPixelMajor(dyp, dy, p.N, p.OH, p.OW, O, k.loH, k.loW, k.OHp, k.OWp, Np);
  }
  std::vector<int64_t> off(nnz);
  for (size_t j = 0; j < nnz; j++) {
    const Tap t = tapOf(idx[j], p);
    off[j] = ((t.kh * p.dh * Wp + t.kw * p.dw) * p.C + t.c) * Np;
  }
  std::vector<float> part((size_t)kDwGroups * nnz, 0.f);
  const int64_t blocks = (P + kDwBlock - 1) / kDwBlock;
#pragma omp parallel for schedule(static)
  for (int g = 0; g < kDwGroups; g++) {
    float* pg = part.data() + g * nnz;
    int64_t base[kDwBlock], dyBase[kDwBlock];
    for (int64_t b = blocks * g / kDwGroups; b < blocks * (g + 1) / kDwGroups; b++) {
      const int64_t q0 = b * kDwBlock;
      const int npix = (int)std::min<int64_t>(kDwBlock, P - q0);
      for (int i = 0; i < npix; i++) {
        const int64_t oh = (q0 + i) / p.OW, ow = (q0 + i) % p.OW;
        base[i] = ((oh * p.sh) * Wp + ow * p.sw) * p.C * Np;
        dyBase[i] = ((oh + k.loH) * k.OWp + ow + k.loW) * O * Np;
      }
      for (int64_t o = 0; o < O; o++)
        dot(pg + ptr[o], dyp + o * Np, dyBase, xp, base, npix, off.data() + ptr[o], ptr[o + 1] - ptr[o],
            Np);
    }
  }
  std::fill(dw, dw + p.KH * p.KW * p.C * O, 0.f);
  for (size_t j = 0; j < nnz; j++) {
    float s = 0.f;
    for (int g = 0; g < kDwGroups; g++) s += part[g * nnz + j];
    dw[idx[j]] = s;
  }
  return info.Env().Undefined();
}

// sparseConvIsa(name?): the instruction set in use; 'avx512' | 'avx2' | 'portable' | 'best' switches.
static Napi::Value SparseConvIsa(const Napi::CallbackInfo& info) {
  static const char* names[] = {"portable", "avx2", "avx512"};
  if (info.Length() > 0 && info[0].IsString()) {
    const std::string s = info[0].As<Napi::String>().Utf8Value();
    const int best = bestIsa();
    int want = s == "best" ? best : s == "avx512" ? SC_AVX512 : s == "avx2" ? SC_AVX2 : s == "portable" ? SC_PORTABLE : -1;
    if (want < 0) throw std::invalid_argument("unknown instruction set '" + s + "' (avx512, avx2, portable, best)");
    if (want > best) throw std::invalid_argument("this CPU lacks " + s);
    isa = want;
  }
  return Napi::String::New(info.Env(), names[isa]);
}

void registerSparseConv(Napi::Env env, Napi::Object exports) {
  exports.Set("sparseConvFwd", Napi::Function::New(env, SparseConvFwd));
  exports.Set("sparseConvBwdData", Napi::Function::New(env, SparseConvBwdData));
  exports.Set("sparseConvBwdWeights", Napi::Function::New(env, SparseConvBwdWeights));
  exports.Set("sparseConvIsa", Napi::Function::New(env, SparseConvIsa));
  exports.Set("sparseConvPackedSizes", Napi::Function::New(env, SparseConvPackedSizes));
  exports.Set("sparseConvPackX", Napi::Function::New(env, SparseConvPackX));
  exports.Set("sparseConvPackDy", Napi::Function::New(env, SparseConvPackDy));
}

}  // namespace sprig
