// Process-wide runtime controls: threads, seeds, determinism, devices, autocast state.
#include <malloc.h>

#include "common.h"
#include "shim.h"

namespace segkit {

static Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1) throw Napi::RangeError::New(info.Env(), "setNumThreads: expected a positive integer, got " + std::to_string(n));
  at::set_num_threads(n);
  return info.Env().Undefined();
}

static Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

static Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  uint64_t seed = static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value());
  at::manual_seed(seed);
  return info.Env().Undefined();
}

// The default CPU generator's state as a uint8 tensor (for exact resume), and restoring it.
static Napi::Value GetRngState(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "getRngState", [&] {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    return wrapTensor(info.Env(), gen.get_state());
  });
}

static Napi::Value SetRngState(const Napi::CallbackInfo& info) {
  const at::Tensor& state = unwrapTensor(info[0], "setRngState");
  guarded(info.Env(), "setRngState", [&] {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state);
    return 0;
  });
  return info.Env().Undefined();
}

// Returns freed heap pages to the OS (glibc); libtorch's CPU allocator keeps no cache of its own.
static Napi::Value MallocTrim(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), malloc_trim(0) != 0);
}

static Napi::Value SetDeterministic(const Napi::CallbackInfo& info) {
  bool on = info[0].As<Napi::Boolean>().Value();
  bool warnOnly = info.Length() > 1 && info[1].ToBoolean().Value();
  at::globalContext().setDeterministicAlgorithms(on, warnOnly);
  at::globalContext().setBenchmarkCuDNN(!on && at::globalContext().benchmarkCuDNN());
  at::globalContext().setDeterministicCuDNN(on);
  return info.Env().Undefined();
}

static Napi::Value CudaDeviceCount(const Napi::CallbackInfo& info) {
  int n = at::hasCUDA() ? at::detail::getCUDAHooks().getNumGPUs() : 0;
  return Napi::Number::New(info.Env(), n);
}

static Napi::Value CudaSynchronize(const Napi::CallbackInfo& info) {
  if (at::hasCUDA()) {
    guarded(info.Env(), "cudaSynchronize", [&] {
      // A tiny blocking copy is the portable way to wait for the current stream across versions.
      at::zeros({1}, at::TensorOptions().device(at::kCUDA)).item();
      return 0;
    });
  }
  return info.Env().Undefined();
}

static Napi::Value Version(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), TORCH_VERSION);
}

static Napi::Value HasBf16Cpu(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::globalContext().userEnabledMkldnn());
}

// Autocast state is per thread in libtorch; the scope object lives in TypeScript.
static Napi::Value AutocastState(const Napi::CallbackInfo& info) {
  bool cuda = info[0].ToBoolean().Value();
  auto out = Napi::Object::New(info.Env());
  out.Set("enabled", shim::autocastEnabled(cuda));
  out.Set("dtype", static_cast<int>(shim::autocastDtype(cuda)));
  return out;
}

static Napi::Value SetAutocast(const Napi::CallbackInfo& info) {
  bool cuda = info[0].ToBoolean().Value();
  bool enabled = info[1].ToBoolean().Value();
  auto dtype = scalarTypeFromCode(info.Env(), info[2].As<Napi::Number>().Int64Value());
  shim::setAutocastEnabled(cuda, enabled);
  shim::setAutocastDtype(cuda, dtype);
  return info.Env().Undefined();
}

static Napi::Value AutocastIncrementNesting(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::autocast::increment_nesting());
}

static Napi::Value AutocastDecrementNesting(const Napi::CallbackInfo& info) {
  int depth = at::autocast::decrement_nesting();
  // Leaving the outermost autocast region frees the cached casts of the weights.
  if (depth == 0) at::autocast::clear_cache();
  return Napi::Number::New(info.Env(), depth);
}

void initRuntime(Napi::Env env, Napi::Object exports) {
  // A training step frees whole scopes of large tensors at once; with glibc's default
  // thresholds that memory goes back to the OS and is faulted in again next step (measured
  // ~50k page faults per SegFormer step, ~15% of its time). Keep big blocks in the heap;
  // EmptyCacheHook's malloc_trim still returns them on demand. Set once per process.
  static bool mallocTuned = false;
  if (!mallocTuned) {
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    mallocTuned = true;
  }
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads));
  exports.Set("manualSeed", Napi::Function::New(env, ManualSeed));
  exports.Set("getRngState", Napi::Function::New(env, GetRngState));
  exports.Set("setRngState", Napi::Function::New(env, SetRngState));
  exports.Set("mallocTrim", Napi::Function::New(env, MallocTrim));
  exports.Set("setDeterministic", Napi::Function::New(env, SetDeterministic));
  exports.Set("cudaDeviceCount", Napi::Function::New(env, CudaDeviceCount));
  exports.Set("cudaSynchronize", Napi::Function::New(env, CudaSynchronize));
  exports.Set("version", Napi::Function::New(env, Version));
  exports.Set("hasMkldnn", Napi::Function::New(env, HasBf16Cpu));
  exports.Set("autocastState", Napi::Function::New(env, AutocastState));
  exports.Set("setAutocast", Napi::Function::New(env, SetAutocast));
  exports.Set("autocastIncrementNesting", Napi::Function::New(env, AutocastIncrementNesting));
  exports.Set("autocastDecrementNesting", Napi::Function::New(env, AutocastDecrementNesting));
}

}  // namespace segkit
