// 2-D convolution forward / backward-data / backward-weights through oneDNN (v2.x API), on TF.js's
// layouts: activations NHWC, filters [kh, kw, cin, cout] (oneDNN "hwio"). Primitives are cached by
// shape; filters are reordered into oneDNN's preferred blocked layout when it differs.
#include "common.h"
#include "options.h"
#ifdef SPRIG_HAVE_DNNL
#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>
#include <map>
#include <memory>

namespace sprig {
using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

static engine& eng() { static engine e(engine::kind::cpu, 0); return e; }
static stream& strm() { static stream s(eng()); return s; }

// A convolution's geometry: N,H,W,C, KH,KW,O, OH,OW, sh,sw, pt,pl,pb,pr, dh,dw.
struct P {
  int64_t N, H, W, C, KH, KW, O, OH, OW, sh, sw, pt, pl, pb, pr, dh, dw;
  memory::desc src() const { return memory::desc({N, C, H, W}, dt::f32, tag::nhwc); }
  memory::desc dst() const { return memory::desc({N, O, OH, OW}, dt::f32, tag::nhwc); }
  memory::desc wUser() const { return memory::desc({O, C, KH, KW}, dt::f32, tag::hwio); }
  memory::desc wAny() const { return memory::desc({O, C, KH, KW}, dt::f32, tag::any); }
  memory::dims strides() const { return {sh, sw}; }
  memory::dims dil() const { return {dh - 1, dw - 1}; }
  memory::dims padl() const { return {pt, pl}; }
  memory::dims padr() const { return {pb, pr}; }
};

// The geometry from a call's options object (TF.js's Conv2DInfo field names, pads flattened).
static P readP(const Options& o) {
  const auto g = convGeometry(o);
  return P{g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15], g[16]};
}
// Checks the lengths of the activation-, filter- and output-sized arguments against the geometry.
static void checkLengths(const Options& o, const P& p, const Napi::CallbackInfo& info, size_t x, size_t w, size_t y) {
  o.require((int64_t)f32len(info, x) == p.N * p.H * p.W * p.C, "the input-sized array does not match the geometry");
  o.require((int64_t)f32len(info, w) == p.KH * p.KW * p.C * p.O, "the filter-sized array does not match the geometry");
  o.require((int64_t)f32len(info, y) == p.N * p.OH * p.OW * p.O, "the output-sized array does not match the geometry");
}

static std::vector<int64_t> key(int kind, const P& p, int64_t a, int64_t b) {
  // oneDNN plans a primitive's threading when it is created: one per thread count.
  return {kind, omp_get_max_threads(), p.N, p.H, p.W, p.C, p.KH, p.KW, p.O, p.OH, p.OW, p.sh, p.sw, p.pt, p.pl, p.pb, p.pr, p.dh, p.dw, a, b};
}

static convolution_forward::desc fwdDesc(const P& p, prop_kind pk, bool bias) {
  if (bias)
    return convolution_forward::desc(pk, algorithm::convolution_direct, p.src(), p.wAny(),
                                     memory::desc({p.O}, dt::f32, tag::a), p.dst(), p.strides(), p.dil(), p.padl(),
                                     p.padr());
  return convolution_forward::desc(pk, algorithm::convolution_direct, p.src(), p.wAny(), p.dst(), p.strides(), p.dil(),
                                   p.padl(), p.padr());
}

struct Entry {
  primitive prim;
  memory::desc wPrim;
  bool reorderW = false;
  primitive wReorder;  // user -> prim (fwd/bwd-data) or prim -> user (bwd-weights)
  memory wBuf;
};

static std::map<std::vector<int64_t>, std::unique_ptr<Entry>> cache;

