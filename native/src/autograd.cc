// Autograd: requires_grad, .grad, backward, torch.autograd.grad, grad mode.
#include "common.h"

namespace segkit {

static Napi::Value RequiresGrad(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), unwrapTensor(info[0], "requiresGrad").requires_grad());
}

static Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info) {
  const at::Tensor& t = unwrapTensor(info[0], "requiresGrad_");
  bool flag = info[1].As<Napi::Boolean>().Value();
  guarded(info.Env(), "requiresGrad_", [&] {
    t.set_requires_grad(flag);
    return 0;
  });
  return info.Env().Undefined();
}

static Napi::Value IsLeaf(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), unwrapTensor(info[0], "isLeaf").is_leaf());
}

static Napi::Value Grad(const Napi::CallbackInfo& info) {
  const at::Tensor& t = unwrapTensor(info[0], "grad");
  return wrapTensor(info.Env(), t.grad());
}

// setGrad(t, g | null): assigns or clears .grad (zero_grad(set_to_none), gradient averaging).
static Napi::Value SetGrad(const Napi::CallbackInfo& info) {
  const at::Tensor& t = unwrapTensor(info[0], "setGrad");
  guarded(info.Env(), "setGrad", [&] {
    if (info[1].IsNull() || info[1].IsUndefined()) {
      t.mutable_grad().reset();
    } else {
      t.mutable_grad() = unwrapTensor(info[1], "setGrad");
    }
    return 0;
  });
  return info.Env().Undefined();
}

static Napi::Value RetainGrad(const Napi::CallbackInfo& info) {
  const at::Tensor& t = unwrapTensor(info[0], "retainGrad");
  guarded(info.Env(), "retainGrad", [&] {
    t.retain_grad();
    return 0;
  });
  return info.Env().Undefined();
}

static Napi::Value GradFnName(const Napi::CallbackInfo& info) {
  const at::Tensor& t = unwrapTensor(info[0], "gradFn");
  auto fn = t.grad_fn();
  if (!fn) return info.Env().Null();
  return Napi::String::New(info.Env(), fn->name());
}

static std::vector<at::Tensor> tensorList(const Napi::Value& v, const char* what, bool allowNull) {
  std::vector<at::Tensor> out;
  if (v.IsUndefined() || v.IsNull()) return out;
  auto a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a[i];
    if (allowNull && (e.IsNull() || e.IsUndefined())) {
      out.emplace_back();
    } else {
      out.push_back(unwrapTensor(e, what));
    }
  }
  return out;
}

// backward(tensors[], grads[] | null, retainGraph, createGraph)
static Napi::Value Backward(const Napi::CallbackInfo& info) {
  auto tensors = tensorList(info[0], "backward", false);
  auto grads = tensorList(info[1], "backward", true);
  bool retain = info[2].ToBoolean().Value();
  bool create = info[3].ToBoolean().Value();
  guarded(info.Env(), "backward", [&] {
    torch::autograd::backward(tensors, grads, retain, create);
    return 0;
  });
  return info.Env().Undefined();
}

// grad(outputs[], inputs[], gradOutputs[] | null, retainGraph, createGraph, allowUnused) -> (Tensor|null)[]
static Napi::Value AutogradGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto outputs = tensorList(info[0], "autograd.grad", false);
  auto inputs = tensorList(info[1], "autograd.grad", false);
  auto gradOutputs = tensorList(info[2], "autograd.grad", true);
  bool retain = info[3].ToBoolean().Value();
  bool create = info[4].ToBoolean().Value();
  bool allowUnused = info[5].ToBoolean().Value();
  auto result = guarded(env, "autograd.grad", [&] {
    c10::optional<bool> retainOpt = info[3].IsUndefined() ? c10::nullopt : c10::optional<bool>(retain);
    return torch::autograd::grad(outputs, inputs, gradOutputs, retainOpt, create, allowUnused);
  });
  auto out = Napi::Array::New(env, result.size());
  for (size_t i = 0; i < result.size(); i++) out[i] = wrapTensor(env, result[i]);
  return out;
}

static Napi::Value IsGradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled());
}

static Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  at::GradMode::set_enabled(info[0].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

void initAutograd(Napi::Env env, Napi::Object exports) {
  exports.Set("requiresGrad", Napi::Function::New(env, RequiresGrad));
  exports.Set("setRequiresGrad", Napi::Function::New(env, SetRequiresGrad));
  exports.Set("isLeaf", Napi::Function::New(env, IsLeaf));
  exports.Set("grad", Napi::Function::New(env, Grad));
  exports.Set("setGrad", Napi::Function::New(env, SetGrad));
  exports.Set("retainGrad", Napi::Function::New(env, RetainGrad));
  exports.Set("gradFnName", Napi::Function::New(env, GradFnName));
  exports.Set("backward", Napi::Function::New(env, Backward));
  exports.Set("autogradGrad", Napi::Function::New(env, AutogradGrad));
  exports.Set("isGradEnabled", Napi::Function::New(env, IsGradEnabled));
  exports.Set("setGradEnabled", Napi::Function::New(env, SetGradEnabled));
}

}  // namespace segkit
