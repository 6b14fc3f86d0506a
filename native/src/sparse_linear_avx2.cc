// AVX2 + FMA instances of the sparse fully-connected kernels (CPUs without AVX-512).
#pragma GCC target("avx2,fma")
#include <immintrin.h>
#include "sparse_linear_kern.h"

namespace sprig::sparse {
namespace {
struct V256 {
  using R = __m256;
  static constexpr int L = 8;
  static R zero() { return _mm256_setzero_ps(); }
  static R set1(float x) { return _mm256_set1_ps(x); }
  static R load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, R x) { _mm256_storeu_ps(p, x); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static R add(R a, R b) { return _mm256_add_ps(a, b); }
  static R max0(R a) { return _mm256_max_ps(a, _mm256_setzero_ps()); }
  static float hsum(R a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
};

void spmm(float* outT, const float* D, int64_t ld, int64_t rows, const int32_t* ptr, const int32_t* idx,
          const float* W, int64_t rowMul, int64_t colMul, const float* bias, bool relu) {
  spmmImpl<V256, 8>(outT, D, ld, rows, ptr, idx, W, rowMul, colMul, bias, relu);
}
void sddmm(float* dW, const float* A, const float* D, int64_t ld, int64_t rows, const int32_t* ptr,
           const int32_t* idx, int64_t N) {
  sddmmImpl<V256>(dW, A, D, ld, rows, ptr, idx, N);
}
const Ops ops{"avx2", spmm, sddmm};
}  // namespace
const Ops* opsAvx2() { return &ops; }
}  // namespace sprig::sparse
