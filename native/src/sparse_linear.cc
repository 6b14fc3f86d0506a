// Sparse fully-connected layers (SparseProp-style): forward, input gradient and weight gradient
// computed only at the active connections, plus optimizer updates over the active weights alone.
// The weights stay in their dense [in, out] array (zeros where masked); the layer's structure is two
// CSR index sets built from its mask (sparse.ts): by output (rows n, columns k) for the forward, and
// by input (rows k, columns n) for the input gradient and the weight gradient. A mask update only
// rebuilds the indices; the weight values are read in place.
#include "common.h"
#include "options.h"
#include "sparse_linear_kern.h"
#include "sparse_linear.h"
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace sprig {
namespace sparse {
namespace {
struct Scalar {
  using R = float;
  static constexpr int L = 1;
  static R zero() { return 0.f; }
  static R set1(float x) { return x; }
  static R load(const float* p) { return *p; }
  static void store(float* p, R x) { *p = x; }
  static R fma(R a, R b, R c) { return std::fma(a, b, c); }
  static R add(R a, R b) { return a + b; }
  static R max0(R a) { return a > 0.f ? a : 0.f; }
  static float hsum(R a) { return a; }
};
void spmmS(float* outT, const float* D, int64_t ld, int64_t rows, const int32_t* ptr, const int32_t* idx,
           const float* W, int64_t rowMul, int64_t colMul, const float* bias, bool relu) {
  spmmImpl<Scalar, 8>(outT, D, ld, rows, ptr, idx, W, rowMul, colMul, bias, relu);
}
void sddmmS(float* dW, const float* A, const float* D, int64_t ld, int64_t rows, const int32_t* ptr,
            const int32_t* idx, int64_t N) {
  sddmmImpl<Scalar>(dW, A, D, ld, rows, ptr, idx, N);
}
const Ops scalarOps{"scalar", spmmS, sddmmS, transposeScalar};
}  // namespace
const Ops* opsScalar() { return &scalarOps; }
}  // namespace sparse

namespace {
using sparse::Ops;

// The best instruction set this CPU has (checked at run time), unless SPRIG_SPARSE_ISA or
// sparseIsa(name) picks a lower one (tests compare the paths).
const Ops* best() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return sparse::opsAvx512();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return sparse::opsAvx2();
  return sparse::opsScalar();
}
const Ops* byName(const std::string& n) {
  const Ops* b = best();
  const int rank = b == sparse::opsAvx512() ? 2 : b == sparse::opsAvx2() ? 1 : 0;
  if (n == "avx512" && rank >= 2) return sparse::opsAvx512();
  if (n == "avx2" && rank >= 1) return sparse::opsAvx2();
  if (n == "scalar") return sparse::opsScalar();
  return nullptr;
}
const Ops* current() {
  static const Ops* ops = [] {
    const char* e = std::getenv("SPRIG_SPARSE_ISA");
    const Ops* o = e ? byName(e) : nullptr;
    return o ? o : best();
  }();
  return ops;
}
const Ops* active = nullptr;
const Ops* ops() { return active ? active : (active = current()); }

constexpr int64_t kLanes = 16;
constexpr int64_t kActiveParMin = 1 << 13;
inline int64_t padded(int64_t b) { return (b + kLanes - 1) / kLanes * kLanes; }

// Scratch for the transposed activations, reused across calls (JS calls one kernel at a time).
float* scratch(std::vector<float>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}
std::vector<float> sX, sY;

// dst[c·ld + r] = src[r·C + c] (src [R, C]), rows R..ld of each column zero; with gate (same
// layout as src), 0 where !(gate > 0): the ReLU's gradient mask.
void transposeIn(float* dst, const float* src, int64_t R, int64_t C, int64_t ld, const float* gate = nullptr) {
  ops()->transpose(dst, ld, src, C, R, C, gate);
  if (R < ld)
    for (int64_t c = 0; c < C; c++) std::fill(dst + c * ld + R, dst + (c + 1) * ld, 0.f);
}

// dst[r·C + c] = src[c·ld + r] for r < R (the inverse of transposeIn).
void transposeOut(float* dst, const float* src, int64_t R, int64_t C, int64_t ld) {
  ops()->transpose(dst, C, src, ld, C, R, nullptr);
}

const int32_t* i32(const Napi::CallbackInfo& info, size_t i) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw std::invalid_argument("argument " + std::to_string(i) + " must be an Int32Array");
  return v.As<Napi::Int32Array>().Data();
}

