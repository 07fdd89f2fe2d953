// Tensor handles: creation from typed arrays, metadata, reading back, dispose.
#include <atomic>
#include <cstring>

#include "common.h"

namespace segkit {

static const napi_type_tag kTensorTag = {0x5e6b17c0a1f24e11ULL, 0x9d3a7c55e0b2f401ULL};
static const napi_type_tag kGeneratorTag = {0x5e6b17c0a1f24e11ULL, 0x9d3a7c55e0b2f402ULL};
static std::atomic<int64_t> liveHandles{0};
static std::atomic<int64_t> reportedTotal{0};  // bytes currently reported to V8

static int64_t bytesOf(const at::Tensor& t) {
  return t.defined() ? static_cast<int64_t>(t.numel()) * static_cast<int64_t>(t.element_size()) : 0;
}

void disposeTensor(Napi::Env env, TensorHolder* holder) {
  if (!holder->tensor.defined()) return;
  holder->tensor.reset();
  if (holder->reportedBytes) {
    Napi::MemoryManagement::AdjustExternalMemory(env, -holder->reportedBytes);
    reportedTotal -= holder->reportedBytes;
  }
  holder->reportedBytes = 0;
  liveHandles--;
}

// A new handle reports no memory to V8: most tensors live inside a tidy scope and are disposed
// deterministically, and reporting them made V8 run a full mark-compact in every training step
// (external memory crossing its limit mid-forward). The JS side calls reportExternal for the
// handles whose release falls to the garbage collector (created outside scopes, kept, escaping).
Napi::Value wrapTensor(Napi::Env env, at::Tensor tensor) {
  if (!tensor.defined()) return env.Null();
  auto* holder = new TensorHolder{std::move(tensor), 0};
  auto ext = Napi::External<TensorHolder>::New(env, holder, [](Napi::Env env, TensorHolder* h) {
    disposeTensor(env, h);
    delete h;
  });
  napi_type_tag_object(env, ext, &kTensorTag);
  liveHandles++;
  return ext;
}

static bool hasTag(const Napi::Value& value, const napi_type_tag* tag) {
  if (!value.IsExternal()) return false;
  bool result = false;
  napi_check_object_type_tag(value.Env(), value, tag, &result);
  return result;
}

bool isTensorHandle(const Napi::Value& value) { return hasTag(value, &kTensorTag); }
bool isGeneratorHandle(const Napi::Value& value) { return hasTag(value, &kGeneratorTag); }

TensorHolder* holderOf(const Napi::Value& value, const char* what) {
  if (!isTensorHandle(value)) {
    throw Napi::TypeError::New(value.Env(), std::string(what) + ": expected a Tensor");
  }
  return value.As<Napi::External<TensorHolder>>().Data();
}

const at::Tensor& unwrapTensor(const Napi::Value& value, const char* what) {
  auto* holder = holderOf(value, what);
  if (!holder->tensor.defined()) {
    throw Napi::Error::New(value.Env(), std::string(what) + ": tensor was disposed and cannot be used");
  }
  return holder->tensor;
}

at::Generator unwrapGenerator(const Napi::Value& value, const char* what) {
  if (!isGeneratorHandle(value)) {
    throw Napi::TypeError::New(value.Env(), std::string(what) + ": expected a Generator");
  }
  return value.As<Napi::External<GeneratorHolder>>().Data()->generator;
}

at::ScalarType scalarTypeFromCode(Napi::Env env, int64_t code) {
  switch (code) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 11: case 15:
      return static_cast<at::ScalarType>(code);
    default:
      throw Napi::TypeError::New(env, "unsupported dtype code " + std::to_string(code));
  }
}

c10::Device parseDevice(Napi::Env env, const std::string& spec) {
  try {
    return c10::Device(spec);
  } catch (const c10::Error&) {
    throw Napi::TypeError::New(env, "unknown device '" + spec + "': expected 'cpu', 'cuda' or 'cuda:N'");
  }
}

