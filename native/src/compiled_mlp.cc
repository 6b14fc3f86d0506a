// The compiled training step of a chain of fully-connected layers (an MLP such as LeNet-300-100):
// one call runs a batch's forward pass, softmax cross-entropy (label smoothing), backward pass and
// optimizer update (SGD with momentum or Nesterov, Adam; coupled weight decay), with each layer on
// the dense product (gemm.cc) or on the sparse kernels (sparse_linear.cc) as the caller says. TF.js
// runs the same step as about 30 dispatched ops, each allocating its output; here the buffers are
// the plan's, allocated once and grown only when a larger batch comes. The arithmetic of every
// piece is that of the kernel the TF.js path runs (src/engine/compiled/ says which).
//
// The weights, gradients, masks, index sets, compact mirrors and optimizer moments are the
// caller's arrays, bound per layer (compiledMlpBind) and read in place: a mask update rebinds only
// that layer's index sets.
#include "common.h"
#include "options.h"
#include "sparse_linear.h"
#include <omp.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

namespace sprig {
namespace {

enum ChainAct { A_LINEAR = 0, A_RELU = 1, A_SIGMOID = 2, A_TANH = 3 };
enum Optimizer { O_SGD = 0, O_ADAM = 1 };
// Active-weight updates are gathers and scatters: two threads pay from 8k weights (as sgdActive).
constexpr int64_t kActiveParMin = 1 << 13;

struct Layer {
  int64_t K = 0, N = 0;
  int act = A_LINEAR;
  bool hasBias = false;
  float *w = nullptr, *b = nullptr, *dw = nullptr, *db = nullptr;
  const float* mask = nullptr;  // a masked layer on the dense product: gradients and weights re-masked
  // the sparse structure (sparse.ts's SparseStructure), when the layer has one
  const int32_t *outPtr = nullptr, *outIdx = nullptr, *inPtr = nullptr, *inIdx = nullptr;
  const int32_t *active = nullptr, *slot = nullptr;
  int64_t nnz = 0;
  float *wIn = nullptr, *wOut = nullptr;  // compact mirrors of the active weights
  float *m = nullptr, *v = nullptr, *mb = nullptr, *vb = nullptr;
  bool compact = false;  // moments one entry per active weight (moments.ts) rather than per weight
  bool dwDirty = true;   // dw holds values off the active set (a dense gradient, an older structure)
  std::vector<float> xT;  // the transposed input the sparse forward keeps for the weight gradient
  Napi::ObjectReference bound;  // keeps the bound arrays alive
};

struct Plan {
  std::vector<Layer> layers;
  std::vector<std::vector<float>> out;  // out[i]: layer i's output [B, N_i]
  std::vector<float> g, gNext, gMasked, yT, dxT, dyT;
};

float* grow(std::vector<float>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

Plan& planOf(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal()) throw std::invalid_argument("argument 0 must be a compiled plan");
  return *info[0].As<Napi::External<Plan>>().Data();
}

const int32_t* i32arg(const Napi::CallbackInfo& info, size_t i, int64_t n, const char* what) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      (int64_t)v.As<Napi::Int32Array>().ElementLength() < n)
    throw std::invalid_argument(std::string(what) + " must be an Int32Array of at least " + std::to_string(n));
  return v.As<Napi::Int32Array>().Data();
}

// compiledMlpCreate(spec: Int32Array [K, N, act, hasBias] per layer) -> plan
Napi::Value Create(const Napi::CallbackInfo& info) {
  Napi::Value v = info[0];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      v.As<Napi::Int32Array>().ElementLength() % 4 != 0 || v.As<Napi::Int32Array>().ElementLength() == 0)
    throw std::invalid_argument("compiledMlpCreate: spec must be an Int32Array of [K, N, act, hasBias] per layer");
  Napi::Int32Array s = v.As<Napi::Int32Array>();
  auto* plan = new Plan();
  const size_t L = s.ElementLength() / 4;
  plan->layers.resize(L);
  plan->out.resize(L);
  for (size_t i = 0; i < L; i++) {
    Layer& l = plan->layers[i];
    l.K = s[4 * i];
    l.N = s[4 * i + 1];
    l.act = s[4 * i + 2];
    l.hasBias = s[4 * i + 3] != 0;
    if (l.K <= 0 || l.N <= 0 || l.act < A_LINEAR || l.act > A_TANH ||
        (i > 0 && plan->layers[i - 1].N != l.K)) {
      delete plan;
      throw std::invalid_argument("compiledMlpCreate: layer " + std::to_string(i) + " does not chain");
    }
  }
  return Napi::External<Plan>::New(info.Env(), plan, [](Napi::Env, Plan* p) { delete p; });
}

