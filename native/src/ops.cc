// Every ATen operator, called by name through the dispatcher's boxed interface.
// JS values are converted by the operator's schema, so autograd, autocast and
// every backend kernel apply exactly as they do for PyTorch itself.
#include "common.h"

namespace segkit {

struct OpEntry {
  c10::OperatorHandle handle;
  std::string label;  // "aten::conv2d" or "aten::add.Tensor", for messages
};
static std::vector<OpEntry> opTable;

static std::string jsTypeName(const Napi::Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsUndefined()) return "undefined";
  if (v.IsBoolean()) return "boolean";
  if (v.IsNumber()) return "number";
  if (v.IsString()) return "string";
  if (v.IsArray()) return "array";
  if (isTensorHandle(v)) return "Tensor";
  if (v.IsExternal()) return "handle";
  return "object";
}

[[noreturn]] static void badArg(const Napi::Value& v, const OpEntry& op, const c10::Argument& arg,
                                const std::string& expected) {
  throw Napi::TypeError::New(v.Env(), op.label + ": argument '" + arg.name() + "' expected " + expected +
                                          ", got " + jsTypeName(v));
}

static int64_t toInt(const Napi::Value& v, const OpEntry& op, const c10::Argument& arg) {
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? 1 : 0;
  if (!v.IsNumber()) badArg(v, op, arg, "an integer");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int64_t>(d))) badArg(v, op, arg, "an integer (got a fraction)");
  return static_cast<int64_t>(d);
}

static c10::IValue toIValue(const Napi::Value& v, const c10::TypePtr& type, const OpEntry& op,
                            const c10::Argument& arg) {
  Napi::Env env = v.Env();
  switch (type->kind()) {
    case c10::TypeKind::TensorType:
      if (!isTensorHandle(v)) badArg(v, op, arg, "a Tensor");
      return unwrapTensor(v, op.label.c_str());
    case c10::TypeKind::OptionalType:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      return toIValue(v, type->expectRef<c10::OptionalType>().getElementType(), op, arg);
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType:
      return toInt(v, op, arg);
    case c10::TypeKind::FloatType:
      if (!v.IsNumber()) badArg(v, op, arg, "a number");
      return v.As<Napi::Number>().DoubleValue();
    case c10::TypeKind::BoolType:
      if (!v.IsBoolean()) badArg(v, op, arg, "a boolean");
      return v.As<Napi::Boolean>().Value();
    case c10::TypeKind::NumberType: {
      if (v.IsBoolean()) return at::Scalar(v.As<Napi::Boolean>().Value());
      if (!v.IsNumber()) badArg(v, op, arg, "a number");
      double d = v.As<Napi::Number>().DoubleValue();
      // Integral JS numbers become integer Scalars so integer tensors keep their dtype.
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9007199254740992.0) {
        return at::Scalar(static_cast<int64_t>(d));
      }
      return at::Scalar(d);
    }
    case c10::TypeKind::StringType:
      if (!v.IsString()) badArg(v, op, arg, "a string");
      return v.As<Napi::String>().Utf8Value();
    case c10::TypeKind::DeviceObjType:
      if (!v.IsString()) badArg(v, op, arg, "a device string");
      return parseDevice(env, v.As<Napi::String>().Utf8Value());
    case c10::TypeKind::GeneratorType:
      return unwrapGenerator(v, op.label.c_str());
    case c10::TypeKind::ListType: {
      auto elem = type->expectRef<c10::ListType>().getElementType();
      auto ek = elem->kind();
      if (ek == c10::TypeKind::IntType || ek == c10::TypeKind::SymIntType) {
        if (v.IsNumber() && arg.N()) return std::vector<int64_t>(*arg.N(), toInt(v, op, arg));
        if (!v.IsArray()) badArg(v, op, arg, "an array of integers");
        auto a = v.As<Napi::Array>();
        std::vector<int64_t> out(a.Length());
        for (uint32_t i = 0; i < a.Length(); i++) out[i] = toInt(a[i], op, arg);
        return out;
      }
      if (ek == c10::TypeKind::FloatType) {
        if (v.IsNumber() && arg.N()) return std::vector<double>(*arg.N(), v.As<Napi::Number>().DoubleValue());
        if (!v.IsArray()) badArg(v, op, arg, "an array of numbers");
        auto a = v.As<Napi::Array>();
        std::vector<double> out(a.Length());
        for (uint32_t i = 0; i < a.Length(); i++) {
          Napi::Value e = a[i];
          if (!e.IsNumber()) badArg(e, op, arg, "an array of numbers");
          out[i] = e.As<Napi::Number>().DoubleValue();
        }
        return out;
      }
      if (ek == c10::TypeKind::BoolType) {
        if (!v.IsArray()) badArg(v, op, arg, "an array of booleans");
        auto a = v.As<Napi::Array>();
        c10::List<bool> out;
        for (uint32_t i = 0; i < a.Length(); i++) {
          Napi::Value e = a[i];
          if (!e.IsBoolean()) badArg(e, op, arg, "an array of booleans");
          out.push_back(e.As<Napi::Boolean>().Value());
        }
        return out;
      }
      if (ek == c10::TypeKind::TensorType) {
        if (!v.IsArray()) badArg(v, op, arg, "an array of Tensors");
        auto a = v.As<Napi::Array>();
        c10::List<at::Tensor> out;
        out.reserve(a.Length());
        for (uint32_t i = 0; i < a.Length(); i++) {
          Napi::Value e = a[i];
          if (!isTensorHandle(e)) badArg(e, op, arg, "an array of Tensors");
          out.push_back(unwrapTensor(e, op.label.c_str()));
        }
        return out;
      }
      if (ek == c10::TypeKind::OptionalType) {
        if (!v.IsArray()) badArg(v, op, arg, "an array of Tensors or nulls");
        auto a = v.As<Napi::Array>();
        c10::List<c10::optional<at::Tensor>> out;
        for (uint32_t i = 0; i < a.Length(); i++) {
          Napi::Value e = a[i];
          if (e.IsNull() || e.IsUndefined()) {
            out.push_back(c10::nullopt);
          } else {
            if (!isTensorHandle(e)) badArg(e, op, arg, "an array of Tensors or nulls");
            out.push_back(unwrapTensor(e, op.label.c_str()));
          }
        }
        return out;
      }
      break;
    }
    default:
      break;
  }
  throw Napi::TypeError::New(env, op.label + ": argument '" + arg.name() + "' has type " + type->str() +
                                      ", which segkit cannot pass from JavaScript");
}