static std::vector<int64_t> toSizes(const Napi::Value& value, const char* what) {
  if (!value.IsArray()) throw Napi::TypeError::New(value.Env(), std::string(what) + ": shape must be an array of integers");
  auto arr = value.As<Napi::Array>();
  std::vector<int64_t> sizes(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr[i];
    if (!v.IsNumber()) throw Napi::TypeError::New(value.Env(), std::string(what) + ": shape must be an array of integers");
    double d = v.As<Napi::Number>().DoubleValue();
    if (d < 0 || d != static_cast<double>(static_cast<int64_t>(d))) {
      throw Napi::TypeError::New(value.Env(), std::string(what) + ": invalid size " + std::to_string(d));
    }
    sizes[i] = static_cast<int64_t>(d);
  }
  return sizes;
}

// fromBuffer(typedArray, shape, dtypeCode, device?) -> copies the bytes into a new tensor.
static Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "fromBuffer: expected a typed array");
  auto arr = info[0].As<Napi::TypedArray>();
  auto sizes = toSizes(info[1], "fromBuffer");
  auto dtype = scalarTypeFromCode(env, info[2].As<Napi::Number>().Int64Value());
  return guarded(env, "fromBuffer", [&] {
    auto options = at::TensorOptions().dtype(dtype);
    at::Tensor t = at::empty(sizes, options);
    size_t need = static_cast<size_t>(t.numel()) * t.element_size();
    if (arr.ByteLength() != need) {
      throw Napi::RangeError::New(env, "fromBuffer: data has " + std::to_string(arr.ByteLength()) +
                                           " bytes, shape and dtype need " + std::to_string(need));
    }
    auto* src = static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
    if (need) std::memcpy(t.data_ptr(), src, need);
    if (info.Length() > 3 && info[3].IsString()) {
      auto device = parseDevice(env, info[3].As<Napi::String>().Utf8Value());
      if (!device.is_cpu()) t = t.to(device);
    }
    return wrapTensor(env, t);
  });
}

// toBuffer(t) -> ArrayBuffer with the contiguous CPU bytes.
static Napi::Value ToBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& t = unwrapTensor(info[0], "toBuffer");
  return guarded(env, "toBuffer", [&] {
    at::Tensor c = t.detach().to(at::kCPU).contiguous();
    size_t n = static_cast<size_t>(c.numel()) * c.element_size();
    auto buf = Napi::ArrayBuffer::New(env, n);
    if (n) std::memcpy(buf.Data(), c.data_ptr(), n);
    return buf;
  });
}

static Napi::Value Item(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& t = unwrapTensor(info[0], "item");
  return guarded(env, "item", [&]() -> Napi::Value {
    if (t.numel() != 1) {
      throw Napi::Error::New(env, "item: tensor with " + std::to_string(t.numel()) + " elements cannot be converted to a number");
    }
    at::Scalar s = t.item();
    if (s.isBoolean()) return Napi::Boolean::New(env, s.toBool());
    if (s.isIntegral(false)) return Napi::Number::New(env, static_cast<double>(s.toLong()));
    return Napi::Number::New(env, s.toDouble());
  });
}

static Napi::Value Shape(const Napi::CallbackInfo& info) {
  const at::Tensor& t = unwrapTensor(info[0], "shape");
  auto sizes = t.sizes();
  auto out = Napi::Array::New(info.Env(), sizes.size());
  for (size_t i = 0; i < sizes.size(); i++) out[i] = Napi::Number::New(info.Env(), static_cast<double>(sizes[i]));
  return out;
}

static Napi::Value Strides(const Napi::CallbackInfo& info) {
  const at::Tensor& t = unwrapTensor(info[0], "strides");
  auto strides = t.strides();
  auto out = Napi::Array::New(info.Env(), strides.size());
  for (size_t i = 0; i < strides.size(); i++) out[i] = Napi::Number::New(info.Env(), static_cast<double>(strides[i]));
  return out;
}

static Napi::Value Dtype(const Napi::CallbackInfo& info) {
  const at::Tensor& t = unwrapTensor(info[0], "dtype");
  return Napi::Number::New(info.Env(), static_cast<int>(t.scalar_type()));
}

static Napi::Value Device(const Napi::CallbackInfo& info) {
  const at::Tensor& t = unwrapTensor(info[0], "device");
  return Napi::String::New(info.Env(), t.device().str());
}

static Napi::Value Numel(const Napi::CallbackInfo& info) {
  const at::Tensor& t = unwrapTensor(info[0], "numel");
  return Napi::Number::New(info.Env(), static_cast<double>(t.numel()));
}

