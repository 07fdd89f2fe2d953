// c10d for JS: a TCPStore rendezvous, Gloo (and NCCL where libtorch has CUDA) process groups,
// and the collectives allReduce / broadcast / allGather / barrier as waitable work handles.
#include <memory>

#include "dist_common.h"

namespace segkit {

static const napi_type_tag kGroupTag = {0x5e6b17c0a1f24e11ULL, 0x9d3a7c55e0b2f4d1ULL};
static const napi_type_tag kWorkTag = {0x5e6b17c0a1f24e11ULL, 0x9d3a7c55e0b2f4d2ULL};

static bool hasTag(const Napi::Value& value, const napi_type_tag* tag) {
  if (!value.IsExternal()) return false;
  bool result = false;
  napi_check_object_type_tag(value.Env(), value, tag, &result);
  return result;
}

GroupHolder* unwrapGroup(const Napi::Value& value, const char* what) {
  if (!hasTag(value, &kGroupTag)) throw Napi::TypeError::New(value.Env(), std::string(what) + ": expected a process group");
  auto* g = value.As<Napi::External<GroupHolder>>().Data();
  if (!g->group) throw Napi::Error::New(value.Env(), std::string(what) + ": the process group was destroyed");
  return g;
}

std::string collectiveError(const std::string& op, const GroupHolder& g, const std::string& cause) {
  return op + " failed on rank " + std::to_string(g.rank) + " of " + std::to_string(g.size) + " (" + g.backend +
         "): " + cause;
}

static std::string messageOf(const std::exception_ptr& ep) {
  try {
    std::rethrow_exception(ep);
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}

struct GroupSpec {
  std::string backend, host, glooHostname, glooInterface;
  int port = 0, rank = 0, size = 1;
  int64_t timeoutMs = 0;
};

// Store rendezvous and group construction block until every rank has joined: done off the event loop.
class InitGroupWorker : public Napi::AsyncWorker {
 public:
  InitGroupWorker(Napi::Env env, GroupSpec spec)
      : Napi::AsyncWorker(env), spec_(std::move(spec)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    auto timeout = std::chrono::milliseconds(spec_.timeoutMs);
    std::string where = "initProcessGroup (rank " + std::to_string(spec_.rank) + " of " +
                        std::to_string(spec_.size) + ", " + spec_.backend + ", store " + spec_.host + ":" +
                        std::to_string(spec_.port) + ")";
    try {
      c10d::TCPStoreOptions opts;
      opts.port = static_cast<uint16_t>(spec_.port);
      opts.isServer = spec_.rank == 0;
      opts.numWorkers = static_cast<size_t>(spec_.size);
      opts.waitWorkers = false;
      opts.timeout = timeout;
      holder_ = std::make_unique<GroupHolder>();
      holder_->store = c10::make_intrusive<c10d::TCPStore>(spec_.host, opts);
      holder_->backend = spec_.backend;
      holder_->rank = spec_.rank;
      holder_->size = spec_.size;
      holder_->timeout = timeout;
      if (spec_.backend == "gloo") {
        auto gopts = c10d::ProcessGroupGloo::Options::create(timeout);
        if (!spec_.glooInterface.empty()) {
          gopts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(spec_.glooInterface));
        } else if (!spec_.glooHostname.empty()) {
          gopts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(spec_.glooHostname));
        } else {
          gopts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
        }
        gopts->threads = 2;
        holder_->group = shim::makeGloo(holder_->store, spec_.rank, spec_.size, gopts);
      } else if (spec_.backend == "nccl") {
#ifdef USE_C10D_NCCL
        holder_->group = shim::makeNccl(holder_->store, spec_.rank, spec_.size, timeout);
#else
        SetError(where + ": backend 'nccl' needs a libtorch built with CUDA and NCCL (this one is " TORCH_VERSION
                         ", without NCCL); use 'gloo'");
        return;
#endif
      } else {
        SetError(where + ": backend must be 'gloo' or 'nccl', got '" + spec_.backend + "'");
      }
    } catch (const c10::Error& e) {
      SetError(where + ": " + e.what_without_backtrace());
    } catch (const std::exception& e) {
      SetError(where + ": " + e.what());
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    auto ext = Napi::External<GroupHolder>::New(env, holder_.release(), [](Napi::Env, GroupHolder* g) { delete g; });
    napi_type_tag_object(env, ext, &kGroupTag);
    deferred_.Resolve(ext);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  GroupSpec spec_;
  Napi::Promise::Deferred deferred_;
  std::unique_ptr<GroupHolder> holder_;
};

// initGroup({ backend, host, port, rank, size, timeoutMs, glooHostname?, glooInterface? }) -> Promise<group>
static Napi::Value InitGroup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "initGroup: expected an options object");
  auto o = info[0].As<Napi::Object>();
  auto str = [&](const char* k) { return o.Has(k) && o.Get(k).IsString() ? o.Get(k).As<Napi::String>().Utf8Value() : std::string(); };
  auto num = [&](const char* k) -> int64_t {
    if (!o.Get(k).IsNumber()) throw Napi::TypeError::New(env, std::string("initGroup: ") + k + " must be a number");
    return o.Get(k).As<Napi::Number>().Int64Value();
  };
  GroupSpec spec{str("backend"), str("host"), str("glooHostname"), str("glooInterface")};
  spec.port = static_cast<int>(num("port"));
  spec.rank = static_cast<int>(num("rank"));
  spec.size = static_cast<int>(num("size"));
  spec.timeoutMs = num("timeoutMs");
  auto* worker = new InitGroupWorker(env, spec);
  auto promise = worker->Promise();
  worker->Queue();
  return promise;
}

