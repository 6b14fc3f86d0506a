// Reductions (sum, mean, max, min) over the middle axis of an [outer, R, inner] view.
#include "common.h"
#include "options.h"
#include <omp.h>
#include <algorithm>
#include <cmath>
#include <limits>

namespace sprig {

// ---------------------------------------------------------------- reductions over [outer, R, inner]
enum Red { R_SUM = 0, R_MEAN = 1, R_MAX = 2, R_MIN = 3 };

// reduce(out, x, {op, outer, r, inner}): out[outer, inner] from x[outer, r, inner]. Sums accumulate in
// double, as the JS kernels do.
static Napi::Value Reduce(const Napi::CallbackInfo& info) {
  adaptThreads();
  float* o = f32(info, 0);
  const float* x = f32(info, 1);
  Options opt(info, 2, "reduce");
  const int op = (int)opt.integer("op");
  const int64_t outer = opt.integer("outer"), R = opt.integer("r"), inner = opt.integer("inner");
  opt.require(op <= R_MIN, "unknown op " + std::to_string(op));
  opt.require((int64_t)f32len(info, 0) >= outer * inner && (int64_t)f32len(info, 1) >= outer * R * inner,
              "out must hold outer*inner and x outer*r*inner elements");
  const bool par = outer * R * inner >= kParMin;
  const bool isSum = op == R_SUM || op == R_MEAN;
  const double scale = op == R_MEAN ? 1.0 / (double)R : 1.0;
  if (inner == 1) {
#pragma omp parallel for if (par) schedule(static)
    for (int64_t r = 0; r < outer; r++) {
      const float* xr = x + r * R;
      if (isSum) {
        double s = 0;
        for (int64_t j = 0; j < R; j++) s += xr[j];
        o[r] = (float)(s * scale);
      } else {
        float m = R ? xr[0] : 0.f;
        for (int64_t j = 1; j < R; j++) m = op == R_MAX ? (xr[j] > m ? xr[j] : m) : (xr[j] < m ? xr[j] : m);
        o[r] = m;
      }
    }
    return info.Env().Undefined();
  }
  const int nt = par ? omp_get_max_threads() : 1;
  if (isSum && outer == 1 && inner < 64) {
    // Column sums of a tall, narrow matrix (a conv's bias gradient: [N*H*W, C] with C = 6 or 16).
    // Rows are split across threads, and each thread adds k rows at a time as one k*inner-wide row,
    // so the inner loop is long enough to vectorise; the k-wide accumulator is folded at the end.
    const int64_t k = (64 + inner - 1) / inner, wide = k * inner, blocks = R / k;
    std::vector<double> part((size_t)nt * inner, 0.0);
#pragma omp parallel num_threads(nt) if (par)
    {
      const int t = omp_get_thread_num(), T = omp_get_num_threads();
      const int64_t chunk = (blocks + T - 1) / T, b0 = t * chunk, b1 = std::min(blocks, b0 + chunk);
      std::vector<double> acc(wide, 0.0);
      for (int64_t b = b0; b < b1; b++) {
        const float* row = x + b * wide;
        for (int64_t i = 0; i < wide; i++) acc[i] += row[i];
      }
      for (int64_t i = 0; i < wide; i++) part[(size_t)t * inner + i % inner] += acc[i];
    }
    for (int64_t j = blocks * k; j < R; j++)
      for (int64_t c = 0; c < inner; c++) part[c] += x[j * inner + c];
    for (int64_t c = 0; c < inner; c++) {
      double sum = 0;
      for (int t = 0; t < nt; t++) sum += part[(size_t)t * inner + c];
      o[c] = (float)(sum * scale);
    }
    return info.Env().Undefined();
  }
  // Column reduction: each thread takes a slice of (outer, inner) columns.
  if (outer >= nt || inner < 64) {
#pragma omp parallel for if (par) schedule(static)
    for (int64_t q = 0; q < outer; q++) {
      const float* xq = x + q * R * inner;
      float* oq = o + q * inner;
      if (isSum) {
        std::vector<double> acc(inner, 0.0);
        for (int64_t j = 0; j < R; j++) {
          const float* row = xq + j * inner;
          for (int64_t c = 0; c < inner; c++) acc[c] += row[c];
        }
        for (int64_t c = 0; c < inner; c++) oq[c] = (float)(acc[c] * scale);
      } else {
        for (int64_t c = 0; c < inner; c++) oq[c] = R ? xq[c] : 0.f;
        for (int64_t j = 1; j < R; j++) {
          const float* row = xq + j * inner;
          for (int64_t c = 0; c < inner; c++)
            oq[c] = op == R_MAX ? (row[c] > oq[c] ? row[c] : oq[c]) : (row[c] < oq[c] ? row[c] : oq[c]);
        }
      }
    }
  } else {
    // Few outer slices, wide rows: split the inner columns across threads.
#pragma omp parallel
    {
      int t = omp_get_thread_num(), T = omp_get_num_threads();
      int64_t chunk = (inner + T - 1) / T, c0 = t * chunk, c1 = std::min(inner, c0 + chunk);
      if (c0 < c1) {
        std::vector<double> acc(c1 - c0);
        for (int64_t q = 0; q < outer; q++) {
          const float* xq = x + q * R * inner;
          float* oq = o + q * inner;
          if (isSum) {
            std::fill(acc.begin(), acc.end(), 0.0);
            for (int64_t j = 0; j < R; j++) {
              const float* row = xq + j * inner;
              for (int64_t c = c0; c < c1; c++) acc[c - c0] += row[c];
            }
            for (int64_t c = c0; c < c1; c++) oq[c] = (float)(acc[c - c0] * scale);
          } else {
            for (int64_t c = c0; c < c1; c++) oq[c] = R ? xq[c] : 0.f;
            for (int64_t j = 1; j < R; j++) {
              const float* row = xq + j * inner;
              for (int64_t c = c0; c < c1; c++)
                oq[c] = op == R_MAX ? (row[c] > oq[c] ? row[c] : oq[c]) : (row[c] < oq[c] ? row[c] : oq[c]);
            }
          }
        }
      }
    }
  }
  return info.Env().Undefined();
}

void registerReduce(Napi::Env env, Napi::Object exports) { exports.Set("reduce", Napi::Function::New(env, Reduce)); }

}  // namespace sprig
