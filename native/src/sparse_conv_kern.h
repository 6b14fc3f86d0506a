// The inner loops of the sparse convolutions (sparse_conv.cc), written once over a vector type and
// compiled per instruction set (sparse_conv_avx512.cc, sparse_conv_avx2.cc, sparse_conv.cc's
// portable copy). Every operand is laid out with the batch innermost and padded to a multiple of 16
// lanes (SparseProp's layout), so one active connection is a broadcast weight times contiguous
// vectors, whatever the filter shape. Register blocking: NV batch vectors times NP output pixels
// (forward, dx: the pixels share each broadcast weight), or NV vectors times NJ connections (dW:
// the connections share each dy load), so that enough independent FMA chains hide the latency.
#pragma once
#include <cstdint>

namespace sprig {
namespace SPRIG_SC_NS {

template <int NV, int NP>
static inline void gatherT(float* out, int64_t outStride, const float* src, int64_t pixStride, const int64_t* off,
                           const float* val, int64_t nnz) {
  constexpr int W = Vec::W;
  typename Vec::T acc[NP][NV];
  for (int p = 0; p < NP; p++)
    for (int c = 0; c < NV; c++) acc[p][c] = Vec::zero();
  for (int64_t j = 0; j < nnz; j++) {
    const typename Vec::T v = Vec::set1(val[j]);
    const float* s = src + off[j];
    for (int p = 0; p < NP; p++)
      for (int c = 0; c < NV; c++) acc[p][c] = Vec::fma(v, Vec::load(s + p * pixStride + c * W), acc[p][c]);
  }
  for (int p = 0; p < NP; p++)
    for (int c = 0; c < NV; c++) Vec::store(out + p * outStride + c * W, acc[p][c]);
}

// For npix (1 or 2) pixels at src + base + p·pixStride: out[p·outStride + 0..Np) =
// sum_j val[j] * src[base + p·pixStride + off[j] + 0..Np), Np a multiple of 16.
static inline void gatherAcc(float* out, int64_t outStride, const float* src, int64_t base, int64_t pixStride,
                             int npix, const int64_t* off, const float* val, int64_t nnz, int64_t Np) {
  constexpr int W = Vec::W;
  for (int64_t n0 = 0; n0 < Np;) {
    const int64_t r = (Np - n0) / W;
    float* o = out + n0;
    const float* s = src + base + n0;
    if (npix == 2) {
      if (r >= 8 && Vec::ACC >= 16) { gatherT<8, 2>(o, outStride, s, pixStride, off, val, nnz); n0 += 8 * W; }
      else if (r >= 4) { gatherT<4, 2>(o, outStride, s, pixStride, off, val, nnz); n0 += 4 * W; }
      else if (r >= 2) { gatherT<2, 2>(o, outStride, s, pixStride, off, val, nnz); n0 += 2 * W; }
      else { gatherT<1, 2>(o, outStride, s, pixStride, off, val, nnz); n0 += W; }
    } else {
      if (r >= 8) { gatherT<8, 1>(o, outStride, s, pixStride, off, val, nnz); n0 += 8 * W; }
      else if (r >= 4) { gatherT<4, 1>(o, outStride, s, pixStride, off, val, nnz); n0 += 4 * W; }
      else if (r >= 2) { gatherT<2, 1>(o, outStride, s, pixStride, off, val, nnz); n0 += 2 * W; }
      else { gatherT<1, 1>(o, outStride, s, pixStride, off, val, nnz); n0 += W; }
    }
  }
}

template <int NV, int NJ>
static inline void dotT(float* part, const float* dy, const int64_t* dyBase, const float* src, const int64_t* base,
                        int npix, const int64_t* off, int64_t Np) {
  constexpr int W = Vec::W;
  typename Vec::T a[NJ][NV];
  for (int k = 0; k < NJ; k++)
    for (int c = 0; c < NV; c++) a[k][c] = Vec::zero();
  for (int q = 0; q < npix; q++) {
    const float* d = dy + dyBase[q];
    for (int64_t n = 0; n < Np; n += NV * W) {
      typename Vec::T dv[NV];
      for (int c = 0; c < NV; c++) dv[c] = Vec::load(d + n + c * W);
      for (int k = 0; k < NJ; k++) {
        const float* s = src + base[q] + off[k] + n;
        for (int c = 0; c < NV; c++) a[k][c] = Vec::fma(dv[c], Vec::load(s + c * W), a[k][c]);
      }
    }
  }
  for (int k = 0; k < NJ; k++) {
    typename Vec::T t = a[k][0];
    for (int c = 1; c < NV; c++) t = Vec::add(t, a[k][c]);
    part[k] += Vec::hsum(t);
  }
}

// part[j] += sum over the block's pixels q and lanes n of dy[dyBase[q] + n] * src[base[q] + off[j] + n]:
// the weight gradient at the active connections only (a sampled dense-dense product).
static inline void dotBlock(float* part, const float* dy, const int64_t* dyBase, const float* src, const int64_t* base,
                            int npix, const int64_t* off, int64_t nnz, int64_t Np) {
  constexpr int W = Vec::W;
  const int64_t nv = Np / W;
  int64_t j = 0;
  // NV vectors per pass over the batch (a divisor of Np/W), 2 connections at a time
  if (nv % 4 == 0) {
    for (; j + 2 <= nnz; j += 2) dotT<4, 2>(part + j, dy, dyBase, src, base, npix, off + j, Np);
    for (; j < nnz; j++) dotT<4, 1>(part + j, dy, dyBase, src, base, npix, off + j, Np);
  } else if (nv % 2 == 0) {
    for (; j + 2 <= nnz; j += 2) dotT<2, 2>(part + j, dy, dyBase, src, base, npix, off + j, Np);
    for (; j < nnz; j++) dotT<2, 1>(part + j, dy, dyBase, src, base, npix, off + j, Np);
  } else {
    for (; j + 2 <= nnz; j += 2) dotT<1, 2>(part + j, dy, dyBase, src, base, npix, off + j, Np);
    for (; j < nnz; j++) dotT<1, 1>(part + j, dy, dyBase, src, base, npix, off + j, Np);
  }
}

}  // namespace SPRIG_SC_NS
}  // namespace sprig
