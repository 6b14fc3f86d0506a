// AVX2 build of the sparse convolution loops (CPUs without AVX-512; forced with sparseConvIsa('avx2')).
#include <cstdint>
#pragma GCC target("avx2,fma")
#include <immintrin.h>

namespace sprig {
namespace sc_avx2 {
struct Vec {
  using T = __m256;
  static constexpr int W = 8, ACC = 8;  // 8 accumulators + the broadcast fit 16 registers
  static T zero() { return _mm256_setzero_ps(); }
  static T set1(float v) { return _mm256_set1_ps(v); }
  static T load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static T fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static T add(T a, T b) { return _mm256_add_ps(a, b); }
  static float hsum(T v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
  }
};
}  // namespace sc_avx2
}  // namespace sprig
#define SPRIG_SC_NS sc_avx2
#include "sparse_conv_kern.h"

namespace sprig {
void scGatherAvx2(float* out, int64_t outStride, const float* src, int64_t base, int64_t pixStride, int npix,
                 const int64_t* off, const float* val, int64_t nnz, int64_t Np) {
  sc_avx2::gatherAcc(out, outStride, src, base, pixStride, npix, off, val, nnz, Np);
}
void scDotAvx2(float* part, const float* dy, const int64_t* dyBase, const float* src, const int64_t* base, int npix,
               const int64_t* off, int64_t nnz, int64_t Np) {
  sc_avx2::dotBlock(part, dy, dyBase, src, base, npix, off, nnz, Np);
}
}  // namespace sprig