static Napi::Value fromIValue(Napi::Env env, const c10::IValue& v) {
  if (v.isTensor()) return wrapTensor(env, v.toTensor());
  if (v.isNone()) return env.Null();
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isInt()) return Napi::Number::New(env, static_cast<double>(v.toInt()));
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isScalar()) return Napi::Number::New(env, v.toScalar().toDouble());
  if (v.isTensorList()) {
    auto list = v.toTensorList();
    auto out = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) out[i] = wrapTensor(env, list.get(i));
    return out;
  }
  if (v.isIntList()) {
    auto list = v.toIntList();
    auto out = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) out[i] = Napi::Number::New(env, static_cast<double>(list.get(i)));
    return out;
  }
  if (v.isTuple()) {
    auto& elems = v.toTupleRef().elements();
    auto out = Napi::Array::New(env, elems.size());
    for (size_t i = 0; i < elems.size(); i++) out[i] = fromIValue(env, elems[i]);
    return out;
  }
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  throw Napi::TypeError::New(env, "cannot return a value of type " + v.tagKind() + " to JavaScript");
}

// opId(name, overload) -> integer handle for op/callOp; throws for unknown operators.
static Napi::Value OpId(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  std::string overload = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
  auto handle = c10::Dispatcher::singleton().findSchema({name, overload});
  if (!handle) {
    throw Napi::Error::New(env, "unknown operator " + name + (overload.empty() ? "" : "." + overload));
  }
  opTable.push_back(OpEntry{*handle, overload.empty() ? name : name + "." + overload});
  return Napi::Number::New(env, static_cast<double>(opTable.size() - 1));
}

static Napi::Value OpSchema(const Napi::CallbackInfo& info) {
  size_t id = info[0].As<Napi::Number>().Uint32Value();
  if (id >= opTable.size()) throw Napi::RangeError::New(info.Env(), "unknown operator id");
  std::ostringstream s;
  s << opTable[id].handle.schema();
  return Napi::String::New(info.Env(), s.str());
}

static void runOp(const Napi::CallbackInfo& info, torch::jit::Stack& stack, const OpEntry*& entry) {
  Napi::Env env = info.Env();
  size_t id = info[0].As<Napi::Number>().Uint32Value();
  if (id >= opTable.size()) throw Napi::RangeError::New(env, "unknown operator id");
  const OpEntry& op = opTable[id];
  entry = &op;
  const auto& args = op.handle.schema().arguments();
  size_t given = info.Length() - 1;
  if (given > args.size()) {
    throw Napi::TypeError::New(env, op.label + ": takes " + std::to_string(args.size()) + " arguments, got " +
                                        std::to_string(given));
  }
  stack.reserve(args.size());
  for (size_t i = 0; i < args.size(); i++) {
    const auto& arg = args[i];
    Napi::Value v = i < given ? info[i + 1] : env.Undefined();
    if (v.IsUndefined()) {
      if (arg.default_value()) {
        stack.push_back(*arg.default_value());
        continue;
      }
      if (arg.type()->kind() == c10::TypeKind::OptionalType) {
        stack.emplace_back();
        continue;
      }
      throw Napi::TypeError::New(env, op.label + ": missing argument '" + arg.name() + "'");
    }
    stack.push_back(toIValue(v, arg.type(), op, arg));
  }
  guarded(env, op.label.c_str(), [&] {
    op.handle.callBoxed(&stack);
    return 0;
  });
}

// op(id, ...args) -> Tensor | number | boolean | null | array for several results.
static Napi::Value Op(const Napi::CallbackInfo& info) {
  torch::jit::Stack stack;
  const OpEntry* entry = nullptr;
  runOp(info, stack, entry);
  Napi::Env env = info.Env();
  if (stack.size() == 1) return fromIValue(env, stack[0]);
  auto out = Napi::Array::New(env, stack.size());
  for (size_t i = 0; i < stack.size(); i++) out[i] = fromIValue(env, stack[i]);
  return out;
}

// opVoid(id, ...args): for in-place operators whose result the caller already holds.
static Napi::Value OpVoid(const Napi::CallbackInfo& info) {
  torch::jit::Stack stack;
  const OpEntry* entry = nullptr;
  runOp(info, stack, entry);
  return info.Env().Undefined();
}

void initOps(Napi::Env env, Napi::Object exports) {
  exports.Set("opId", Napi::Function::New(env, OpId));
  exports.Set("opSchema", Napi::Function::New(env, OpSchema));
  exports.Set("op", Napi::Function::New(env, Op));
  exports.Set("opVoid", Napi::Function::New(env, OpVoid));
}

}  // namespace segkit
