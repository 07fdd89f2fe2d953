// Typed arrays <-> cv::Mat for the image addon (see mat_bridge.h).
#include "mat_bridge.h"

#include <cstdlib>
#include <string>

namespace segkit_image {

static int depthOf(napi_typedarray_type t) {
  switch (t) {
    case napi_uint8_array: return CV_8U;
    case napi_uint16_array: return CV_16U;
    case napi_float32_array: return CV_32F;
    default: return -1;
  }
}

cv::Mat matOf(const Napi::Value& data, const Napi::Value& shape, const char* what) {
  Napi::Env env = data.Env();
  if (!data.IsTypedArray()) throw Napi::TypeError::New(env, std::string(what) + ": data must be a Uint8Array, Uint16Array or Float32Array");
  Napi::TypedArray arr = data.As<Napi::TypedArray>();
  int depth = depthOf(arr.TypedArrayType());
  if (depth < 0) throw Napi::TypeError::New(env, std::string(what) + ": data must be a Uint8Array, Uint16Array or Float32Array");
  if (!shape.IsArray()) throw Napi::TypeError::New(env, std::string(what) + ": shape must be [h, w] or [h, w, c]");
  Napi::Array dims = shape.As<Napi::Array>();
  uint32_t rank = dims.Length();
  if (rank != 2 && rank != 3) throw Napi::TypeError::New(env, std::string(what) + ": shape must be [h, w] or [h, w, c], got rank " + std::to_string(rank));
  int64_t d[3] = {0, 0, 1};
  for (uint32_t i = 0; i < rank; i++) {
    Napi::Value v = dims.Get(i);
    d[i] = v.IsNumber() ? v.As<Napi::Number>().Int64Value() : -1;
    if (d[i] <= 0 || d[i] > (1 << 30)) throw Napi::RangeError::New(env, std::string(what) + ": shape entries must be positive integers");
  }
  if (d[2] > CV_CN_MAX) throw Napi::RangeError::New(env, std::string(what) + ": at most " + std::to_string(CV_CN_MAX) + " channels, got " + std::to_string(d[2]));
  if (static_cast<int64_t>(arr.ElementLength()) != d[0] * d[1] * d[2]) {
    throw Napi::RangeError::New(env, std::string(what) + ": " + std::to_string(arr.ElementLength()) + " elements do not fill shape [" +
                                         std::to_string(d[0]) + ", " + std::to_string(d[1]) + (rank == 3 ? ", " + std::to_string(d[2]) : "") + "]");
  }
  auto* base = static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
  return cv::Mat(static_cast<int>(d[0]), static_cast<int>(d[1]), CV_MAKETYPE(depth, static_cast<int>(d[2])), base);
}

JsImage newJsImage(Napi::Env env, int rows, int cols, int type, const char* what) {
  int depth = CV_MAT_DEPTH(type);
  if (depth != CV_8U && depth != CV_16U && depth != CV_32F) {
    throw Napi::TypeError::New(env, std::string(what) + ": OpenCV gave depth " + cv::depthToString(depth) + "; expected 8U, 16U or 32F");
  }
  size_t n = static_cast<size_t>(rows) * cols * CV_MAT_CN(type);
  size_t bytes = n * CV_ELEM_SIZE1(type);
  // A Node Buffer's memory is not zero-filled (an ArrayBuffer's is, which cost 0.2-0.5 ms per resized
  // CamVid sample), and V8 still counts it for GC; every result is overwritten whole.
  Napi::ArrayBuffer buffer = Napi::Buffer<uint8_t>::New(env, bytes).ArrayBuffer();
  Napi::TypedArray array;
  switch (depth) {
    case CV_8U: array = Napi::Uint8Array::New(env, n, buffer, 0); break;
    case CV_16U: array = Napi::Uint16Array::New(env, n, buffer, 0); break;
    default: array = Napi::Float32Array::New(env, n, buffer, 0); break;
  }
  void* data = buffer.Data();
  return {array, cv::Mat(rows, cols, type, data)};
}

Napi::Object imageObject(Napi::Env env, const JsImage& img, bool keepChannelAxis) {
  Napi::Array shape = Napi::Array::New(env);
  shape.Set(0u, img.mat.rows);
  shape.Set(1u, img.mat.cols);
  if (img.mat.channels() > 1 || keepChannelAxis) shape.Set(2u, img.mat.channels());
  Napi::Object out = Napi::Object::New(env);
  out.Set("data", img.array);
  out.Set("shape", shape);
  return out;
}

}  // namespace segkit_image