// A Float32Array field of the bind object with n entries, or null when absent.
float* field(const Napi::Object& o, const char* key, int64_t n, bool required) {
  Napi::Value v = o.Get(key);
  if (v.IsNull() || v.IsUndefined()) {
    if (required) throw std::invalid_argument(std::string("compiledMlpBind: '") + key + "' is required");
    return nullptr;
  }
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array ||
      (n >= 0 && (int64_t)v.As<Napi::Float32Array>().ElementLength() != n))
    throw std::invalid_argument(std::string("compiledMlpBind: '") + key + "' must be a Float32Array of " +
                                std::to_string(n));
  return v.As<Napi::Float32Array>().Data();
}

const int32_t* ifield(const Napi::Object& o, const char* key, int64_t n) {
  Napi::Value v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      (int64_t)v.As<Napi::Int32Array>().ElementLength() != n)
    throw std::invalid_argument(std::string("compiledMlpBind: '") + key + "' must be an Int32Array of " +
                                std::to_string(n));
  return v.As<Napi::Int32Array>().Data();
}

// An optimizer moment: one entry per weight, or per active weight (compact); null when absent.
float* moment(const Napi::Object& o, const char* key, int64_t dense, int64_t compact, bool* isCompact) {
  Napi::Value v = o.Get(key);
  if (v.IsNull() || v.IsUndefined()) return nullptr;
  const int64_t n = v.IsTypedArray() ? (int64_t)v.As<Napi::Float32Array>().ElementLength() : -1;
  if (n != dense && n != compact)
    throw std::invalid_argument(std::string("compiledMlpBind: '") + key + "' needs one entry per weight or per active weight");
  *isCompact = n != dense;
  return field(o, key, n, true);
}

// compiledMlpBind(plan, i, {w, b?, dw, db?, mask?, active?, outPtr?, outIdx?, inPtr?, inIdx?, slot?,
// wIn?, wOut?, m?, v?, mb?, vb?}): layer i's arrays, read in place until the next bind.
Napi::Value Bind(const Napi::CallbackInfo& info) {
  Plan& p = planOf(info);
  const int64_t i = i64(info, 1);
  if (i < 0 || i >= (int64_t)p.layers.size()) throw std::invalid_argument("compiledMlpBind: no layer " + std::to_string(i));
  Layer& l = p.layers[i];
  const Napi::Object o = info[2].As<Napi::Object>();
  const int64_t KN = l.K * l.N;
  l.w = field(o, "w", KN, true);
  l.dw = field(o, "dw", KN, true);
  l.b = field(o, "b", l.N, l.hasBias);
  l.db = field(o, "db", l.N, l.hasBias);
  l.mask = field(o, "mask", KN, false);
  Napi::Value act = o.Get("active");
  l.active = nullptr;
  l.nnz = 0;
  l.wIn = l.wOut = nullptr;
  if (act.IsTypedArray()) {
    l.nnz = (int64_t)act.As<Napi::Int32Array>().ElementLength();
    l.active = ifield(o, "active", l.nnz);
    l.outPtr = ifield(o, "outPtr", l.N + 1);
    l.outIdx = ifield(o, "outIdx", l.nnz);
    l.inPtr = ifield(o, "inPtr", l.K + 1);
    l.inIdx = ifield(o, "inIdx", l.nnz);
    l.slot = ifield(o, "slot", l.nnz);
    l.wIn = field(o, "wIn", l.nnz, true);
    l.wOut = field(o, "wOut", l.nnz, true);
  }
  bool mCompact = false, vCompact = false;
  l.m = moment(o, "m", KN, l.active ? l.nnz : KN, &mCompact);
  l.v = moment(o, "v", KN, l.active ? l.nnz : KN, &vCompact);
  if (l.m && l.v && mCompact != vCompact) throw std::invalid_argument("compiledMlpBind: m and v must have the same layout");
  l.compact = mCompact || vCompact;
  l.mb = field(o, "mb", l.N, false);
  l.vb = field(o, "vb", l.N, false);
  l.dwDirty = true;
  l.bound = Napi::Persistent(o);
  return info.Env().Undefined();
}

inline float activate(float v, int a) {
  switch (a) {
    case A_SIGMOID: return 1.0f / (1.0f + std::exp(-v));
    case A_TANH: return std::tanh(v);
    default: return v;
  }
}