// sparseIsa(name?) -> the instruction set in use; a name ('avx512' | 'avx2' | 'scalar' | 'best')
// switches to it when this CPU has it.
Napi::Value SparseIsa(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].IsString()) {
    const std::string n = info[0].As<Napi::String>().Utf8Value();
    const Ops* o = n == "best" ? best() : byName(n);
    if (!o) throw std::invalid_argument("sparseIsa: this CPU has no '" + n + "' path");
    active = o;
  }
  return Napi::String::New(info.Env(), ops()->name);
}

// Batches below this run the forward one example at a time over the by-input structure (no transposes).
constexpr int64_t kSmallBatch = 8;

// y[b, n] = act(Σ_k x[b, k]·W[k, n] + bias[n]) with the by-input structure, for tiny batches.
// Each y[b, n] still sums k in ascending order with fused multiply-adds, as the batched path does.
// wIn (optional): the active weights compact in by-input order, read instead of W's rows.
void forwardSmall(float* y, const float* x, const float* W, const float* bias, int64_t B, int64_t K, int64_t N,
                  const int32_t* ptr, const int32_t* idx, bool relu, const float* wIn) {
  for (int64_t b = 0; b < B; b++) {
    float* yb = y + b * N;
    std::fill(yb, yb + N, 0.f);
    const float* xb = x + b * K;
    for (int64_t k = 0; k < K; k++) {
      const float xv = xb[k];
      if (xv == 0.f) continue;  // ReLU outputs are often zero: their connections add nothing
      if (wIn) {
        for (int32_t j = ptr[k]; j < ptr[k + 1]; j++) yb[idx[j]] = std::fma(xv, wIn[j], yb[idx[j]]);
        continue;
      }
      const float* wk = W + k * N;
      for (int32_t j = ptr[k]; j < ptr[k + 1]; j++) yb[idx[j]] = std::fma(xv, wk[idx[j]], yb[idx[j]]);
    }
    for (int64_t n = 0; n < N; n++) {
      const float v = yb[n] + (bias ? bias[n] : 0.f);
      yb[n] = relu && !(v > 0.f) ? 0.f : v;
    }
  }
}

// The optional compact copy of a layer's active weights at argument i (nnz entries, in the order of
// the CSR the kernel walks), or null.
const float* compactWeights(const Napi::CallbackInfo& info, size_t i, int64_t nnz, const char* who) {
  if (info.Length() <= i || !info[i].IsTypedArray()) return nullptr;
  if ((int64_t)f32len(info, i) != nnz)
    throw std::invalid_argument(std::string(who) + ": compact weights must have one entry per active weight");
  return f32(info, i);
}

// The compact mirrors an optimizer keeps in step (arguments i, i+1, i+2: wIn in active order, wOut
// in by-output order, slot = each active weight's by-output index), or nulls.
struct Mirrors {
  float *in = nullptr, *out = nullptr;
  const int32_t* slot = nullptr;
};
Mirrors mirrors(const Napi::CallbackInfo& info, size_t i, int64_t n) {
  Mirrors m;
  if (info.Length() <= i + 2 || !info[i].IsTypedArray()) return m;
  if ((int64_t)f32len(info, i) != n || (int64_t)f32len(info, i + 1) != n ||
      (int64_t)info[i + 2].As<Napi::Int32Array>().ElementLength() != n)
    throw std::invalid_argument("active-weight mirrors must have one entry per active weight");
  m.in = f32(info, i);
  m.out = f32(info, i + 1);
  m.slot = i32(info, i + 2);
  return m;
}

