// DistributedDataParallel's gradient engine: libtorch's c10d::Reducer (bucketed, overlapped
// all-reduce from autograd hooks, unused-parameter search) plus the coalesced broadcast of
// parameters and buffers from one rank.
#include <torch/csrc/distributed/c10d/comm.hpp>
#include <torch/csrc/distributed/c10d/logger.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>

#include "dist_common.h"

namespace segkit {

static const napi_type_tag kReducerTag = {0x5e6b17c0a1f24e11ULL, 0x9d3a7c55e0b2f4d3ULL};

// The Reducer dereferences its Logger unchecked (unused-parameter search), so every reducer gets one;
// the logger goes first on teardown, as in PyTorch.
struct ReducerHolder {
  std::shared_ptr<c10d::Reducer> reducer;
  std::shared_ptr<c10d::Logger> logger;
  GroupHolder* group = nullptr;
  c10::intrusive_ptr<c10d::ProcessGroup> keepGroup;
};

static ReducerHolder* unwrapReducer(const Napi::Value& value, const char* what) {
  bool ok = false;
  if (value.IsExternal()) napi_check_object_type_tag(value.Env(), value, &kReducerTag, &ok);
  if (!ok) throw Napi::TypeError::New(value.Env(), std::string(what) + ": expected a reducer handle");
  auto* r = value.As<Napi::External<ReducerHolder>>().Data();
  if (!r->reducer) throw Napi::Error::New(value.Env(), std::string(what) + ": the reducer was disposed");
  return r;
}

static std::vector<at::Tensor> tensors(const Napi::Value& v, const char* what) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected an array of tensors");
  auto a = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(unwrapTensor(a.Get(i), what));
  return out;
}

// Runs `body`, naming a c10d failure after the op and this rank.
template <typename F>
static void onGroup(Napi::Env env, const char* op, const GroupHolder& g, F&& body) {
  try {
    body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(env, collectiveError(op, g, e.what_without_backtrace()));
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, collectiveError(op, g, e.what()));
  }
}

// DDP's default all-reduce (average) as a comm hook, so a failed bucket all-reduce reports the op
// and rank instead of a bare transport error. With a hook installed the Reducer leaves the division to it.
class AverageHook : public c10d::CommHookInterface {
 public:
  AverageHook(c10::intrusive_ptr<c10d::ProcessGroup> pg, const GroupHolder& g) : pg_(std::move(pg)) {
    info_.backend = g.backend;
    info_.rank = g.rank;
    info_.size = g.size;
    info_.timeout = g.timeout;
  }

  c10::intrusive_ptr<c10::ivalue::Future> runHook(c10d::GradBucket& bucket) override {
    at::Tensor& buffer = bucket.getBufferRef();
    buffer.div_(info_.size);
    std::vector<at::Tensor> ts{buffer};
    c10d::AllreduceOptions opts;
    opts.timeout = info_.timeout;
    auto fut = pg_->allreduce(ts, opts)->getFuture();
    std::string op = "DistributedDataParallel gradient allReduce (bucket " + std::to_string(bucket.getIndex()) + ")";
    std::string prefix = collectiveError(op, info_, "");
    return fut->then(
        [prefix](c10::ivalue::Future& done) -> c10::IValue {
          if (done.hasError()) throw std::runtime_error(prefix + done.tryRetrieveErrorMessage());
          return done.value();
        },
        fut->elementType());
  }

  at::Tensor parseHookResult(const c10::IValue& result) override {
    return result.isTensor() ? result.toTensor() : result.toTensorVector()[0];
  }

 private:
  c10::intrusive_ptr<c10d::ProcessGroup> pg_;
  GroupHolder info_;
};