// Layer i's output for the input x [B, K] (sparse: on the sparse kernels).
void forwardLayer(Layer& l, float* y, const float* x, int64_t B, bool sparse, bool keepXT, Plan& p) {
  const bool relu = l.act == A_RELU;
  if (sparse) {
    const int64_t ld = sparse::paddedBatch(B);
    float* xT = keepXT || B >= 8 ? grow(l.xT, l.K * ld) : nullptr;
    sparse::linearForward(y, x, xT, grow(p.yT, l.N * ld), l.w, l.wOut, l.wIn, l.b, B, l.K, l.N, l.outPtr,
                          l.outIdx, l.inPtr, l.inIdx, relu);
  } else {
    gemm(false, false, B, l.N, l.K, x, l.w, y);
    epilogue(y, B, l.N, l.b, relu ? ACT_RELU : ACT_LINEAR, 0.f);
  }
  if (l.act == A_SIGMOID || l.act == A_TANH)
    for (int64_t j = 0; j < B * l.N; j++) y[j] = activate(y[j], l.act);
}

const float* forward(Plan& p, const float* x, int64_t B, const int32_t* sparse, bool keepXT) {
  const float* in = x;
  for (size_t i = 0; i < p.layers.size(); i++) {
    Layer& l = p.layers[i];
    float* y = grow(p.out[i], B * l.N);
    forwardLayer(l, y, in, B, sparse[i] != 0, keepXT, p);
    in = y;
  }
  return in;
}

// Mean softmax cross-entropy against one-hot labels smoothed by eps, and its gradient in g: the
// arithmetic of loss.ts's kernel (float64 sums) on losses.ts's float32 targets.
double crossEntropy(float* g, const float* z, const int32_t* labels, int64_t B, int64_t C, double eps) {
  const float on = (float)(1.0 - eps), off = (float)(eps / (double)C);
  double total = 0;
  const double scale = 1.0 / (double)B;
  for (int64_t b = 0; b < B; b++) {
    const float* zb = z + b * C;
    float m = -INFINITY;
    for (int64_t k = 0; k < C; k++) m = std::max(m, zb[k]);
    double s = 0;
    for (int64_t k = 0; k < C; k++) s += std::exp((double)zb[k] - (double)m);
    const double lse = (double)m + std::log(s);
    double st = 0;
    for (int64_t k = 0; k < C; k++) {
      const float t = eps == 0 ? (k == labels[b] ? 1.f : 0.f) : (k == labels[b] ? 1.f : 0.f) * on + off;
      st += t;
      total += (double)t * ((double)zb[k] - lse);
    }
    for (int64_t k = 0; k < C; k++) {
      const float t = eps == 0 ? (k == labels[b] ? 1.f : 0.f) : (k == labels[b] ? 1.f : 0.f) * on + off;
      g[b * C + k] = (float)(scale * (std::exp((double)zb[k] - lse) * st - (double)t));
    }
  }
  return -total / (double)B;
}

// dy ⊙ act'(y) in place (ReLU: dy ⊙ step(y), as reluGrad; sigmoid y(1−y); tanh 1−y²).
void activationGrad(float* g, const float* y, int64_t n, int act) {
  if (act == A_RELU)
    for (int64_t j = 0; j < n; j++) g[j] *= std::isnan(y[j]) ? y[j] : (y[j] > 0 ? 1.f : 0.f);
  else if (act == A_SIGMOID)
    for (int64_t j = 0; j < n; j++) g[j] *= y[j] * (1.f - y[j]);
  else if (act == A_TANH)
    for (int64_t j = 0; j < n; j++) g[j] *= 1.f - y[j] * y[j];
}

// db[n] = Σ_b g[b, n], summed in double as reduce.cc's column sums.
void columnSums(float* db, const float* g, int64_t B, int64_t N) {
  std::vector<double> acc(N, 0.0);
  for (int64_t b = 0; b < B; b++)
    for (int64_t n = 0; n < N; n++) acc[n] += g[b * N + n];
  for (int64_t n = 0; n < N; n++) db[n] = (float)acc[n];
}

