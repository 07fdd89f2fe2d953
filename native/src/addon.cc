// Entry point of the segkit native addon: registers each group of functions.
#include "common.h"
#include "dist_common.h"

static Napi::Object InitSegkit(Napi::Env env, Napi::Object exports) {
  segkit::initTensor(env, exports);
  segkit::initOps(env, exports);
  segkit::initAutograd(env, exports);
  segkit::initRuntime(env, exports);
  segkit::initDistributed(env, exports);
  return exports;
}

NODE_API_MODULE(segkit_native, InitSegkit)
