// The sparse fully-connected layer's passes as plain C++ calls (sparse_linear.cc), for callers
// inside the addon: the N-API functions sparseForward/sparseDx/... wrap them, and the compiled
// training step (compiled_mlp.cc) runs them on its own buffers. Layout as sparse_linear_kern.h:
// activations transposed to [features, ld], ld = batch rounded up to 16.
#pragma once
#include <cstdint>

namespace sprig::sparse {

int64_t paddedBatch(int64_t b);

// y [B, N] = act(x·W + bias) over the active connections; xT (K·ld) receives the transposed input
// (for linearDw), yT (N·ld) is scratch. wOut, wIn: the compact mirrors (or null: W is read).
void linearForward(float* y, const float* x, float* xT, float* yT, const float* W, const float* wOut,
                   const float* wIn, const float* bias, int64_t B, int64_t K, int64_t N, const int32_t* outPtr,
                   const int32_t* outIdx, const int32_t* inPtr, const int32_t* inIdx, bool relu);
// dyT [N, ld] = transpose(dy ⊙ (gate > 0)) (gate null: no masking).
void linearGradOut(float* dyT, const float* dy, const float* gate, int64_t B, int64_t N);
// dx [B, K] = dy·Wᵀ over the active connections; dxT (K·ld) is scratch.
void linearDx(float* dx, float* dxT, const float* dyT, const float* W, const float* wIn, int64_t B, int64_t K,
              int64_t N, const int32_t* inPtr, const int32_t* inIdx);
// dW = xᵀ·dy at the active connections only (xT from linearForward); other entries untouched.
void linearDw(float* dW, const float* xT, const float* dyT, int64_t B, int64_t K, int64_t N,
              const int32_t* inPtr, const int32_t* inIdx);
// db[n] = Σ_b dyT[n, b].
void linearDb(float* db, const float* dyT, int64_t B, int64_t N);

}  // namespace sprig::sparse