static Napi::Value DestroyGroup(const Napi::CallbackInfo& info) {
  if (!hasTag(info[0], &kGroupTag)) throw Napi::TypeError::New(info.Env(), "destroyGroup: expected a process group");
  auto* g = info[0].As<Napi::External<GroupHolder>>().Data();
  g->group.reset();
  g->store.reset();
  return info.Env().Undefined();
}

static Napi::Value WrapWork(Napi::Env env, std::shared_ptr<WorkHolder> w) {
  auto* box = new std::shared_ptr<WorkHolder>(std::move(w));
  auto ext = Napi::External<std::shared_ptr<WorkHolder>>::New(env, box, [](Napi::Env, std::shared_ptr<WorkHolder>* b) { delete b; });
  napi_type_tag_object(env, ext, &kWorkTag);
  return ext;
}

static std::shared_ptr<WorkHolder> unwrapWork(const Napi::Value& value, const char* what) {
  if (!hasTag(value, &kWorkTag)) throw Napi::TypeError::New(value.Env(), std::string(what) + ": expected a work handle");
  return *value.As<Napi::External<std::shared_ptr<WorkHolder>>>().Data();
}

// Launches `launch` (which returns the c10d work) and names failures after the op and rank.
template <typename F>
static Napi::Value launchWork(const Napi::CallbackInfo& info, const char* op, GroupHolder* g,
                              std::vector<at::Tensor> tensors, int64_t divideBy, F&& launch) {
  auto w = std::make_shared<WorkHolder>();
  w->op = op;
  w->info.backend = g->backend;
  w->info.rank = g->rank;
  w->info.size = g->size;
  w->tensors = std::move(tensors);
  w->divideBy = divideBy;
  try {
    w->work = launch();
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), collectiveError(op, *g, e.what_without_backtrace()));
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), collectiveError(op, *g, e.what()));
  }
  return WrapWork(info.Env(), w);
}

// Collectives write the tensor's memory in place: a strided view would be silently wrong.
static at::Tensor denseTensor(const Napi::Value& v, const char* what) {
  at::Tensor t = unwrapTensor(v, what);
  if (!t.is_contiguous()) throw Napi::Error::New(v.Env(), std::string(what) + ": the tensor must be contiguous (call .contiguous() first)");
  return t;
}

static std::vector<at::Tensor> tensorArray(const Napi::Value& v, const char* what) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected an array of tensors");
  auto a = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(unwrapTensor(a.Get(i), what));
  return out;
}

// allReduce(group, tensor, op): op 0 sum, 1 avg (sum then divide), 2 product, 3 min, 4 max.
static Napi::Value AllReduce(const Napi::CallbackInfo& info) {
  auto* g = unwrapGroup(info[0], "allReduce");
  at::Tensor t = denseTensor(info[1], "allReduce");
  int code = info[2].As<Napi::Number>().Int32Value();
  c10d::ReduceOp::RedOpType red;
  switch (code) {
    case 0: case 1: red = c10d::ReduceOp::SUM; break;
    case 2: red = c10d::ReduceOp::PRODUCT; break;
    case 3: red = c10d::ReduceOp::MIN; break;
    case 4: red = c10d::ReduceOp::MAX; break;
    default: throw Napi::RangeError::New(info.Env(), "allReduce: unknown reduce op code " + std::to_string(code));
  }
  std::vector<at::Tensor> ts{t};
  return launchWork(info, "allReduce", g, ts, code == 1 ? g->size : 1, [&] {
    c10d::AllreduceOptions opts;
    opts.reduceOp = c10d::ReduceOp(red);
    opts.timeout = g->timeout;
    return g->group->allreduce(ts, opts);
  });
}

// broadcast(group, tensor, src)
static Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  auto* g = unwrapGroup(info[0], "broadcast");
  at::Tensor t = denseTensor(info[1], "broadcast");
  int src = info[2].As<Napi::Number>().Int32Value();
  if (src < 0 || src >= g->size) {
    throw Napi::RangeError::New(info.Env(), "broadcast: src must be a rank in 0.." + std::to_string(g->size - 1) + ", got " + std::to_string(src));
  }
  std::vector<at::Tensor> ts{t};
  return launchWork(info, "broadcast", g, ts, 1, [&] {
    c10d::BroadcastOptions opts;
    opts.rootRank = src;
    opts.timeout = g->timeout;
    return g->group->broadcast(ts, opts);
  });
}

