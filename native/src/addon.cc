// Entry point of sprig's native addon: registers the kernel groups.
#include "common.h"
#include <omp.h>

namespace sprig {
static Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("threads", omp_get_max_threads());
#ifdef SPRIG_HAVE_DNNL
  o.Set("dnnl", true);
#else
  o.Set("dnnl", false);
#endif
  return o;
}
static Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  omp_set_num_threads(static_cast<int>(i64(info, 0)));
  return info.Env().Undefined();
}
}  // namespace sprig

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, sprig::Info));
  exports.Set("setThreads", Napi::Function::New(env, sprig::SetThreads));
  sprig::registerGemm(env, exports);
  sprig::registerConv(env, exports);
  sprig::registerOps(env, exports);
  sprig::registerFused(env, exports);
  return exports;
}

NODE_API_MODULE(sprig_native, Init)
