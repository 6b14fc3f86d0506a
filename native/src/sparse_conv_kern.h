// The inner loops of the sparse convolutions (sparse_conv.cc), written once over a vector type and
// compiled per instruction set (sparse_conv_avx512.cc, sparse_conv_avx2.cc, sparse_conv.cc's
// portable copy). Every operand is laid out with the batch innermost and padded to a multiple of 16
// lanes (SparseProp's layout), so one active connection is a broadcast weight times contiguous
// vectors, whatever the filter shape.
#pragma once
#include <cstdint>

namespace sprig {
namespace SPRIG_SC_NS {

// out[0..Np) = sum_j val[j] * src[base + off[j] + 0..Np), Np a multiple of 16.
static inline void gatherAcc(float* out, const float* src, int64_t base, const int64_t* off, const float* val,
                             int64_t nnz, int64_t Np) {
  constexpr int W = Vec::W, CH = Vec::CH;  // lanes per vector; vectors held in registers
  int64_t n0 = 0;
  for (; n0 + CH * W <= Np; n0 += CH * W) {
    typename Vec::T acc[CH];
    for (int c = 0; c < CH; c++) acc[c] = Vec::zero();
    const float* s = src + base + n0;
    for (int64_t j = 0; j < nnz; j++) {
      const typename Vec::T v = Vec::set1(val[j]);
      const float* p = s + off[j];
      for (int c = 0; c < CH; c++) acc[c] = Vec::fma(v, Vec::load(p + c * W), acc[c]);
    }
    for (int c = 0; c < CH; c++) Vec::store(out + n0 + c * W, acc[c]);
  }
  for (; n0 < Np; n0 += W) {
    typename Vec::T acc = Vec::zero();
    const float* s = src + base + n0;
    for (int64_t j = 0; j < nnz; j++) acc = Vec::fma(Vec::set1(val[j]), Vec::load(s + off[j]), acc);
    Vec::store(out + n0, acc);
  }
}

// part[j] += sum over the block's pixels q and lanes n of dy[q*dyStride + n] * src[base[q] + off[j] + n]:
// the weight gradient at the active connections only (a sampled dense-dense product).
static inline void dotBlock(float* part, const float* dy, int64_t dyStride, const float* src, const int64_t* base,
                            int npix, const int64_t* off, int64_t nnz, int64_t Np) {
  constexpr int W = Vec::W;
  for (int64_t j = 0; j < nnz; j++) {
    typename Vec::T a0 = Vec::zero(), a1 = Vec::zero();
    for (int q = 0; q < npix; q++) {
      const float* d = dy + q * dyStride;
      const float* s = src + base[q] + off[j];
      int64_t n = 0;
      for (; n + 2 * W <= Np; n += 2 * W) {
        a0 = Vec::fma(Vec::load(d + n), Vec::load(s + n), a0);
        a1 = Vec::fma(Vec::load(d + n + W), Vec::load(s + n + W), a1);
      }
      for (; n < Np; n += W) a0 = Vec::fma(Vec::load(d + n), Vec::load(s + n), a0);
    }
    part[j] += Vec::hsum(Vec::add(a0, a1));
  }
}

}  // namespace SPRIG_SC_NS
}  // namespace sprig