// allGather(group, outputs[size], input): outputs[r] receives rank r's input.
static Napi::Value AllGather(const Napi::CallbackInfo& info) {
  auto* g = unwrapGroup(info[0], "allGather");
  std::vector<std::vector<at::Tensor>> outs{tensorArray(info[1], "allGather")};
  std::vector<at::Tensor> ins{denseTensor(info[2], "allGather")};
  if (static_cast<int>(outs[0].size()) != g->size) {
    throw Napi::RangeError::New(info.Env(), "allGather: expected " + std::to_string(g->size) + " output tensors, got " + std::to_string(outs[0].size()));
  }
  std::vector<at::Tensor> keepAlive = outs[0];
  keepAlive.push_back(ins[0]);
  return launchWork(info, "allGather", g, keepAlive, 1, [&] {
    c10d::AllgatherOptions opts;
    opts.timeout = g->timeout;
    return g->group->allgather(outs, ins, opts);
  });
}

static Napi::Value Barrier(const Napi::CallbackInfo& info) {
  auto* g = unwrapGroup(info[0], "barrier");
  return launchWork(info, "barrier", g, {}, 1, [&] {
    c10d::BarrierOptions opts;
    opts.timeout = g->timeout;
    return g->group->barrier(opts);
  });
}

// Waits for the work (bounded by the group timeout) and finishes an average; returns an error message or "".
static std::string finishWork(WorkHolder& w, std::chrono::milliseconds timeout) {
  if (w.finished) return "";
  try {
    w.work->wait(timeout);
    if (w.divideBy > 1) {
      at::NoGradGuard noGrad;
      for (auto& t : w.tensors) t.div_(w.divideBy);
    }
    w.finished = true;
    w.tensors.clear();
    return "";
  } catch (const c10::Error& e) {
    return collectiveError(w.op, w.info, e.what_without_backtrace());
  } catch (const std::exception& e) {
    return collectiveError(w.op, w.info, e.what());
  }
}

static std::chrono::milliseconds waitTimeout(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() > i && info[i].IsNumber()) return std::chrono::milliseconds(info[i].As<Napi::Number>().Int64Value());
  return kNoTimeout;
}

// workWait(work, timeoutMs?): blocks this thread until the collective is done; throws its error.
static Napi::Value WorkWait(const Napi::CallbackInfo& info) {
  auto w = unwrapWork(info[0], "workWait");
  std::string err = finishWork(*w, waitTimeout(info, 1));
  if (!err.empty()) throw Napi::Error::New(info.Env(), err);
  return info.Env().Undefined();
}

class WaitWorker : public Napi::AsyncWorker {
 public:
  WaitWorker(Napi::Env env, std::shared_ptr<WorkHolder> w, std::chrono::milliseconds timeout)
      : Napi::AsyncWorker(env), w_(std::move(w)), timeout_(timeout), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    std::string err = finishWork(*w_, timeout_);
    if (!err.empty()) SetError(err);
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  std::shared_ptr<WorkHolder> w_;
  std::chrono::milliseconds timeout_;
  Napi::Promise::Deferred deferred_;
};

// workWaitAsync(work, timeoutMs?) -> Promise: waits on a libuv pool thread so the event loop runs on.
static Napi::Value WorkWaitAsync(const Napi::CallbackInfo& info) {
  auto w = unwrapWork(info[0], "workWaitAsync");
  auto* worker = new WaitWorker(info.Env(), w, waitTimeout(info, 1));
  auto promise = worker->Promise();
  worker->Queue();
  return promise;
}

static Napi::Value WorkIsCompleted(const Napi::CallbackInfo& info) {
  auto w = unwrapWork(info[0], "workIsCompleted");
  return Napi::Boolean::New(info.Env(), w->work->isCompleted());
}

void initDistributed(Napi::Env env, Napi::Object exports) {
  exports.Set("distInitGroup", Napi::Function::New(env, InitGroup));
  exports.Set("distDestroyGroup", Napi::Function::New(env, DestroyGroup));
  exports.Set("distAllReduce", Napi::Function::New(env, AllReduce));
  exports.Set("distBroadcast", Napi::Function::New(env, Broadcast));
  exports.Set("distAllGather", Napi::Function::New(env, AllGather));
  exports.Set("distBarrier", Napi::Function::New(env, Barrier));
  exports.Set("distWorkWait", Napi::Function::New(env, WorkWait));
  exports.Set("distWorkWaitAsync", Napi::Function::New(env, WorkWaitAsync));
  exports.Set("distWorkIsCompleted", Napi::Function::New(env, WorkIsCompleted));
  exports.Set("distHasNccl", Napi::Boolean::New(env,
#ifdef USE_C10D_NCCL
                                                  true
#else
                                                  false
#endif
                                                  ));
  initDistributedReducer(env, exports);
  initDistributedAutograd(env, exports);
}

}  // namespace segkit
