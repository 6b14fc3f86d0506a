// Sparse fully-connected kernels (SparseProp's layout), written once over a vector type V and
// compiled per instruction set (sparse_linear_avx512.cc, sparse_linear_avx2.cc, scalar in
// sparse_linear.cc). Dense activations are transposed to [features, ld] (ld = batch rounded up to
// 16, zero padded) so every inner loop runs over the batch, V::L lanes at a time. Each output element
// is summed by one thread in a fixed order, so results never depend on the thread count.
#pragma once
#include <omp.h>
#include <algorithm>
#include <cstdint>

namespace sprig::sparse {

// The kernels one instruction set provides (see sparse_linear.cc for the dispatch).
struct Ops {
  const char* name;
  // outT[r, :] = act(Σ_j W[r·rowMul + idx[j]·colMul] · D[idx[j], :] + bias[r]), j in ptr[r]..ptr[r+1];
  // colMul = 0: W is compact, in the CSR's own order (W[j]), so the weights stream from one small array.
  void (*spmm)(float* outT, const float* D, int64_t ld, int64_t rows, const int32_t* ptr,
               const int32_t* idx, const float* W, int64_t rowMul, int64_t colMul, const float* bias,
               bool relu);
  // dW[r·N + idx[j]] = Σ_b A[r, b] · D[idx[j], b] for j in ptr[r]..ptr[r+1] (SDDMM).
  void (*sddmm)(float* dW, const float* A, const float* D, int64_t ld, int64_t rows,
                const int32_t* ptr, const int32_t* idx, int64_t N);
  // dst[c·ldd + r] = src[r·lds + c] for r < rows, c < cols; with gate, 0 where !(gate[r·lds + c] > 0).
  void (*transpose)(float* dst, int64_t ldd, const float* src, int64_t lds, int64_t rows, int64_t cols,
                    const float* gate);
};

// The scalar transpose, also the edges of the vector ones (blocks of 16 for the cache).
inline void transposeScalar(float* dst, int64_t ldd, const float* src, int64_t lds, int64_t rows,
                            int64_t cols, const float* gate) {
  constexpr int64_t T = 16;
  for (int64_t r0 = 0; r0 < rows; r0 += T)
    for (int64_t c0 = 0; c0 < cols; c0 += T)
      for (int64_t c = c0; c < std::min(cols, c0 + T); c++)
        for (int64_t r = r0; r < std::min(rows, r0 + T); r++) {
          const float v = src[r * lds + c];
          dst[c * ldd + r] = gate && !(gate[r * lds + c] > 0.f) ? 0.f : v;
        }
}

// Rows [0, rows) split into 8-row bands, one thread per band range: each element is a copy, so the
// split cannot change results.
void transposeAvx2(float* dst, int64_t ldd, const float* src, int64_t lds, int64_t rows, int64_t cols,
                   const float* gate);

const Ops* opsAvx512();
const Ops* opsAvx2();
const Ops* opsScalar();

// Parallel only when a call has enough work to pay for waking the team (multiply-adds). Inside a
// training run the second thread is usually asleep when a kernel starts (JS ran in between): with
// 1 << 17, LeNet-300-100's 300×100 layer at 10 % (384k multiply-adds at batch 128) took 156–230 µs
// for dx against 42 µs on one thread (`node --import ./bench/addon-time.mjs dist/cli/main.js dst
// --method set --sparsity 0.9 --distribution uniform --no-dense-first-layer --train-steps 3ep`).
constexpr int64_t kSparseParMin = 1 << 20;

template <class V, int U>
static inline void spmmTile(float* out, const float* D, int64_t ld, const int32_t* idx, int32_t beg,
                            int32_t end, const float* W, int64_t wBase, int64_t colMul, float bias,
                            bool relu) {
  typename V::R acc[U];
  for (int u = 0; u < U; u++) acc[u] = V::zero();
  for (int32_t j = beg; j < end; j++) {
    const int64_t c = idx[j];
    const typename V::R w = V::set1(colMul == 0 ? W[j] : W[wBase + c * colMul]);
    const float* d = D + c * ld;
    for (int u = 0; u < U; u++) acc[u] = V::fma(w, V::load(d + u * V::L), acc[u]);
  }
  const typename V::R b = V::set1(bias);
  for (int u = 0; u < U; u++) {
    typename V::R r = V::add(acc[u], b);
    if (relu) r = V::max0(r);
    V::store(out + u * V::L, r);
  }
}

// Columns [0, width) of one output row (width a multiple of 16; ld is D's and out's row stride).
template <class V, int U>
static void spmmRow(float* out, const float* D, int64_t ld, int64_t width, const int32_t* idx, int32_t beg,
                    int32_t end, const float* W, int64_t wBase, int64_t colMul, float bias, bool relu) {
  constexpr int T = U * V::L;
  int64_t b0 = 0;
  for (; b0 + T <= width; b0 += T)
    spmmTile<V, U>(out + b0, D + b0, ld, idx, beg, end, W, wBase, colMul, bias, relu);
  if constexpr (U > 1) {
    const int64_t rest = (width - b0) / V::L;  // width is a multiple of 16, so of V::L
    if (rest > 0) {
      // the remaining vectors, one template instance per count
      switch (rest) {
#define SPRIG_TILE(n) \
  case n:             \
    if constexpr (n < U) spmmTile<V, n>(out + b0, D + b0, ld, idx, beg, end, W, wBase, colMul, bias, relu); \
    break;
        SPRIG_TILE(1) SPRIG_TILE(2) SPRIG_TILE(3) SPRIG_TILE(4) SPRIG_TILE(5) SPRIG_TILE(6) SPRIG_TILE(7)
#undef SPRIG_TILE
        default: break;
      }
    }
  }
}

// Large batches run in chunks of 128 examples, chunk after chunk, so the rows of D a chunk reads
// (features × 128 floats: 400 KB for 784 inputs) stay in L2 while every output row visits them.
constexpr int64_t kBatchChunk = 128;

template <class V, int U>
static void spmmImpl(float* outT, const float* D, int64_t ld, int64_t rows, const int32_t* ptr,
                     const int32_t* idx, const float* W, int64_t rowMul, int64_t colMul, const float* bias,
                     bool relu) {
  const bool par = (int64_t)ptr[rows] * ld >= kSparseParMin;
  const int64_t chunks = (ld + kBatchChunk - 1) / kBatchChunk;
#pragma omp parallel for collapse(2) if (par) schedule(dynamic, 4)
  for (int64_t c = 0; c < chunks; c++)
    for (int64_t r = 0; r < rows; r++) {
      const int64_t b0 = c * kBatchChunk, w = std::min(kBatchChunk, ld - b0);
      spmmRow<V, U>(outT + r * ld + b0, D + b0, ld, w, idx, ptr[r], ptr[r + 1], W, r * rowMul, colMul,
                    bias ? bias[r] : 0.f, relu);
    }
}

// One row of the SDDMM with the row of A held in registers (ld = U·V::L).
template <class V, int U>
static inline void sddmmRowReg(float* out, const float* a, const float* D, int64_t ld, const int32_t* idx,
                               int32_t beg, int32_t end) {
  typename V::R ar[U];
  for (int u = 0; u < U; u++) ar[u] = V::load(a + u * V::L);
  for (int32_t j = beg; j < end; j++) {
    const float* d = D + (int64_t)idx[j] * ld;
    typename V::R s0 = V::zero(), s1 = V::zero();
    for (int u = 0; u + 1 < U; u += 2) {
      s0 = V::fma(ar[u], V::load(d + u * V::L), s0);
      s1 = V::fma(ar[u + 1], V::load(d + (u + 1) * V::L), s1);
    }
    if constexpr (U % 2 == 1) s0 = V::fma(ar[U - 1], V::load(d + (U - 1) * V::L), s0);
    out[idx[j]] = V::hsum(V::add(s0, s1));
  }
}

template <class V>
static void sddmmImpl(float* dW, const float* A, const float* D, int64_t ld, int64_t rows,
                      const int32_t* ptr, const int32_t* idx, int64_t N) {
  const bool par = (int64_t)ptr[rows] * ld >= kSparseParMin;
#pragma omp parallel for if (par) schedule(dynamic, 4)
  for (int64_t r = 0; r < rows; r++) {
    const float* a = A + r * ld;
    float* out = dW + r * N;
    if constexpr (V::L >= 8) {
      // batches up to 8 vectors: A's row stays in registers
      switch (ld / V::L) {
        case 1: sddmmRowReg<V, 1>(out, a, D, ld, idx, ptr[r], ptr[r + 1]); continue;
        case 2: sddmmRowReg<V, 2>(out, a, D, ld, idx, ptr[r], ptr[r + 1]); continue;
        case 3: sddmmRowReg<V, 3>(out, a, D, ld, idx, ptr[r], ptr[r + 1]); continue;
        case 4: sddmmRowReg<V, 4>(out, a, D, ld, idx, ptr[r], ptr[r + 1]); continue;
        case 5: sddmmRowReg<V, 5>(out, a, D, ld, idx, ptr[r], ptr[r + 1]); continue;
        case 6: sddmmRowReg<V, 6>(out, a, D, ld, idx, ptr[r], ptr[r + 1]); continue;
        case 7: sddmmRowReg<V, 7>(out, a, D, ld, idx, ptr[r], ptr[r + 1]); continue;
        case 8: sddmmRowReg<V, 8>(out, a, D, ld, idx, ptr[r], ptr[r + 1]); continue;
        default: break;
      }
    }
    for (int32_t j = ptr[r]; j < ptr[r + 1]; j++) {
      const float* d = D + (int64_t)idx[j] * ld;
      // four accumulators, summed in a fixed tree
      typename V::R s0 = V::zero(), s1 = V::zero(), s2 = V::zero(), s3 = V::zero();
      int64_t b = 0;
      for (; b + 4 * V::L <= ld; b += 4 * V::L) {
        s0 = V::fma(V::load(a + b), V::load(d + b), s0);
        s1 = V::fma(V::load(a + b + V::L), V::load(d + b + V::L), s1);
        s2 = V::fma(V::load(a + b + 2 * V::L), V::load(d + b + 2 * V::L), s2);
        s3 = V::fma(V::load(a + b + 3 * V::L), V::load(d + b + 3 * V::L), s3);
      }
      for (; b < ld; b += V::L) s0 = V::fma(V::load(a + b), V::load(d + b), s0);
      out[idx[j]] = V::hsum(V::add(V::add(s0, s1), V::add(s2, s3)));
    }
  }
}

}  // namespace sprig::sparse
