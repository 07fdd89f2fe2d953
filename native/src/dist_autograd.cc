// A differentiable all-reduce (sum) for SyncBatchNorm: forward sums a copy of the input across
// ranks; backward sums the incoming gradients across ranks (libtorch 1.13 has no CPU SyncBN kernels).
#include <torch/csrc/autograd/functions/utils.h>

#include "dist_common.h"

namespace segkit {

static at::Tensor sumAcrossRanks(const GroupHolder& g, const c10::intrusive_ptr<c10d::ProcessGroup>& pg,
                                 const at::Tensor& x, const char* op) {
  at::NoGradGuard noGrad;
  std::vector<at::Tensor> ts{x.detach().clone(at::MemoryFormat::Contiguous)};
  c10d::AllreduceOptions opts;
  opts.reduceOp = c10d::ReduceOp(c10d::ReduceOp::SUM);
  opts.timeout = g.timeout;
  try {
    pg->allreduce(ts, opts)->wait(g.timeout);
  } catch (const c10::Error& e) {
    throw std::runtime_error(collectiveError(op, g, e.what_without_backtrace()));
  }
  return ts[0];
}

// The backward node: holds the group (not the JS handle) so a graph outliving the handle stays valid.
struct AllReduceSumBackward : public torch::autograd::Node {
  GroupHolder info;
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
  torch::autograd::variable_list apply(torch::autograd::variable_list&& grads) override {
    if (!grads[0].defined()) return {at::Tensor()};
    return {sumAcrossRanks(info, pg, grads[0], "allReduceDifferentiable (backward)")};
  }
  std::string name() const override { return "AllReduceSumBackward"; }
};

// allReduceDifferentiable(group, tensor) -> new tensor holding the sum over ranks, with autograd history.
static Napi::Value AllReduceDifferentiable(const Napi::CallbackInfo& info) {
  auto* g = unwrapGroup(info[0], "allReduceDifferentiable");
  const at::Tensor& x = unwrapTensor(info[1], "allReduceDifferentiable");
  return guarded(info.Env(), "allReduceDifferentiable", [&] {
    at::Tensor out = sumAcrossRanks(*g, g->group, x, "allReduceDifferentiable");
    if (x.requires_grad() && at::GradMode::is_enabled()) {
      auto fn = std::shared_ptr<AllReduceSumBackward>(new AllReduceSumBackward(), torch::autograd::deleteNode);
      fn->info.backend = g->backend;
      fn->info.rank = g->rank;
      fn->info.size = g->size;
      fn->info.timeout = g->timeout;
      fn->pg = g->group;
      fn->set_next_edges(torch::autograd::collect_next_edges(x));
      torch::autograd::create_gradient_edge(out, fn);
    }
    return wrapTensor(info.Env(), out);
  });
}

void initDistributedAutograd(Napi::Env env, Napi::Object exports) {
  exports.Set("distAllReduceDifferentiable", Napi::Function::New(env, AllReduceDifferentiable));
}

}  // namespace segkit