static Entry& fwdEntry(const P& p, bool bias, int a, float alpha) {
  auto k = key(0, p, bias, a * 1000003 + (int64_t)(alpha * 1e6));
  auto it = cache.find(k);
  if (it != cache.end()) return *it->second;
  primitive_attr attr;
  if (a != ACT_LINEAR) {
    post_ops ops;
    switch (a) {
      case ACT_RELU: ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f); break;
      case ACT_RELU6: ops.append_eltwise(1.f, algorithm::eltwise_clip, 0.f, 6.f); break;
      case ACT_SIGMOID: ops.append_eltwise(1.f, algorithm::eltwise_logistic, 0.f, 0.f); break;
      case ACT_ELU: ops.append_eltwise(1.f, algorithm::eltwise_elu, 1.f, 0.f); break;
      case ACT_LEAKY: ops.append_eltwise(1.f, algorithm::eltwise_relu, alpha, 0.f); break;
      default: throw std::invalid_argument("unsupported activation");
    }
    attr.set_post_ops(ops);
  }
  // Inference-style forward is the same computation; forward_training keeps the plain layout choice.
  convolution_forward::primitive_desc pd(fwdDesc(p, prop_kind::forward_training, bias), attr, eng());
  auto e = std::make_unique<Entry>();
  e->prim = convolution_forward(pd);
  e->wPrim = pd.weights_desc();
  if (e->wPrim != p.wUser()) {
    e->reorderW = true;
    e->wBuf = memory(e->wPrim, eng());
    e->wReorder = reorder(memory(p.wUser(), eng(), nullptr), e->wBuf);
  }
  return *cache.emplace(k, std::move(e)).first->second;
}

static Entry& bwdDataEntry(const P& p) {
  auto k = key(1, p, 0, 0);
  auto it = cache.find(k);
  if (it != cache.end()) return *it->second;
  convolution_forward::primitive_desc hint(fwdDesc(p, prop_kind::forward_training, false), eng());
  convolution_backward_data::desc d(algorithm::convolution_direct, p.src(), p.wAny(), p.dst(), p.strides(), p.dil(),
                                    p.padl(), p.padr());
  convolution_backward_data::primitive_desc pd(d, eng(), hint);
  auto e = std::make_unique<Entry>();
  e->prim = convolution_backward_data(pd);
  e->wPrim = pd.weights_desc();
  if (e->wPrim != p.wUser()) {
    e->reorderW = true;
    e->wBuf = memory(e->wPrim, eng());
    e->wReorder = reorder(memory(p.wUser(), eng(), nullptr), e->wBuf);
  }
  return *cache.emplace(k, std::move(e)).first->second;
}

static Entry& bwdWeightsEntry(const P& p) {
  auto k = key(2, p, 0, 0);
  auto it = cache.find(k);
  if (it != cache.end()) return *it->second;
  convolution_forward::primitive_desc hint(fwdDesc(p, prop_kind::forward_training, false), eng());
  convolution_backward_weights::desc d(algorithm::convolution_direct, p.src(), p.wAny(), p.dst(), p.strides(), p.dil(),
                                       p.padl(), p.padr());
  convolution_backward_weights::primitive_desc pd(d, eng(), hint);
  auto e = std::make_unique<Entry>();
  e->prim = convolution_backward_weights(pd);
  e->wPrim = pd.diff_weights_desc();
  if (e->wPrim != p.wUser()) {
    e->reorderW = true;
    e->wBuf = memory(e->wPrim, eng());
    e->wReorder = reorder(e->wBuf, memory(p.wUser(), eng(), nullptr));
  }
  return *cache.emplace(k, std::move(e)).first->second;
}

// convFwd(y, x, w, bias|null, {...geometry, act, alpha}); act (Act) and alpha (leaky slope) default to 0.
static Napi::Value ConvFwd(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* y = f32(info, 0);
  float* x = f32(info, 1);
  float* w = f32(info, 2);
  float* bias = f32(info, 3, true);
  Options opt(info, 4, "convFwd");
  P p = readP(opt);
  checkLengths(opt, p, info, 1, 2, 0);
  opt.require(!bias || (int64_t)f32len(info, 3) == p.O, "bias needs outChannels entries");
  int a = (int)opt.integer("act", ACT_LINEAR);
  float alpha = (float)opt.number("alpha", 0);
  Entry& e = fwdEntry(p, bias != nullptr, a, alpha);
  memory wU(p.wUser(), eng(), w);
  memory wP = wU;
  if (e.reorderW) {
    e.wReorder.execute(strm(), {{DNNL_ARG_FROM, wU}, {DNNL_ARG_TO, e.wBuf}});
    wP = e.wBuf;
  }
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(p.src(), eng(), x)},
                                       {DNNL_ARG_WEIGHTS, wP},
                                       {DNNL_ARG_DST, memory(p.dst(), eng(), y)}};
  if (bias) args.emplace(DNNL_ARG_BIAS, memory(memory::desc({p.O}, dt::f32, tag::a), eng(), bias));
  e.prim.execute(strm(), args);
  strm().wait();
  return info.Env().Undefined();
}

