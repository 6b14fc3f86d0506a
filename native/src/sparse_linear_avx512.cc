// AVX-512 instances of the sparse fully-connected kernels (used when the CPU has AVX-512F).
#pragma GCC target("avx512f,fma")
#include <immintrin.h>
#include "sparse_linear_kern.h"

namespace sprig::sparse {
namespace {
struct V512 {
  using R = __m512;
  static constexpr int L = 16;
  static R zero() { return _mm512_setzero_ps(); }
  static R set1(float x) { return _mm512_set1_ps(x); }
  static R load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, R x) { _mm512_storeu_ps(p, x); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
  static R max0(R a) { return _mm512_max_ps(a, _mm512_setzero_ps()); }
  static float hsum(R a) { return _mm512_reduce_add_ps(a); }
};

void spmm(float* outT, const float* D, int64_t ld, int64_t rows, const int32_t* ptr, const int32_t* idx,
          const float* W, int64_t rowMul, int64_t colMul, const float* bias, bool relu) {
  spmmImpl<V512, 8>(outT, D, ld, rows, ptr, idx, W, rowMul, colMul, bias, relu);
}
void sddmm(float* dW, const float* A, const float* D, int64_t ld, int64_t rows, const int32_t* ptr,
           const int32_t* idx, int64_t N) {
  sddmmImpl<V512>(dW, A, D, ld, rows, ptr, idx, N);
}
const Ops ops{"avx512", spmm, sddmm, transposeAvx2};
}  // namespace
const Ops* opsAvx512() { return &ops; }
}  // namespace sprig::sparse