// Layer i's gradients from g (d loss / d its output, [B, N]; consumed); dx into dx unless null.
void backwardLayer(Layer& l, Plan& p, float* g, const float* x, const float* y, float* dx, int64_t B, bool sparse,
                   bool denseGrads) {
  if (l.act != A_RELU) activationGrad(g, y, B * l.N, l.act);
  if (sparse) {
    const int64_t ld = sparse::paddedBatch(B);
    float* dyT = grow(p.dyT, l.N * ld);
    sparse::linearGradOut(dyT, g, l.act == A_RELU ? y : nullptr, B, l.N);
    if (l.db) sparse::linearDb(l.db, dyT, B, l.N);
    if (denseGrads) {
      // RigL's grow scores: dW over every connection, a dense product
      activationGrad(g, y, B * l.N, l.act == A_RELU ? A_RELU : A_LINEAR);
      gemm(true, false, l.K, l.N, B, x, g, l.dw);
      l.dwDirty = true;
    } else {
      if (l.dwDirty) std::memset(l.dw, 0, sizeof(float) * l.K * l.N);
      l.dwDirty = false;
      sparse::linearDw(l.dw, l.xT.data(), dyT, B, l.K, l.N, l.inPtr, l.inIdx);
    }
    if (dx) sparse::linearDx(dx, grow(p.dxT, l.K * ld), dyT, l.w, l.wIn, B, l.K, l.N, l.inPtr, l.inIdx);
    return;
  }
  if (l.act == A_RELU) activationGrad(g, y, B * l.N, A_RELU);
  gemm(true, false, l.K, l.N, B, x, g, l.dw);
  l.dwDirty = true;
  if (l.db) columnSums(l.db, g, B, l.N);
  if (dx) gemm(false, true, B, l.K, l.N, g, l.w, dx);
}

struct OptimizerStep {
  int kind;
  float lr, mu, wd, b1, b2, eps, bc1, bc2s;
  bool nesterov;
};

OptimizerStep optimizerStep(const Options& o) {
  OptimizerStep s{};
  s.kind = (int)o.integer("optimizer");
  o.require(s.kind == O_SGD || s.kind == O_ADAM, "optimizer must be 0 (sgd) or 1 (adam)");
  s.lr = (float)o.number("lr");
  s.wd = (float)o.number("weightDecay");
  if (s.kind == O_SGD) {
    s.mu = (float)o.number("momentum");
    s.nesterov = o.boolean("nesterov");
    return s;
  }
  const double b1 = o.number("beta1"), b2 = o.number("beta2"), t = o.number("step");
  s.b1 = (float)b1;
  s.b2 = (float)b2;
  s.eps = (float)o.number("eps");
  s.bc1 = (float)(1.0 - std::pow(b1, t));
  s.bc2s = (float)std::sqrt(1.0 - std::pow(b2, t));
  return s;
}

// One weight's update, optimizers.cc's sgd/adam (coupled weight decay), m/v at entry q.
inline float update(const OptimizerStep& s, float w, float g, float* m, float* v, int64_t q) {
  float d = g + s.wd * w;
  if (s.kind == O_SGD) {
    if (m) {
      const float mi = s.mu * m[q] + d;
      m[q] = mi;
      d = s.nesterov ? d + s.mu * mi : mi;
    }
    return w - s.lr * d;
  }
  const float mi = s.b1 * m[q] + (1.f - s.b1) * d;
  const float vi = s.b2 * v[q] + (1.f - s.b2) * d * d;
  m[q] = mi;
  v[q] = vi;
  return w - (s.lr / s.bc1) * mi / (std::sqrt(vi) / s.bc2s + s.eps);
}

void applyLayer(Layer& l, const OptimizerStep& s) {
  if (s.kind == O_ADAM && (!l.m || !l.v || (l.b && (!l.mb || !l.vb))))
    throw std::invalid_argument("compiledMlp: Adam needs m and v bound for every layer");
  if (l.active) {
    const int64_t n = l.nnz;
#pragma omp parallel for if (n >= kActiveParMin) schedule(static)
    for (int64_t j = 0; j < n; j++) {
      const int64_t i = l.active[j];
      const float wi = update(s, l.w[i], l.dw[i], l.m, l.v, l.compact ? j : i);
      l.w[i] = wi;
      l.wIn[j] = l.wOut[l.slot[j]] = wi;
    }
  } else {
    const int64_t n = l.K * l.N;
    const float* mask = l.mask;
#pragma omp parallel for if (n >= kParMin) schedule(static)
    for (int64_t i = 0; i < n; i++) {
      const float g = mask ? l.dw[i] * mask[i] : l.dw[i];
      if (mask) l.dw[i] = g;
      float wi = update(s, l.w[i], g, l.m, l.v, i);
      if (mask) wi *= mask[i];
      l.w[i] = wi;
    }
  }
  if (l.b)
    for (int64_t i = 0; i < l.N; i++) l.b[i] = update(s, l.b[i], l.db[i], l.mb, l.vb, i);
}