// newReducer(group, params[], names[], bucketCapBytes, findUnusedParameters) -> reducer
// Buckets as PyTorch DDP: a small first bucket, then bucketCapBytes each, in reverse parameter order.
static Napi::Value NewReducer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* g = unwrapGroup(info[0], "newReducer");
  auto params = tensors(info[1], "newReducer");
  auto namesArr = info[2].As<Napi::Array>();
  int64_t cap = info[3].As<Napi::Number>().Int64Value();
  bool findUnused = info[4].ToBoolean().Value();
  std::unordered_map<size_t, std::string> names;
  for (uint32_t i = 0; i < namesArr.Length(); i++) names[i] = namesArr.Get(i).As<Napi::String>().Utf8Value();
  auto holder = std::make_unique<ReducerHolder>();
  onGroup(env, "DistributedDataParallel", *g, [&] {
    std::vector<bool> sparse(params.size(), false);
    std::vector<size_t> limits{static_cast<size_t>(c10d::kDefaultFirstBucketBytes), static_cast<size_t>(cap)};
    auto assignment = c10d::compute_bucket_assignment_by_size(params, limits, sparse);
    auto buckets = std::get<0>(assignment);
    auto perBucketLimits = std::get<1>(assignment);
    std::reverse(buckets.begin(), buckets.end());
    std::reverse(perBucketLimits.begin(), perBucketLimits.end());
#if TORCH_VERSION_MAJOR < 2
    holder->reducer = std::make_shared<c10d::Reducer>(params, buckets, perBucketLimits, g->group, sparse, cap,
                                                      findUnused, false, names, c10d::kDefaultFirstBucketBytes);
#else
    // libtorch 2.x (built against 2.11): no per-bucket limits; then skip_all_reduce_unused_params,
    // use_python_reducer, and per-bucket caps (empty: first bucket 1 MiB, then bucket_bytes_cap).
    (void)perBucketLimits;
    holder->reducer = std::make_shared<c10d::Reducer>(params, buckets, g->group, sparse, cap, findUnused, false, names,
                                                      c10d::kDefaultFirstBucketBytes, false, false,
                                                      std::vector<int64_t>{});
#endif
    holder->logger = std::make_shared<c10d::Logger>(holder->reducer);
    holder->reducer->set_logger(holder->logger);
    holder->reducer->register_comm_hook(std::make_unique<AverageHook>(g->group, *g));
  });
  holder->group = g;
  holder->keepGroup = g->group;
  auto ext = Napi::External<ReducerHolder>::New(env, holder.release(), [](Napi::Env, ReducerHolder* r) {
    try {
      r->logger.reset();
      delete r;
    } catch (...) {
      // ~Reducer may throw (noexcept(false)); a finalizer has nowhere to report it.
    }
  });
  napi_type_tag_object(env, ext, &kReducerTag);
  return ext;
}

static Napi::Value ReducerPrepareForward(const Napi::CallbackInfo& info) {
  auto* r = unwrapReducer(info[0], "reducerPrepareForward");
  onGroup(info.Env(), "DistributedDataParallel.forward", *r->group, [&] { r->reducer->prepare_for_forward(); });
  return info.Env().Undefined();
}

// reducerRebuildBuckets(reducer) -> bool: after the first synced backward, regroups the buckets in the
// order gradients actually arrived (rank 0's order, broadcast), once; a collective on every rank.
static Napi::Value ReducerRebuildBuckets(const Napi::CallbackInfo& info) {
  auto* r = unwrapReducer(info[0], "reducerRebuildBuckets");
  bool rebuilt = false;
  onGroup(info.Env(), "DistributedDataParallel.forward", *r->group, [&] { rebuilt = r->reducer->rebuild_buckets(); });
  return Napi::Boolean::New(info.Env(), rebuilt);
}

// reducerPrepareForBackward(reducer, outputs[]): arms the hooks for the next backward; with
// find_unused_parameters the graph from `outputs` is searched for parameters that get no grad.
static Napi::Value ReducerPrepareForBackward(const Napi::CallbackInfo& info) {
  auto* r = unwrapReducer(info[0], "reducerPrepareForBackward");
  auto outputs = tensors(info[1], "reducerPrepareForBackward");
  onGroup(info.Env(), "DistributedDataParallel.forward", *r->group, [&] { r->reducer->prepare_for_backward(outputs); });
  return info.Env().Undefined();
}

static Napi::Value DisposeReducer(const Napi::CallbackInfo& info) {
  auto* r = unwrapReducer(info[0], "disposeReducer");
  onGroup(info.Env(), "DistributedDataParallel.dispose", *r->group, [&] {
    r->logger.reset();
    r->reducer.reset();
  });
  r->keepGroup.reset();
  return info.Env().Undefined();
}

// broadcastCoalesced(group, tensors[], bufferBytes, src): copies rank src's values into every rank's tensors.
static Napi::Value BroadcastCoalesced(const Napi::CallbackInfo& info) {
  auto* g = unwrapGroup(info[0], "broadcastCoalesced");
  auto ts = tensors(info[1], "broadcastCoalesced");
  auto bytes = static_cast<size_t>(info[2].As<Napi::Number>().Int64Value());
  int src = info[3].As<Napi::Number>().Int32Value();
  onGroup(info.Env(), "broadcastCoalesced", *g, [&] {
    at::NoGradGuard noGrad;
    if (!ts.empty()) c10d::broadcast_coalesced(g->group, ts, bytes, src);
  });
  return info.Env().Undefined();
}

void initDistributedReducer(Napi::Env env, Napi::Object exports) {
  exports.Set("distNewReducer", Napi::Function::New(env, NewReducer));
  exports.Set("distReducerPrepareForward", Napi::Function::New(env, ReducerPrepareForward));
  exports.Set("distReducerRebuildBuckets", Napi::Function::New(env, ReducerRebuildBuckets));
  exports.Set("distReducerPrepareForBackward", Napi::Function::New(env, ReducerPrepareForBackward));
  exports.Set("distDisposeReducer", Napi::Function::New(env, DisposeReducer));
  exports.Set("distBroadcastCoalesced", Napi::Function::New(env, BroadcastCoalesced));
}

}  // namespace segkit
