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
// One 8×8 block: rows r of src (8 floats each) become columns of dst.
inline void block8(float* dst, int64_t ldd, const float* src, int64_t lds, const float* gate) {
  __m256 r[8];
  for (int i = 0; i < 8; i++) {
    r[i] = _mm256_loadu_ps(src + i * lds);
    if (gate) {
      const __m256 g = _mm256_cmp_ps(_mm256_loadu_ps(gate + i * lds), _mm256_setzero_ps(), _CMP_GT_OQ);
      r[i] = _mm256_and_ps(r[i], g);
    }
  }
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int h = 0; h < 8; h += 4) {
    u[h] = _mm256_shuffle_ps(t[h], t[h + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[h + 1] = _mm256_shuffle_ps(t[h], t[h + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[h + 2] = _mm256_shuffle_ps(t[h + 1], t[h + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[h + 3] = _mm256_shuffle_ps(t[h + 1], t[h + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; i++) {
    _mm256_storeu_ps(dst + i * ldd, _mm256_permute2f128_ps(u[i], u[i + 4], 0x20));
    _mm256_storeu_ps(dst + (i + 4) * ldd, _mm256_permute2f128_ps(u[i], u[i + 4], 0x31));
  }
}
}  // namespace

void transposeAvx2(float* dst, int64_t ldd, const float* src, int64_t lds, int64_t rows, int64_t cols,
                   const float* gate) {
  const int64_t R8 = rows / 8 * 8, C8 = cols / 8 * 8;
#pragma omp parallel for if (rows * cols >= (1 << 18)) schedule(static)
  for (int64_t r = 0; r < R8; r += 8)
    for (int64_t c = 0; c < C8; c += 8)
      block8(dst + c * ldd + r, ldd, src + r * lds + c, lds, gate ? gate + r * lds + c : nullptr);
  // the ragged edges: the last cols % 8 columns of every row, then the last rows % 8 rows
  if (C8 < cols) transposeScalar(dst + C8 * ldd, ldd, src + C8, lds, R8, cols - C8, gate ? gate + C8 : nullptr);
  if (R8 < rows) transposeScalar(dst + R8, ldd, src + R8 * lds, lds, rows - R8, cols, gate ? gate + R8 * lds : nullptr);
}

namespace {
const Ops ops{"avx2", spmm, sddmm, transposeAvx2};
}  // namespace
const Ops* opsAvx2() { return &ops; }
}  // namespace sprig::sparse
