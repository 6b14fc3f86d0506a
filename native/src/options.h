// The options object of an addon call: its named numbers and flags, each checked when it is read.
// A missing or mistyped field throws a TypeError to JS that names the function, the field and what
// it must be, e.g. "convFwd: option 'strideHeight' must be an integer >= 0 (got undefined)".
#pragma once
#include "common.h"
#include <array>
#include <cmath>
#include <string>

namespace sprig {

class Options {
 public:
  Options(const Napi::CallbackInfo& info, size_t i, const char* fn) : env_(info.Env()), fn_(fn) {
    Napi::Value v = info[i];
    if (!v.IsObject() || v.IsArray() || v.IsTypedArray())
      throw Napi::TypeError::New(env_, std::string(fn) + ": argument " + std::to_string(i) +
                                           " must be an options object (got " + typeName(v) + ")");
    obj_ = v.As<Napi::Object>();
  }

  // A required integer >= 0 (sizes, strides, pads, op codes).
  int64_t integer(const char* key) const { return toInteger(key, obj_.Get(key)); }
  int64_t integer(const char* key, int64_t fallback) const {
    Napi::Value v = obj_.Get(key);
    return v.IsUndefined() ? fallback : toInteger(key, v);
  }
  // A required finite number (learning rates, epsilons, slopes).
  double number(const char* key) const { return toNumber(key, obj_.Get(key)); }
  double number(const char* key, double fallback) const {
    Napi::Value v = obj_.Get(key);
    return v.IsUndefined() ? fallback : toNumber(key, v);
  }
  bool boolean(const char* key) const { return toBoolean(key, obj_.Get(key)); }
  bool boolean(const char* key, bool fallback) const {
    Napi::Value v = obj_.Get(key);
    return v.IsUndefined() ? fallback : toBoolean(key, v);
  }
  // A required array of integers >= 0 (a broadcast's shape and strides).
  std::vector<int64_t> integers(const char* key) const {
    Napi::Value v = obj_.Get(key);
    if (!v.IsArray()) fail(key, "an array of integers >= 0", v);
    Napi::Array a = v.As<Napi::Array>();
    std::vector<int64_t> out(a.Length());
    for (uint32_t k = 0; k < a.Length(); k++) out[k] = toInteger(key, a.Get(k));
    return out;
  }

  // Throws unless `ok`, naming the function and the broken relation (array lengths vs geometry).
  void require(bool ok, const std::string& what) const {
    if (!ok) throw Napi::RangeError::New(env_, std::string(fn_) + ": " + what);
  }

 private:
  Napi::Env env_;
  const char* fn_;
  Napi::Object obj_;

  static std::string typeName(const Napi::Value& v) {
    if (v.IsUndefined()) return "undefined";
    if (v.IsNull()) return "null";
    if (v.IsNumber()) return std::to_string(v.As<Napi::Number>().DoubleValue());
    if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? "true" : "false";
    if (v.IsString()) return "a string";
    if (v.IsArray()) return "an array";
    return "an object";
  }
  [[noreturn]] void fail(const char* key, const char* want, const Napi::Value& got) const {
    throw Napi::TypeError::New(env_, std::string(fn_) + ": option '" + key + "' must be " + want + " (got " +
                                         typeName(got) + ")");
  }
  int64_t toInteger(const char* key, const Napi::Value& v) const {
    if (!v.IsNumber()) fail(key, "an integer >= 0", v);
    const double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= 0) || d != std::floor(d) || d > 9007199254740992.0) fail(key, "an integer >= 0", v);
    return static_cast<int64_t>(d);
  }
  double toNumber(const char* key, const Napi::Value& v) const {
    if (!v.IsNumber() || !std::isfinite(v.As<Napi::Number>().DoubleValue())) fail(key, "a finite number", v);
    return v.As<Napi::Number>().DoubleValue();
  }
  bool toBoolean(const char* key, const Napi::Value& v) const {
    if (!v.IsBoolean()) fail(key, "true or false", v);
    return v.As<Napi::Boolean>().Value();
  }
};

// A convolution's geometry from a call's options (TF.js's Conv2DInfo field names, pads flattened), in
// the order N,H,W,C, KH,KW,O, OH,OW, sh,sw, pt,pl,pb,pr, dh,dw: shared by the dense and sparse convs.
inline std::array<int64_t, 17> convGeometry(const Options& o) {
  static const char* keys[17] = {"batchSize",    "inHeight",     "inWidth",   "inChannels", "filterHeight",
                                 "filterWidth",  "outChannels",  "outHeight", "outWidth",   "strideHeight",
                                 "strideWidth",  "padTop",       "padLeft",   "padBottom",  "padRight",
                                 "dilationHeight", "dilationWidth"};
  std::array<int64_t, 17> g;
  for (int i = 0; i < 17; i++) g[i] = o.integer(keys[i]);
  o.require(g[9] > 0 && g[10] > 0 && g[15] > 0 && g[16] > 0, "strides and dilations must be >= 1");
  return g;
}

}  // namespace sprig
