// AVX-512 build of the sparse convolution loops (used when the CPU has AVX-512F, checked at run time).
#include <cstdint>
#pragma GCC target("avx512f,avx512dq,avx512vl,fma")
#include <immintrin.h>

namespace sprig {
namespace sc_avx512 {
struct Vec {
  using T = __m512;
  static constexpr int W = 16, ACC = 16;
  static T zero() { return _mm512_setzero_ps(); }
  static T set1(float v) { return _mm512_set1_ps(v); }
  static T load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
  static float hsum(T v) { return _mm512_reduce_add_ps(v); }
};
}  // namespace sc_avx512
}  // namespace sprig
#define SPRIG_SC_NS sc_avx512
#include "sparse_conv_kern.h"

namespace sprig {
void scGatherAvx512(float* out, int64_t outStride, const float* src, int64_t base, int64_t pixStride, int npix,
                 const int64_t* off, const float* val, int64_t nnz, int64_t Np) {
  sc_avx512::gatherAcc(out, outStride, src, base, pixStride, npix, off, val, nnz, Np);
}
void scDotAvx512(float* part, const float* dy, const int64_t* dyBase, const float* src, const int64_t* base, int npix,
                 const int64_t* off, int64_t nnz, int64_t Np) {
  sc_avx512::dotBlock(part, dy, dyBase, src, base, npix, off, nnz, Np);
}
}  // namespace sprig
