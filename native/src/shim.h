// The few libtorch C++ APIs that changed between 1.13 (Debian) and 2.x (CUDA wheels).
#pragma once
#include <torch/version.h>
#include "torch_headers.h"

// libtorch 2.4 moved the autocast setters to per-device-type functions.
#define SEGKIT_AUTOCAST_BY_DEVICE (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4))

namespace segkit::shim {

inline bool autocastEnabled(bool cuda) {
#if SEGKIT_AUTOCAST_BY_DEVICE
  return at::autocast::is_autocast_enabled(cuda ? at::kCUDA : at::kCPU);
#else
  return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

inline void setAutocastEnabled(bool cuda, bool enabled) {
#if SEGKIT_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_enabled(cuda ? at::kCUDA : at::kCPU, enabled);
#else
  if (cuda) at::autocast::set_enabled(enabled); else at::autocast::set_cpu_enabled(enabled);
#endif
}

inline at::ScalarType autocastDtype(bool cuda) {
#if SEGKIT_AUTOCAST_BY_DEVICE
  return at::autocast::get_autocast_dtype(cuda ? at::kCUDA : at::kCPU);
#else
  return cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

inline void setAutocastDtype(bool cuda, at::ScalarType dtype) {
#if SEGKIT_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_dtype(cuda ? at::kCUDA : at::kCPU, dtype);
#else
  if (cuda) at::autocast::set_autocast_gpu_dtype(dtype); else at::autocast::set_autocast_cpu_dtype(dtype);
#endif
}

}  // namespace segkit::shim