// sparseForward(y, x, w, bias|null, outPtr, outIdx, inPtr, inIdx, xT|null, wOut|null, wIn|null, {B, K, N, relu})
// xT (≥ K·ld): keeps the transposed input for the weight gradient (sparseDw with xIsT).
Napi::Value Forward(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* y = f32(info, 0);
  const float *x = f32(info, 1), *w = f32(info, 2), *bias = f32(info, 3, true);
  const int32_t *outPtr = i32(info, 4), *outIdx = i32(info, 5), *inPtr = i32(info, 6), *inIdx = i32(info, 7);
  const Options opt(info, 11, "sparseForward");
  const int64_t B = opt.integer("B"), K = opt.integer("K"), N = opt.integer("N");
  const bool relu = opt.boolean("relu");
  const int64_t ld = padded(B);
  const bool keep = info[8].IsTypedArray();
  if (keep && (int64_t)f32len(info, 8) < K * ld) throw std::invalid_argument("sparseForward: xT too small");
  float* xT = keep ? f32(info, 8) : scratch(sX, K * ld);
  const float* wIn = compactWeights(info, 10, inPtr[K], "sparseForward");
  const float* wOut = compactWeights(info, 9, outPtr[N], "sparseForward");
  // xT is needed below the small-batch cut only when the caller keeps it
  sparse::linearForward(y, x, B < kSmallBatch && !keep ? nullptr : xT, B < kSmallBatch ? nullptr : scratch(sY, N * ld),
                        w, wOut, wIn, bias, B, K, N, outPtr, outIdx, inPtr, inIdx, relu);
  return info.Env().Undefined();
}

// sparseGradOut(dyT, dy, y|null, {B, N}): dyT [N, ld] = transpose(dy ⊙ (y > 0)), ld = B rounded up to 16.
Napi::Value GradOut(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* dyT = f32(info, 0);
  const float *dy = f32(info, 1), *y = f32(info, 2, true);
  const Options opt(info, 3, "sparseGradOut");
  const int64_t B = opt.integer("B"), N = opt.integer("N"), ld = padded(B);
  if ((int64_t)f32len(info, 0) < N * ld) throw std::invalid_argument("sparseGradOut: dyT too small");
  sparse::linearGradOut(dyT, dy, y, B, N);
  return info.Env().Undefined();
}

// sparseDx(dx, dyT, w, inPtr, inIdx, wIn|null, {B, K, N}): dx = dy·Wᵀ over the active connections.
Napi::Value Dx(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* dx = f32(info, 0);
  const float *dyT = f32(info, 1), *w = f32(info, 2);
  const int32_t *inPtr = i32(info, 3), *inIdx = i32(info, 4);
  const Options opt(info, 6, "sparseDx");
  const int64_t B = opt.integer("B"), K = opt.integer("K"), N = opt.integer("N"), ld = padded(B);
  const float* wIn = compactWeights(info, 5, inPtr[K], "sparseDx");
  sparse::linearDx(dx, scratch(sX, K * ld), dyT, w, wIn, B, K, N, inPtr, inIdx);
  return info.Env().Undefined();
}

// sparseDw(dw, x, dyT, inPtr, inIdx, {B, K, N, xIsT, zero}): dW = xᵀ·dy at the active connections.
// xIsT: x is already transposed ([K, ld], from sparseForward). zero: also zero the other entries
// (false when dw is the layer's own buffer, whose inactive entries stay zero).
Napi::Value Dw(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* dw = f32(info, 0);
  const float *x = f32(info, 1), *dyT = f32(info, 2);
  const int32_t *inPtr = i32(info, 3), *inIdx = i32(info, 4);
  const Options opt(info, 5, "sparseDw");
  const int64_t B = opt.integer("B"), K = opt.integer("K"), N = opt.integer("N"), ld = padded(B);
  if ((int64_t)f32len(info, 0) != K * N) throw std::invalid_argument("sparseDw: dw must have K·N elements");
  const bool xIsT = opt.boolean("xIsT"), zero = opt.boolean("zero");
  const float* xT = x;
  if (!xIsT) {
    float* t = scratch(sX, K * ld);
    transposeIn(t, x, B, K, ld);
    xT = t;
  }
  if (zero) {
#pragma omp parallel for if (K * N >= kParMin) schedule(static)
    for (int64_t k = 0; k < K; k++) std::memset(dw + k * N, 0, N * sizeof(float));
  }
  sparse::linearDw(dw, xT, dyT, B, K, N, inPtr, inIdx);
  return info.Env().Undefined();
}

