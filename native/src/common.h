// Shared plumbing: tensor and generator handles (tagged N-API externals) and error translation.
#pragma once
#include "torch_headers.h"

namespace segkit {

// A JS handle owns one reference to an at::Tensor. dispose() drops it at once;
// the finalizer is only the backstop for handles that were never disposed.
struct TensorHolder {
  at::Tensor tensor;
  int64_t reportedBytes = 0;
};

struct GeneratorHolder {
  at::Generator generator;
};

Napi::Value wrapTensor(Napi::Env env, at::Tensor tensor);
// Throws a JS TypeError naming `what` when the value is not a live tensor handle.
const at::Tensor& unwrapTensor(const Napi::Value& value, const char* what);
bool isTensorHandle(const Napi::Value& value);
void disposeTensor(Napi::Env env, TensorHolder* holder);
TensorHolder* holderOf(const Napi::Value& value, const char* what);

bool isGeneratorHandle(const Napi::Value& value);
at::Generator unwrapGenerator(const Napi::Value& value, const char* what);

at::ScalarType scalarTypeFromCode(Napi::Env env, int64_t code);
c10::Device parseDevice(Napi::Env env, const std::string& spec);

// Runs `body`, turning libtorch errors into JS errors with a short message (no C++ backtrace).
template <typename F>
auto guarded(Napi::Env env, const char* where, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(env, std::string(where) + ": " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string(where) + ": " + e.what());
  }
}

void initTensor(Napi::Env env, Napi::Object exports);
void initOps(Napi::Env env, Napi::Object exports);
void initAutograd(Napi::Env env, Napi::Object exports);
void initRuntime(Napi::Env env, Napi::Object exports);

}  // namespace segkit
