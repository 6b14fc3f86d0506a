// Matrix products: C[b] = op(A[b]) * op(B[b]) (+ bias, activation), row-major, as TF.js BatchMatMul.
// Small products (MLP layers at batch 60) are dominated by call and threading overheads, so the
// implementation is picked per size: OpenBLAS single-threaded, OpenBLAS split over our OpenMP
// threads, or oneDNN's sgemm (which threads internally).
#include "common.h"
#include "options.h"
#include <cblas.h>
#include <omp.h>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#ifdef SPRIG_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <map>
#include <memory>
#include <vector>
#endif

namespace sprig {

enum GemmImpl { G_AUTO = 0, G_BLAS1 = 1, G_BLAS_SPLIT = 2, G_DNNL = 3, G_DNNL_MATMUL = 4 };

static inline void blas(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
                        int64_t ldb, float* C, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K,
              1.0f, A, (int)lda, B, (int)ldb, 0.0f, C, (int)ldc);
}

// One product, split across OpenMP threads along the larger of M and N.
static void gemmSplit(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, const float* B, float* C) {
  const int64_t lda = ta ? M : K, ldb = tb ? K : N;
  const int nt = omp_get_max_threads();
  const bool splitM = M >= N;
  const int64_t D = splitM ? M : N;
  // Keep chunks a multiple of 16 so each thread's panel stays aligned with BLAS micro-kernels.
  int parts = (int)std::min<int64_t>(nt, std::max<int64_t>(1, D / 16));
#pragma omp parallel for num_threads(parts) schedule(static, 1)
  for (int p = 0; p < parts; p++) {
    int64_t chunk = ((D + parts - 1) / parts + 15) / 16 * 16;
    int64_t d0 = p * chunk, d1 = std::min(D, d0 + chunk);
    if (d0 >= d1) continue;
    if (splitM) {
      const float* a = ta ? A + d0 : A + d0 * lda;
      blas(ta, tb, d1 - d0, N, K, a, lda, B, ldb, C + d0 * N, N);
    } else {
      const float* b = tb ? B + d0 * ldb : B + d0;
      blas(ta, tb, M, d1 - d0, K, A, lda, b, ldb, C + d0, N);
    }
  }
}

#ifdef SPRIG_HAVE_DNNL
// oneDNN's matmul primitive (brgemm kernels on AVX-512). Unlike dnnl_sgemm, whose JIT GEMM kernels
// point rsp into a heap workspace so that any signal arriving mid-kernel writes its frame there
// (oneDNN issue #4845, fixed in 3.12; Debian ships 2.6), the brgemm kernels leave rsp alone:
// native/test/signals.cc-style storms of SIGPROF leave the heap intact. Cached per shape, transposes
// and thread count (a primitive plans its threading when it is created).
struct MatmulEntry {
  dnnl::matmul prim;
  dnnl::memory a, b, c;
  bool safe;  // brgemm kernels; anything else (x64:gemm:jit, the unsafe sgemm) goes to OpenBLAS
};
static dnnl::engine& mmEngine() { static dnnl::engine e(dnnl::engine::kind::cpu, 0); return e; }
static dnnl::stream& mmStream() { static dnnl::stream s(mmEngine()); return s; }

static bool dnnlMatmul(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, const float* B, float* C) {
  using tag = dnnl::memory::format_tag;
  using dt = dnnl::memory::data_type;
  static std::map<std::vector<int64_t>, std::unique_ptr<MatmulEntry>> cache;
  std::vector<int64_t> key{M, N, K, ta, tb, omp_get_max_threads()};
  auto it = cache.find(key);
  if (it == cache.end()) {
    auto& eng = mmEngine();
    dnnl::memory::desc a({M, K}, dt::f32, ta ? tag::ba : tag::ab), b({K, N}, dt::f32, tb ? tag::ba : tag::ab),
        c({M, N}, dt::f32, tag::ab);
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c), eng);
    auto e = std::make_unique<MatmulEntry>();
    e->prim = dnnl::matmul(pd);
    e->a = dnnl::memory(a, eng, nullptr);
    e->b = dnnl::memory(b, eng, nullptr);
    e->c = dnnl::memory(c, eng, nullptr);
    e->safe = std::string(pd.impl_info_str()).rfind("brg", 0) == 0;
    it = cache.emplace(key, std::move(e)).first;
  }
  MatmulEntry& e = *it->second;
  if (!e.safe) return false;
  e.a.set_data_handle(const_cast<float*>(A));
  e.b.set_data_handle(const_cast<float*>(B));
  e.c.set_data_handle(C);
  e.prim.execute(mmStream(), {{DNNL_ARG_SRC, e.a}, {DNNL_ARG_WEIGHTS, e.b}, {DNNL_ARG_DST, e.c}});
  mmStream().wait();
  return true;
}
#endif

// SPRIG_GEMM_IMPL=1..4 forces one implementation for the products from 3 MFLOP up (A/B benchmarks:
// 2 is the choice before oneDNN's matmul primitive).
static int forcedImpl = 0;

static GemmImpl pick(int64_t M, int64_t N, int64_t K) {
  const double flops = 2.0 * M * N * K;
  // Below ~3 MFLOP a primitive call costs more than it saves: one OpenBLAS thread. Above, oneDNN's
  // matmul primitive, which runs LeNet-300-100's products at 1.1-1.3x OpenBLAS split over our
  // threads (bench/matmul.ts). Not dnnl_sgemm: it corrupts the heap when a signal arrives mid-kernel.
  (void)M;
  if (flops < 3e6) return G_BLAS1;
  if (forcedImpl) return (GemmImpl)forcedImpl;
#ifdef SPRIG_HAVE_DNNL
  return G_DNNL_MATMUL;
#else
  return omp_get_max_threads() < 2 ? G_BLAS1 : G_BLAS_SPLIT;
#endif
}

