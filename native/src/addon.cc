// Entry point of sprig's native addon: registers the kernel groups.
#include "common.h"
#include <omp.h>
#include <sys/resource.h>
#include <chrono>
#include <cstdio>

namespace sprig {

static int maxThreads = 0;      // all cores (omp_get_num_procs), or a fixed count from setThreads
static bool adaptive = true;
static int current = 0;
static std::chrono::steady_clock::time_point lastCheck;
static double lastBusy = -1, lastSelf = 0, othersEma = 0;

// Busy jiffies of the whole machine (all CPUs), from /proc/stat's first line.
static double machineBusySeconds() {
  FILE* f = std::fopen("/proc/stat", "r");
  if (!f) return -1;
  unsigned long long v[10] = {0};
  int n = std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
  std::fclose(f);
  if (n < 4) return -1;
  const double hz = 100.0;  // USER_HZ
  return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz;
}

static double selfSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

void adaptThreads() {
  if (maxThreads == 0) { maxThreads = omp_get_num_procs(); current = maxThreads; }
  if (!adaptive || maxThreads < 2) return;
  const auto now = std::chrono::steady_clock::now();
  const double dt = std::chrono::duration<double>(now - lastCheck).count();
  if (dt < 0.25) return;
  const double busy = machineBusySeconds(), self = selfSeconds();
  if (busy >= 0 && lastBusy >= 0 && dt < 5) {
    // CPU-seconds per second used by everything but this process, smoothed.
    const double others = std::max(0.0, (busy - lastBusy) - (self - lastSelf)) / dt;
    othersEma = 0.5 * othersEma + 0.5 * others;
    int want = current;
    if (othersEma > 0.6) want = std::max(1, (int)(maxThreads - othersEma + 0.5));
    else if (othersEma < 0.3) want = maxThreads;
    if (want != current) { current = want; omp_set_num_threads(current); }
  }
  lastCheck = now; lastBusy = busy; lastSelf = self;
}

static Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  const int n = static_cast<int>(i64(info, 0));
  if (n > 0) { adaptive = false; maxThreads = current = n; }
  else { adaptive = true; maxThreads = current = omp_get_num_procs(); }
  omp_set_num_threads(current);
  return info.Env().Undefined();
}
static Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("threads", omp_get_max_threads());
  o.Set("adaptive", adaptive);
#ifdef SPRIG_HAVE_DNNL
  o.Set("dnnl", true);
#else
  o.Set("dnnl", false);
#endif
  return o;
}
}  // namespace sprig

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, sprig::Info));
  exports.Set("setThreads", Napi::Function::New(env, sprig::SetThreads));
  sprig::registerGemm(env, exports);
  sprig::registerConv(env, exports);
  sprig::registerElementwise(env, exports);
  sprig::registerReduce(env, exports);
  sprig::registerPooling(env, exports);
  sprig::registerNormalisation(env, exports);
  sprig::registerSoftmax(env, exports);
  sprig::registerOptimizers(env, exports);
  sprig::registerSparseLinear(env, exports);
  sprig::registerSparseConv(env, exports);
  sprig::registerCompiledMlp(env, exports);
  sprig::registerPeak(env, exports);
  return exports;
}

NODE_API_MODULE(sprig_native, Init)
