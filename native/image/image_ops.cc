// The data pipeline's image kernels from OpenCV (the same library as python3-opencv, so outputs equal
// cv2's): imdecode, resize, cvtColor, warpAffine, getRotationMatrix2D, flip, split on plain typed arrays.
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "mat_bridge.h"

namespace segkit_image {

static int intArg(const Napi::CallbackInfo& info, size_t i, const char* what, const char* name) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(what) + ": " + name + " must be a number");
  return info[i].As<Napi::Number>().Int32Value();
}

static bool hasChannelAxis(const Napi::Value& shape) {
  return shape.As<Napi::Array>().Length() == 3;
}

static void checkInterpolation(Napi::Env env, int code, const char* what) {
  if (code != cv::INTER_NEAREST && code != cv::INTER_LINEAR && code != cv::INTER_CUBIC && code != cv::INTER_AREA && code != cv::INTER_LANCZOS4) {
    throw Napi::RangeError::New(env, std::string(what) + ": interpolation must be an OpenCV INTER_* code 0..4, got " + std::to_string(code));
  }
}

// decode(bytes, flags) -> {data, shape}: cv::imdecode with cv::IMREAD_* flags (as mmcv's imfrombytes passes them).
static Napi::Value Decode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, "decode: bytes must be a Uint8Array");
  }
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  int flags = intArg(info, 1, "decode", "flags");
  return guarded(env, "decode", [&]() -> Napi::Value {
    cv::Mat buf(1, static_cast<int>(bytes.ByteLength()), CV_8U, bytes.Data());
    cv::Mat img = cv::imdecode(buf, flags);
    if (img.empty()) throw Napi::Error::New(env, "decode: OpenCV cannot decode these bytes (not a supported image format, or a truncated file)");
    JsImage out = newJsImage(env, img.rows, img.cols, img.type(), "decode");
    img.copyTo(out.mat);
    return imageObject(env, out);
  });
}

// resize(data, shape, width, height, interpolation) -> {data, shape}: cv::resize to (width, height), rank kept.
static Napi::Value Resize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  cv::Mat src = matOf(info[0], info[1], "resize");
  int w = intArg(info, 2, "resize", "width"), h = intArg(info, 3, "resize", "height");
  if (w <= 0 || h <= 0) throw Napi::RangeError::New(env, "resize: target size must be positive, got " + std::to_string(w) + "x" + std::to_string(h));
  int interpolation = intArg(info, 4, "resize", "interpolation");
  checkInterpolation(env, interpolation, "resize");
  return guarded(env, "resize", [&]() -> Napi::Value {
    JsImage out = newJsImage(env, h, w, src.type(), "resize");
    cv::resize(src, out.mat, out.mat.size(), 0, 0, interpolation);
    return imageObject(env, out, hasChannelAxis(info[1]));
  });
}

// Output channels of the conversions the transforms use; others are refused rather than guessed.
static int outputChannels(int code) {
  switch (code) {
    case cv::COLOR_BGR2HSV: case cv::COLOR_HSV2BGR: case cv::COLOR_BGR2RGB: case cv::COLOR_GRAY2BGR: return 3;
    case cv::COLOR_BGR2GRAY: return 1;
    default: return 0;
  }
}

// cvtColor(data, shape, code) -> {data, shape}: cv::cvtColor for BGR<->HSV, BGR<->RGB, BGR->GRAY, GRAY->BGR.
static Napi::Value CvtColor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  cv::Mat src = matOf(info[0], info[1], "cvtColor");
  int code = intArg(info, 2, "cvtColor", "code");
  int channels = outputChannels(code);
  if (!channels) throw Napi::RangeError::New(env, "cvtColor: unsupported conversion code " + std::to_string(code));
  return guarded(env, "cvtColor", [&]() -> Napi::Value {
    JsImage out = newJsImage(env, src.rows, src.cols, CV_MAKETYPE(src.depth(), channels), "cvtColor");
    cv::cvtColor(src, out.mat, code);
    return imageObject(env, out);
  });
}

