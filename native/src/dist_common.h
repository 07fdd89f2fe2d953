// c10d plumbing shared by the distributed bindings: process-group and work handles, and the
// libtorch 1.13 / 2.x differences in building a ProcessGroup (Backend split in 2.0).
#pragma once
#include <chrono>
#include <string>

#include <torch/version.h>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "common.h"

namespace segkit {

// One process group: the store it rendezvoused through and the group itself.
struct GroupHolder {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> group;
  std::string backend;
  int rank = 0;
  int size = 1;
  std::chrono::milliseconds timeout{0};
};

// One launched collective. `divideBy` > 1 turns a SUM into an average once the work is done.
struct WorkHolder {
  c10::intrusive_ptr<c10d::Work> work;
  std::string op;
  GroupHolder info;  // rank, size, backend for messages (no store or group held)
  std::vector<at::Tensor> tensors;
  int64_t divideBy = 1;
  bool finished = false;
};

GroupHolder* unwrapGroup(const Napi::Value& value, const char* what);
// "allReduce failed on rank 1 of 2 (gloo): <cause>" — the form of every collective error.
std::string collectiveError(const std::string& op, const GroupHolder& g, const std::string& cause);
void initDistributed(Napi::Env env, Napi::Object exports);
void initDistributedReducer(Napi::Env env, Napi::Object exports);
void initDistributedAutograd(Napi::Env env, Napi::Object exports);

namespace shim {

// Wraps a backend into the ProcessGroup that collectives and c10d::Reducer take.
#if TORCH_VERSION_MAJOR >= 2
template <typename BackendT>
inline c10::intrusive_ptr<c10d::ProcessGroup> asProcessGroup(
    const c10::intrusive_ptr<c10d::Store>& store, int rank, int size, c10::intrusive_ptr<BackendT> backend,
    c10d::ProcessGroup::BackendType type, c10::DeviceType device, const std::string& name,
    std::chrono::milliseconds timeout) {
#if TORCH_VERSION_MAJOR > 2 || TORCH_VERSION_MINOR >= 6
  auto pg = c10::make_intrusive<c10d::ProcessGroup>(store, rank, size);
  (void)name;
  (void)timeout;
#else
  auto pg = c10::make_intrusive<c10d::ProcessGroup>(
      store, rank, size, c10::make_intrusive<c10d::ProcessGroup::Options>(name, timeout));
#endif
  pg->setBackend(device, type, backend);
  pg->setDefaultBackend(type);
  return pg;
}
#endif

inline c10::intrusive_ptr<c10d::ProcessGroup> makeGloo(
    const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
    c10::intrusive_ptr<c10d::ProcessGroupGloo::Options> opts) {
  auto gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, opts);
#if TORCH_VERSION_MAJOR >= 2
  return asProcessGroup(store, rank, size, gloo, c10d::ProcessGroup::BackendType::GLOO, c10::DeviceType::CPU,
                        "gloo", opts->timeout);
#else
  return gloo;
#endif
}

#ifdef USE_C10D_NCCL
inline c10::intrusive_ptr<c10d::ProcessGroup> makeNccl(
    const c10::intrusive_ptr<c10d::Store>& store, int rank, int size, std::chrono::milliseconds timeout) {
  auto opts = c10d::ProcessGroupNCCL::Options::create();
  opts->timeout = timeout;
  auto nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, opts);
#if TORCH_VERSION_MAJOR >= 2
  return asProcessGroup(store, rank, size, nccl, c10d::ProcessGroup::BackendType::NCCL, c10::DeviceType::CUDA,
                        "nccl", timeout);
#else
  return nccl;
#endif
}
#endif

}  // namespace shim
}  // namespace segkit
