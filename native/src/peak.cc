// peakFlops(ms): this machine's fp32 peak, measured. Every thread runs a register-only loop of
// independent fused multiply-adds (no memory traffic) for about `ms` milliseconds, with the widest
// vectors the CPU has (checked at run time); returns { gflops, threads, isa }. The benchmark
// reports the dense training step's GFLOP/s against it.
#include "common.h"
#include <immintrin.h>
#include <omp.h>
#include <chrono>

namespace sprig {
namespace {
// 12 accumulators cover the FMA latency (4 cycles) on two FMA pipes with room to spare.
constexpr int kAcc = 12;

__attribute__((target("avx512f"))) float fmaLoop512(int64_t iters) {
  __m512 a[kAcc];
  for (int k = 0; k < kAcc; k++) a[k] = _mm512_set1_ps(1.f + k * 1e-3f);
  const __m512 m = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-7f);
  for (int64_t i = 0; i < iters; i++)
    for (int k = 0; k < kAcc; k++) a[k] = _mm512_fmadd_ps(a[k], m, c);
  __m512 s = a[0];
  for (int k = 1; k < kAcc; k++) s = _mm512_add_ps(s, a[k]);
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) float fmaLoop256(int64_t iters) {
  __m256 a[kAcc];
  for (int k = 0; k < kAcc; k++) a[k] = _mm256_set1_ps(1.f + k * 1e-3f);
  const __m256 m = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
  for (int64_t i = 0; i < iters; i++)
    for (int k = 0; k < kAcc; k++) a[k] = _mm256_fmadd_ps(a[k], m, c);
  __m256 s = a[0];
  for (int k = 1; k < kAcc; k++) s = _mm256_add_ps(s, a[k]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}

// FLOPs of one run of `iters` on every thread, and its wall time in seconds.
double timed(bool wide, int64_t iters, volatile float* sink) {
  const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel
  {
    const float r = wide ? fmaLoop512(iters) : fmaLoop256(iters);
    sink[omp_get_thread_num()] = r;
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Napi::Value PeakFlops(const Napi::CallbackInfo& info) {
  const double ms = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 200;
  __builtin_cpu_init();
  const bool wide = __builtin_cpu_supports("avx512f");
  if (!wide && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")))
    throw std::runtime_error("peakFlops: this CPU has neither AVX-512 nor AVX2 with FMA");
  const int threads = omp_get_max_threads(), lanes = wide ? 16 : 8;
  volatile float sink[256];
  // grow the loop until one run takes ~10 ms, then take the best of the runs that fill `ms`
  int64_t iters = 1 << 12;
  while (timed(wide, iters, sink) < 0.01) iters *= 2;
  double best = 1e30, spent = 0;
  while (spent < ms / 1000) {
    const double s = timed(wide, iters, sink);
    best = std::min(best, s);
    spent += s;
  }
  const double flops = 2.0 * lanes * kAcc * (double)iters * threads;
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("gflops", flops / best / 1e9);
  o.Set("threads", threads);
  o.Set("isa", wide ? "avx512" : "avx2");
  return o;
}
}  // namespace

void registerPeak(Napi::Env env, Napi::Object exports) {
  exports.Set("peakFlops", Napi::Function::New(env, PeakFlops));
}
}  // namespace sprig
