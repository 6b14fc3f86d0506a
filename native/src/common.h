// Shared helpers for sprig's native kernels.
#pragma once
#include <napi.h>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace sprig {

// Float32Array (or null/undefined -> nullptr) argument i.
inline float* f32(const Napi::CallbackInfo& info, size_t i, bool optional = false) {
  Napi::Value v = info[i];
  if (optional && (v.IsNull() || v.IsUndefined())) return nullptr;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw std::invalid_argument("argument " + std::to_string(i) + " must be a Float32Array");
  return v.As<Napi::Float32Array>().Data();
}
inline size_t f32len(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Float32Array>().ElementLength();
}
inline int64_t i64(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int64Value(); }
inline double num(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().DoubleValue(); }
inline bool flag(const Napi::CallbackInfo& info, size_t i) { return info[i].ToBoolean().Value(); }
inline std::vector<int64_t> dims(const Napi::CallbackInfo& info, size_t i) {
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) out[k] = a.Get(k).As<Napi::Number>().Int64Value();
  return out;
}

// Activations shared by fused matmul / conv epilogues (TF.js names).
enum Act { ACT_LINEAR = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_SIGMOID = 3, ACT_ELU = 4, ACT_LEAKY = 5 };

// Minimum elements before an element-wise loop goes parallel (256 KB). Waking the team costs a few
// us on an idle machine, but milliseconds when other processes keep the cores busy (a descheduled
// thread holds up the barrier); adaptThreads() runs the team on one thread in that case, so on an
// idle machine arrays from 256 KB go parallel: LeNet-300's 235k-element SGD update takes 100 us on
// one core, and its step 0.75 -> 0.69 ms with this threshold instead of 1 MB.
constexpr int64_t kParMin = 1 << 16;

// Picks the thread count for the next kernel: all cores, or one while other processes keep the
// machine busy (OpenMP teams on an oversubscribed machine stall at every barrier). Cheap: looks at
// /proc/stat at most every 250 ms. A count fixed with setThreads() turns the adaptation off.
void adaptThreads();

// C [M, N] = op(A)·op(B), row-major, with the implementation matmul picks for the size (gemm.cc).
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, const float* B, float* C);
// bias and activation in place over rows × N (gemm.cc's fused epilogue).
void epilogue(float* C, int64_t rows, int64_t N, const float* bias, int a, float alpha);

void registerGemm(Napi::Env env, Napi::Object exports);
void registerConv(Napi::Env env, Napi::Object exports);
// One per kernel family (its .cc file); addon.cc calls them all.
void registerElementwise(Napi::Env env, Napi::Object exports);
void registerReduce(Napi::Env env, Napi::Object exports);
void registerPooling(Napi::Env env, Napi::Object exports);
void registerNormalisation(Napi::Env env, Napi::Object exports);
void registerSoftmax(Napi::Env env, Napi::Object exports);
void registerOptimizers(Napi::Env env, Napi::Object exports);
void registerSparseLinear(Napi::Env env, Napi::Object exports);
void registerSparseConv(Napi::Env env, Napi::Object exports);
void registerCompiledMlp(Napi::Env env, Napi::Object exports);
void registerPeak(Napi::Env env, Napi::Object exports);

}  // namespace sprig