// sparseDb(db, dyT, {B, N}): db[n] = Σ_b dyT[n, b].
Napi::Value Db(const Napi::CallbackInfo& info) {
  float* db = f32(info, 0);
  const float* dyT = f32(info, 1);
  const Options opt(info, 2, "sparseDb");
  sparse::linearDb(db, dyT, opt.integer("B"), opt.integer("N"));
  return info.Env().Undefined();
}

// Whether a moment buffer at argument i is compact (one entry per active weight, in idx order) or
// dense (one per weight); with every weight active the two layouts are the same.
bool compactMoment(const Napi::CallbackInfo& info, size_t i, int64_t n, const char* who) {
  const int64_t len = (int64_t)f32len(info, i), wlen = (int64_t)f32len(info, 0);
  if (len != n && len != wlen)
    throw std::invalid_argument(std::string(who) + ": a moment buffer needs one entry per active weight or per weight");
  return len == n;
}

// sgdActive(w, g, m|null, idx, wIn|null, wOut|null, slot|null, {lr, momentum, weightDecay, nesterov}):
// optimizers.cc's sgd at the positions idx only. Masked positions hold w = g = 0, so the masked update leaves them at zero too. m is
// compact (entry j for idx[j]) or dense (compactMoment).
Napi::Value SgdActive(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* w = f32(info, 0);
  const float* g = f32(info, 1);
  float* m = f32(info, 2, true);
  const int32_t* idx = i32(info, 3);
  const int64_t n = info[3].As<Napi::Int32Array>().ElementLength();
  const Options opt(info, 7, "sgdActive");
  const float lr = (float)opt.number("lr"), mu = (float)opt.number("momentum"), wd = (float)opt.number("weightDecay");
  const bool nesterov = opt.boolean("nesterov");
  const Mirrors mir = mirrors(info, 4, n);
  const bool compact = m && compactMoment(info, 2, n, "sgdActive");
  // gathers and scatters over the dense arrays are latency-bound: two threads pay from 8k weights
#pragma omp parallel for if (n >= kActiveParMin) schedule(static)
  for (int64_t j = 0; j < n; j++) {
    const int64_t i = idx[j];
    float d = g[i] + wd * w[i];
    if (m) {
      float& mr = m[compact ? j : i];
      const float mi = mu * mr + d;
      mr = mi;
      d = nesterov ? d + mu * mi : mi;
    }
    w[i] = w[i] - lr * d;
    if (mir.in) mir.in[j] = mir.out[mir.slot[j]] = w[i];
  }
  return info.Env().Undefined();
}