// convBwdData(dx, dy, w, geometry)
static Napi::Value ConvBwdData(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* dx = f32(info, 0);
  float* dy = f32(info, 1);
  float* w = f32(info, 2);
  Options opt(info, 3, "convBwdData");
  P p = readP(opt);
  checkLengths(opt, p, info, 0, 2, 1);
  Entry& e = bwdDataEntry(p);
  memory wU(p.wUser(), eng(), w);
  memory wP = wU;
  if (e.reorderW) {
    e.wReorder.execute(strm(), {{DNNL_ARG_FROM, wU}, {DNNL_ARG_TO, e.wBuf}});
    wP = e.wBuf;
  }
  e.prim.execute(strm(), {{DNNL_ARG_DIFF_SRC, memory(p.src(), eng(), dx)},
                          {DNNL_ARG_WEIGHTS, wP},
                          {DNNL_ARG_DIFF_DST, memory(p.dst(), eng(), dy)}});
  strm().wait();
  return info.Env().Undefined();
}

// convBwdWeights(dw, x, dy, geometry)
static Napi::Value ConvBwdWeights(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* dw = f32(info, 0);
  float* x = f32(info, 1);
  float* dy = f32(info, 2);
  Options opt(info, 3, "convBwdWeights");
  P p = readP(opt);
  checkLengths(opt, p, info, 1, 0, 2);
  Entry& e = bwdWeightsEntry(p);
  memory wU(p.wUser(), eng(), dw);
  e.prim.execute(strm(), {{DNNL_ARG_SRC, memory(p.src(), eng(), x)},
                          {DNNL_ARG_DIFF_WEIGHTS, e.reorderW ? e.wBuf : wU},
                          {DNNL_ARG_DIFF_DST, memory(p.dst(), eng(), dy)}});
  if (e.reorderW) e.wReorder.execute(strm(), {{DNNL_ARG_FROM, e.wBuf}, {DNNL_ARG_TO, wU}});
  strm().wait();
  return info.Env().Undefined();
}

// Which implementation oneDNN picked for a forward conv of these params (for diagnostics).
static Napi::Value ConvImpl(const Napi::CallbackInfo& info) {
  P p = readP(Options(info, 0, "convImpl"));
  convolution_forward::primitive_desc pd(fwdDesc(p, prop_kind::forward_training, false), eng());
  convolution_forward::primitive_desc hint = pd;
  convolution_backward_weights::primitive_desc bw(
      convolution_backward_weights::desc(algorithm::convolution_direct, p.src(), p.wAny(), p.dst(), p.strides(),
                                         p.dil(), p.padl(), p.padr()),
      eng(), hint);
  convolution_backward_data::primitive_desc bd(
      convolution_backward_data::desc(algorithm::convolution_direct, p.src(), p.wAny(), p.dst(), p.strides(), p.dil(),
                                      p.padl(), p.padr()),
      eng(), hint);
  return Napi::String::New(info.Env(), std::string(pd.impl_info_str()) + " | " + bd.impl_info_str() + " | " +
                                           bw.impl_info_str());
}

void registerConv(Napi::Env env, Napi::Object exports) {
  exports.Set("convFwd", Napi::Function::New(env, ConvFwd));
  exports.Set("convBwdData", Napi::Function::New(env, ConvBwdData));
  exports.Set("convBwdWeights", Napi::Function::New(env, ConvBwdWeights));
  exports.Set("convImpl", Napi::Function::New(env, ConvImpl));
}
}  // namespace sprig
#else
namespace sprig {
void registerConv(Napi::Env, Napi::Object) {}
}  // namespace sprig
#endif