// warpAffine(data, shape, matrix[6], width, height, interpolation, borderValue) -> {data, shape}:
// cv::warpAffine with BORDER_CONSTANT; borderValue is a number (cv2's scalar: channel 0 only, the rest 0)
// or up to four per-channel values.
static Napi::Value WarpAffine(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  cv::Mat src = matOf(info[0], info[1], "warpAffine");
  if (!info[2].IsArray() || info[2].As<Napi::Array>().Length() != 6) throw Napi::TypeError::New(env, "warpAffine: matrix must be 6 numbers (2x3, row major)");
  cv::Matx23d m;
  for (uint32_t i = 0; i < 6; i++) m.val[i] = info[2].As<Napi::Array>().Get(i).ToNumber().DoubleValue();
  int w = intArg(info, 3, "warpAffine", "width"), h = intArg(info, 4, "warpAffine", "height");
  if (w <= 0 || h <= 0) throw Napi::RangeError::New(env, "warpAffine: output size must be positive, got " + std::to_string(w) + "x" + std::to_string(h));
  int interpolation = intArg(info, 5, "warpAffine", "interpolation");
  checkInterpolation(env, interpolation, "warpAffine");
  cv::Scalar border;
  if (info[6].IsNumber()) {
    border = cv::Scalar(info[6].As<Napi::Number>().DoubleValue());
  } else if (info[6].IsArray() && info[6].As<Napi::Array>().Length() <= 4) {
    for (uint32_t i = 0; i < info[6].As<Napi::Array>().Length(); i++) border[i] = info[6].As<Napi::Array>().Get(i).ToNumber().DoubleValue();
  } else {
    throw Napi::TypeError::New(env, "warpAffine: borderValue must be a number or at most 4 numbers");
  }
  return guarded(env, "warpAffine", [&]() -> Napi::Value {
    JsImage out = newJsImage(env, h, w, src.type(), "warpAffine");
    cv::warpAffine(src, out.mat, m, out.mat.size(), interpolation, cv::BORDER_CONSTANT, border);
    return imageObject(env, out, hasChannelAxis(info[1]));
  });
}

// flip(data, shape, code) -> {data, shape}: cv::flip (code 1 left-right, 0 top-bottom, -1 both), rank kept.
static Napi::Value Flip(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  cv::Mat src = matOf(info[0], info[1], "flip");
  int code = intArg(info, 2, "flip", "code");
  if (code < -1 || code > 1) throw Napi::RangeError::New(env, "flip: code must be 1 (horizontal), 0 (vertical) or -1 (both), got " + std::to_string(code));
  return guarded(env, "flip", [&]() -> Napi::Value {
    JsImage out = newJsImage(env, src.rows, src.cols, src.type(), "flip");
    cv::flip(src, out.mat, code);
    return imageObject(env, out, hasChannelAxis(info[1]));
  });
}

// toChw(data, shape) -> {data, shape}: an HWC array as CHW planes (cv::split into one buffer); HW gives [1, h, w].
static Napi::Value ToChw(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  cv::Mat src = matOf(info[0], info[1], "toChw");
  return guarded(env, "toChw", [&]() -> Napi::Value {
    int c = src.channels();
    JsImage out = newJsImage(env, src.rows * c, src.cols, CV_MAKETYPE(src.depth(), 1), "toChw");
    std::vector<cv::Mat> planes;
    for (int k = 0; k < c; k++) planes.push_back(out.mat.rowRange(k * src.rows, (k + 1) * src.rows));
    cv::split(src, planes);
    Napi::Array shape = Napi::Array::New(env, 3);
    shape.Set(0u, c);
    shape.Set(1u, src.rows);
    shape.Set(2u, src.cols);
    Napi::Object result = Napi::Object::New(env);
    result.Set("data", out.array);
    result.Set("shape", shape);
    return result;
  });
}

// rotationMatrix2D(cx, cy, angle, scale) -> number[6]: cv::getRotationMatrix2D (its cos/sin, not V8's).
static Napi::Value RotationMatrix2D(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  for (size_t i = 0; i < 4; i++) {
    if (!info[i].IsNumber()) throw Napi::TypeError::New(env, "rotationMatrix2D: expected (cx, cy, angle, scale) numbers");
  }
  cv::Matx23d m = cv::getRotationMatrix2D_(
      cv::Point2f(info[0].As<Napi::Number>().FloatValue(), info[1].As<Napi::Number>().FloatValue()),
      info[2].As<Napi::Number>().DoubleValue(), info[3].As<Napi::Number>().DoubleValue());
  Napi::Array out = Napi::Array::New(env, 6);
  for (uint32_t i = 0; i < 6; i++) out.Set(i, m.val[i]);
  return out;
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // One OpenCV thread per caller, as mmengine sets for its workers (cv2.setNumThreads(0)):
  // the data loader parallelises over worker threads instead.
  cv::setNumThreads(0);
  exports.Set("decode", Napi::Function::New(env, Decode, "decode"));
  exports.Set("resize", Napi::Function::New(env, Resize, "resize"));
  exports.Set("cvtColor", Napi::Function::New(env, CvtColor, "cvtColor"));
  exports.Set("warpAffine", Napi::Function::New(env, WarpAffine, "warpAffine"));
  exports.Set("flip", Napi::Function::New(env, Flip, "flip"));
  exports.Set("toChw", Napi::Function::New(env, ToChw, "toChw"));
  exports.Set("rotationMatrix2D", Napi::Function::New(env, RotationMatrix2D, "rotationMatrix2D"));
  exports.Set("version", Napi::String::New(env, CV_VERSION));
  return exports;
}

}  // namespace segkit_image

static Napi::Object InitSegkitImage(Napi::Env env, Napi::Object exports) {
  return segkit_image::Init(env, exports);
}

NODE_API_MODULE(segkit_image, InitSegkitImage)