static Napi::Value Dispose(const Napi::CallbackInfo& info) {
  disposeTensor(info.Env(), holderOf(info[0], "dispose"));
  return info.Env().Undefined();
}

static Napi::Value ReportExternal(const Napi::CallbackInfo& info) {
  auto* holder = holderOf(info[0], "reportExternal");
  if (holder->tensor.defined() && holder->reportedBytes == 0) {
    holder->reportedBytes = bytesOf(holder->tensor);
    if (holder->reportedBytes) {
      Napi::MemoryManagement::AdjustExternalMemory(info.Env(), holder->reportedBytes);
      reportedTotal += holder->reportedBytes;
    }
  }
  return info.Env().Undefined();
}

static Napi::Value IsDisposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !holderOf(info[0], "isDisposed")->tensor.defined());
}

static Napi::Value IsTensor(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), isTensorHandle(info[0]));
}

// Same storage and view (used to tell whether an op returned its input).
static Napi::Value SameTensor(const Napi::CallbackInfo& info) {
  const at::Tensor& a = unwrapTensor(info[0], "sameTensor");
  const at::Tensor& b = unwrapTensor(info[1], "sameTensor");
  return Napi::Boolean::New(info.Env(), a.unsafeGetTensorImpl() == b.unsafeGetTensorImpl());
}

static Napi::Value DataPtr(const Napi::CallbackInfo& info) {
  const at::Tensor& t = unwrapTensor(info[0], "dataPtr");
  return Napi::Number::New(info.Env(), static_cast<double>(reinterpret_cast<uintptr_t>(t.data_ptr())));
}

static Napi::Value LiveHandles(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(liveHandles.load()));
}

static Napi::Value ReportedBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(reportedTotal.load()));
}

static Napi::Value NewGenerator(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t seed = static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value());
  return guarded(env, "Generator", [&]() -> Napi::Value {
    std::string spec = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "cpu";
    auto device = parseDevice(env, spec);
    at::Generator gen;
    if (device.is_cpu()) {
      gen = at::detail::createCPUGenerator(seed);
    } else {
      gen = at::globalContext().defaultGenerator(device).clone();
      gen.set_current_seed(seed);
    }
    auto* holder = new GeneratorHolder{gen};
    auto ext = Napi::External<GeneratorHolder>::New(env, holder, [](Napi::Env, GeneratorHolder* h) { delete h; });
    napi_type_tag_object(env, ext, &kGeneratorTag);
    return ext;
  });
}

static Napi::Value GeneratorSeed(const Napi::CallbackInfo& info) {
  auto gen = unwrapGenerator(info[0], "Generator.manualSeed");
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_current_seed(static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value()));
  return info.Env().Undefined();
}

void initTensor(Napi::Env env, Napi::Object exports) {
  exports.Set("fromBuffer", Napi::Function::New(env, FromBuffer));
  exports.Set("toBuffer", Napi::Function::New(env, ToBuffer));
  exports.Set("item", Napi::Function::New(env, Item));
  exports.Set("shape", Napi::Function::New(env, Shape));
  exports.Set("strides", Napi::Function::New(env, Strides));
  exports.Set("dtype", Napi::Function::New(env, Dtype));
  exports.Set("device", Napi::Function::New(env, Device));
  exports.Set("numel", Napi::Function::New(env, Numel));
  exports.Set("dispose", Napi::Function::New(env, Dispose));
  exports.Set("reportExternal", Napi::Function::New(env, ReportExternal));
  exports.Set("isDisposed", Napi::Function::New(env, IsDisposed));
  exports.Set("isTensor", Napi::Function::New(env, IsTensor));
  exports.Set("sameTensor", Napi::Function::New(env, SameTensor));
  exports.Set("dataPtr", Napi::Function::New(env, DataPtr));
  exports.Set("liveHandles", Napi::Function::New(env, LiveHandles));
  exports.Set("reportedBytes", Napi::Function::New(env, ReportedBytes));
  exports.Set("newGenerator", Napi::Function::New(env, NewGenerator));
  exports.Set("generatorSeed", Napi::Function::New(env, GeneratorSeed));
}

}  // namespace segkit
