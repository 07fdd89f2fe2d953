// Typed arrays <-> cv::Mat for the image addon: HWC / HW pixel buffers as Mat headers, results as new typed arrays.
#pragma once
#include <napi.h>

#include <opencv2/core.hpp>

namespace segkit_image {

// A Mat header over a Uint8Array / Uint16Array / Float32Array laid out as `shape` = [h, w] or [h, w, c]
// (no copy: the JS array must stay alive while the Mat is used). Errors name `what`.
cv::Mat matOf(const Napi::Value& data, const Napi::Value& shape, const char* what);

// A new JS typed array of Mat type `type` and size rows x cols, and a Mat header over its memory,
// so an OpenCV function can write its result straight into JS memory.
struct JsImage {
  Napi::TypedArray array;
  cv::Mat mat;
};
JsImage newJsImage(Napi::Env env, int rows, int cols, int type, const char* what);

// {data, shape} for JS: [h, w, c], or [h, w] for one channel unless `keepChannelAxis`.
Napi::Object imageObject(Napi::Env env, const JsImage& img, bool keepChannelAxis = false);

// Runs `body`, turning OpenCV exceptions into JS errors that start with `where`.
template <typename F>
auto guarded(Napi::Env env, const char* where, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const cv::Exception& e) {
    // e.err is OpenCV's check and its values over several lines; one line reads better in a JS error.
    std::string message = e.err;
    for (char& ch : message) if (ch == '\n') ch = ' ';
    throw Napi::Error::New(env, std::string(where) + ": " + message);
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string(where) + ": " + e.what());
  }
}

}  // namespace segkit_image