static void gemmOne(GemmImpl impl, bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, const float* B,
                    float* C) {
  const int64_t lda = ta ? M : K, ldb = tb ? K : N;
  if (impl == G_AUTO) impl = pick(M, N, K);
  switch (impl) {
#ifdef SPRIG_HAVE_DNNL
    case G_DNNL:
      if (dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, N) != dnnl_success)
        throw std::runtime_error("dnnl_sgemm failed");
      return;
    case G_DNNL_MATMUL:
      if (dnnlMatmul(ta, tb, M, N, K, A, B, C)) return;
      if (omp_get_max_threads() > 1) gemmSplit(ta, tb, M, N, K, A, B, C);
      else blas(ta, tb, M, N, K, A, lda, B, ldb, C, N);
      return;
#endif
    case G_BLAS_SPLIT:
      gemmSplit(ta, tb, M, N, K, A, B, C);
      return;
    default:
      blas(ta, tb, M, N, K, A, lda, B, ldb, C, N);
  }
}

static inline float act(float v, int a, float alpha) {
  switch (a) {
    case ACT_RELU: return v > 0 ? v : 0;
    case ACT_RELU6: return v < 0 ? 0 : (v > 6 ? 6 : v);
    case ACT_SIGMOID: return 1.0f / (1.0f + std::exp(-v));
    case ACT_ELU: return v >= 0 ? v : std::exp(v) - 1.0f;
    case ACT_LEAKY: return v < 0 ? alpha * v : v;
    default: return v;
  }
}

// One product with the implementation `matmul` would pick for its size (compiled_mlp.cc calls it).
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, const float* B, float* C) {
  if (K == 0) std::fill(C, C + M * N, 0.0f);
  else gemmOne(G_AUTO, ta, tb, M, N, K, A, B, C);
}

// bias (length N, broadcast over rows; or nullptr) and activation applied in place to rows x N.
void epilogue(float* C, int64_t rows, int64_t N, const float* bias, int a, float alpha) {
  if (!bias && a == ACT_LINEAR) return;
#pragma omp parallel for if (rows * N >= kParMin) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    float* c = C + r * N;
    if (bias && a == ACT_RELU) {
      for (int64_t j = 0; j < N; j++) { float v = c[j] + bias[j]; c[j] = v > 0 ? v : 0; }
    } else if (bias) {
      for (int64_t j = 0; j < N; j++) c[j] = act(c[j] + bias[j], a, alpha);
    } else if (a == ACT_RELU) {
      for (int64_t j = 0; j < N; j++) c[j] = c[j] > 0 ? c[j] : 0;
    } else {
      for (int64_t j = 0; j < N; j++) c[j] = act(c[j], a, alpha);
    }
  }
}

// matmul(C, A, B, bias|null, {m, n, k, batchA, batchB, transA, transB, act, alpha, impl}): batchA and
// batchB default to 1 (one of them 1, or both equal), the flags to false, act, alpha and impl to 0.
static Napi::Value MatMul(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* C = f32(info, 0);
  const float* A = f32(info, 1);
  const float* B = f32(info, 2);
  const float* bias = f32(info, 3, true);
  Options opt(info, 4, "matmul");
  const int64_t M = opt.integer("m"), N = opt.integer("n"), K = opt.integer("k");
  const int64_t bA = opt.integer("batchA", 1), bB = opt.integer("batchB", 1);
  const bool ta = opt.boolean("transA", false), tb = opt.boolean("transB", false);
  const int a = (int)opt.integer("act", ACT_LINEAR);
  const float alpha = (float)opt.number("alpha", 0);
  const GemmImpl impl = (GemmImpl)opt.integer("impl", G_AUTO);
  opt.require(bA >= 1 && bB >= 1 && (bA == bB || bA == 1 || bB == 1), "batchA and batchB must be equal, or one of them 1");
  opt.require(impl <= G_DNNL_MATMUL, "impl must be 0..4");
  const int64_t batch = std::max(bA, bB);
  opt.require((int64_t)f32len(info, 0) >= batch * M * N && (int64_t)f32len(info, 1) >= bA * M * K &&
                  (int64_t)f32len(info, 2) >= bB * K * N,
              "C, A or B is shorter than the product's shape says");
  opt.require(!bias || (int64_t)f32len(info, 3) >= N, "bias needs n entries");
  if (K == 0) {
    std::fill(C, C + batch * M * N, 0.0f);
  } else if (batch == 1) {
    gemmOne(impl, ta, tb, M, N, K, A, B, C);
  } else if (impl == G_AUTO && omp_get_max_threads() > 1 && 2.0 * M * N * K < 4e6) {
    // Many small products: one per thread.
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < batch; b++)
      gemmOne(G_BLAS1, ta, tb, M, N, K, A + (bA == 1 ? 0 : b * M * K), B + (bB == 1 ? 0 : b * K * N), C + b * M * N);
  } else {
    for (int64_t b = 0; b < batch; b++)
      gemmOne(impl, ta, tb, M, N, K, A + (bA == 1 ? 0 : b * M * K), B + (bB == 1 ? 0 : b * K * N), C + b * M * N);
  }
  epilogue(C, batch * M, N, bias, a, alpha);
  return info.Env().Undefined();
}

void registerGemm(Napi::Env env, Napi::Object exports) {
  openblas_set_num_threads(1);
  if (const char* f = std::getenv("SPRIG_GEMM_IMPL")) forcedImpl = std::clamp(std::atoi(f), 0, 4);
  exports.Set("matmul", Napi::Function::New(env, MatMul));
}

}  // namespace sprig