void checkBound(const Plan& p) {
  for (const Layer& l : p.layers)
    if (!l.w) throw std::invalid_argument("compiledMlp: every layer must be bound first");
}

// compiledMlpStep(plan, x, labels, sparse, {B, labelSmoothing, denseGrads, update, optimizer, lr,
// weightDecay, momentum, nesterov | beta1, beta2, eps, step}) -> the batch's mean loss. Without
// update the gradients stay in the bound dw/db (compiledMlpApply then updates).
Napi::Value Step(const Napi::CallbackInfo& info) {
  adaptThreads();
  Plan& p = planOf(info);
  checkBound(p);
  const float* x = f32(info, 1);
  const Options o(info, 4, "compiledMlpStep");
  const int64_t B = o.integer("B"), L = (int64_t)p.layers.size(), C = p.layers.back().N;
  o.require(B > 0 && (int64_t)f32len(info, 1) >= B * p.layers[0].K, "x must hold B·K inputs");
  const int32_t* labels = i32arg(info, 2, B, "labels");
  const int32_t* sparse = i32arg(info, 3, L, "sparse");
  for (int64_t i = 0; i < L; i++)
    o.require(!sparse[i] || p.layers[i].active, "layer " + std::to_string(i) + " runs sparse without a structure");
  const double eps = o.number("labelSmoothing");
  const bool denseGrads = o.boolean("denseGrads"), doUpdate = o.boolean("update");
  for (int64_t b = 0; b < B; b++) o.require(labels[b] >= 0 && labels[b] < C, "a label is out of range");
  const OptimizerStep s = doUpdate ? optimizerStep(o) : OptimizerStep{};
  const float* z = forward(p, x, B, sparse, true);
  float* g = grow(p.g, B * C);
  const double loss = crossEntropy(g, z, labels, B, C, eps);
  for (int64_t i = L - 1; i >= 0; i--) {
    Layer& l = p.layers[i];
    const float* in = i == 0 ? x : p.out[i - 1].data();
    float* dx = i == 0 ? nullptr : grow(p.gNext, B * l.K);
    backwardLayer(l, p, g, in, p.out[i].data(), dx, B, sparse[i] != 0, denseGrads);
    if (dx) std::swap(p.g, p.gNext), g = p.g.data();
  }
  if (doUpdate)
    for (Layer& l : p.layers) applyLayer(l, s);
  return Napi::Number::New(info.Env(), loss);
}

// compiledMlpApply(plan, {optimizer, lr, weightDecay, ...}): the optimizer update from the bound dw/db.
Napi::Value Apply(const Napi::CallbackInfo& info) {
  adaptThreads();
  Plan& p = planOf(info);
  checkBound(p);
  const Options o(info, 1, "compiledMlpApply");
  const OptimizerStep s = optimizerStep(o);
  for (Layer& l : p.layers) applyLayer(l, s);
  return info.Env().Undefined();
}

// compiledMlpForward(plan, logits, x, sparse, {B}): a batch's logits in one call (inference).
Napi::Value Forward(const Napi::CallbackInfo& info) {
  adaptThreads();
  Plan& p = planOf(info);
  checkBound(p);
  float* logits = f32(info, 1);
  const float* x = f32(info, 2);
  const Options o(info, 4, "compiledMlpForward");
  const int64_t B = o.integer("B"), L = (int64_t)p.layers.size(), C = p.layers.back().N;
  const int32_t* sparse = i32arg(info, 3, L, "sparse");
  for (int64_t i = 0; i < L; i++)
    o.require(!sparse[i] || p.layers[i].active, "layer " + std::to_string(i) + " runs sparse without a structure");
  o.require((int64_t)f32len(info, 1) >= B * C && (int64_t)f32len(info, 2) >= B * p.layers[0].K,
            "logits must hold B·classes and x B·K entries");
  if (B == 0) return info.Env().Undefined();
  const float* z = forward(p, x, B, sparse, false);
  std::memcpy(logits, z, sizeof(float) * B * C);
  return info.Env().Undefined();
}
}  // namespace

void registerCompiledMlp(Napi::Env env, Napi::Object exports) {
  exports.Set("compiledMlpCreate", Napi::Function::New(env, Create));
  exports.Set("compiledMlpBind", Napi::Function::New(env, Bind));
  exports.Set("compiledMlpStep", Napi::Function::New(env, Step));
  exports.Set("compiledMlpApply", Napi::Function::New(env, Apply));
  exports.Set("compiledMlpForward", Napi::Function::New(env, Forward));
}
}  // namespace sprig
