// Stand-in for the distributed-autograd header that reducer.hpp includes but Debian's libtorch-dev
// omits. Reducer only names these types (a shared_ptr member and a callback typedef); segkit never
// uses distributed autograd, so declaring them is enough. Used only when the real header is absent.
#pragma once
#include <functional>
#include <memory>

#include <ATen/core/Tensor.h>

namespace torch {
namespace distributed {
namespace autograd {

class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor&)>;
};
using ContextPtr = std::shared_ptr<DistAutogradContext>;

}  // namespace autograd
}  // namespace distributed
}  // namespace torch