// adamActive(w, g, m, v, idx, wIn|null, wOut|null, slot|null, {lr, beta1, beta2, eps, weightDecay, step}):
// optimizers.cc's adam (coupled weight decay) at the positions idx only; m and v compact or dense
// alike (compactMoment).
Napi::Value AdamActive(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* w = f32(info, 0);
  const float* g = f32(info, 1);
  float *m = f32(info, 2), *v = f32(info, 3);
  const int32_t* idx = i32(info, 4);
  const int64_t n = info[4].As<Napi::Int32Array>().ElementLength();
  const Options opt(info, 8, "adamActive");
  const double lr = opt.number("lr"), b1 = opt.number("beta1"), b2 = opt.number("beta2"), eps = opt.number("eps"),
               wd = opt.number("weightDecay");
  const double t = opt.number("step");
  const float bc1 = (float)(1.0 - std::pow(b1, t)), bc2s = (float)std::sqrt(1.0 - std::pow(b2, t));
  const float fb1 = (float)b1, fb2 = (float)b2, flr = (float)lr, feps = (float)eps, fwd = (float)wd;
  const float stepSize = flr / bc1;
  const Mirrors mir = mirrors(info, 5, n);
  const bool compact = compactMoment(info, 2, n, "adamActive");
  if (compactMoment(info, 3, n, "adamActive") != compact)
    throw std::invalid_argument("adamActive: m and v must have the same layout");
#pragma omp parallel for if (n >= kActiveParMin) schedule(static)
  for (int64_t j = 0; j < n; j++) {
    const int64_t i = idx[j], q = compact ? j : i;
    float wi = w[i];
    const float gi = g[i] + fwd * wi;
    const float mi = fb1 * m[q] + (1.f - fb1) * gi;
    const float vi = fb2 * v[q] + (1.f - fb2) * gi * gi;
    m[q] = mi;
    v[q] = vi;
    wi -= stepSize * mi / (std::sqrt(vi) / bc2s + feps);
    w[i] = wi;
    if (mir.in) mir.in[j] = mir.out[mir.slot[j]] = wi;
  }
  return info.Env().Undefined();
}
}  // namespace

namespace sparse {
int64_t paddedBatch(int64_t b) { return padded(b); }

void linearForward(float* y, const float* x, float* xT, float* yT, const float* W, const float* wOut,
                   const float* wIn, const float* bias, int64_t B, int64_t K, int64_t N, const int32_t* outPtr,
                   const int32_t* outIdx, const int32_t* inPtr, const int32_t* inIdx, bool relu) {
  const int64_t ld = padded(B);
  if (B < kSmallBatch) {
    forwardSmall(y, x, W, bias, B, K, N, inPtr, inIdx, relu, wIn);
    if (xT) transposeIn(xT, x, B, K, ld);
    return;
  }
  transposeIn(xT, x, B, K, ld);
  ops()->spmm(yT, xT, ld, N, outPtr, outIdx, wOut ? wOut : W, wOut ? 0 : 1, wOut ? 0 : N, bias, relu);
  transposeOut(y, yT, B, N, ld);
}

void linearGradOut(float* dyT, const float* dy, const float* gate, int64_t B, int64_t N) {
  transposeIn(dyT, dy, B, N, padded(B), gate);
}

void linearDx(float* dx, float* dxT, const float* dyT, const float* W, const float* wIn, int64_t B, int64_t K,
              int64_t N, const int32_t* inPtr, const int32_t* inIdx) {
  const int64_t ld = padded(B);
  ops()->spmm(dxT, dyT, ld, K, inPtr, inIdx, wIn ? wIn : W, wIn ? 0 : N, wIn ? 0 : 1, nullptr, false);
  transposeOut(dx, dxT, B, K, ld);
}

void linearDw(float* dW, const float* xT, const float* dyT, int64_t B, int64_t K, int64_t N,
              const int32_t* inPtr, const int32_t* inIdx) {
  ops()->sddmm(dW, xT, dyT, padded(B), K, inPtr, inIdx, N);
}

void linearDb(float* db, const float* dyT, int64_t B, int64_t N) {
  const int64_t ld = padded(B);
  for (int64_t n = 0; n < N; n++) {
    float s = 0.f;
    for (int64_t b = 0; b < B; b++) s += dyT[n * ld + b];
    db[n] = s;
  }
}
}  // namespace sparse

void registerSparseLinear(Napi::Env env, Napi::Object exports) {
  exports.Set("sparseIsa", Napi::Function::New(env, SparseIsa));
  exports.Set("sparseForward", Napi::Function::New(env, Forward));
  exports.Set("sparseGradOut", Napi::Function::New(env, GradOut));
  exports.Set("sparseDx", Napi::Function::New(env, Dx));
  exports.Set("sparseDw", Napi::Function::New(env, Dw));
  exports.Set("sparseDb", Napi::Function::New(env, Db));
  exports.Set("sgdActive", Napi::Function::New(env, SgdActive));
  exports.Set("adamActive", Napi::Function::New(env, AdamActive));
}
}  // namespace sprig
