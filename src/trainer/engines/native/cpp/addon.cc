// The Node-API face of the addon (plain N-API, no node-addon-api, so it builds without dev
// dependencies). Every argument is checked here before any kernel runs: wrong types throw a TypeError,
// wrong lengths, shapes or ranges a RangeError, each naming the argument. Kernels never see a buffer
// shorter than they need.
//
// Exports:
//   info() -> { isa, hardwareThreads, cpuHasAvx2Fma, cpuHasAvx512, cells, readouts }
//   setIsa('auto' | 'portable' | 'avx2-fma' | 'avx512')                                   (tests)
//   mathApply(fn: 'exp'|'tanh'|'sigmoid', impl: 'auto'|'portable'|'avx2-fma'|'avx512', src, dst)  (tests)
//   sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, threads)          (tests, bench)
//   createModel(cell, F, N, L, O, K, threads, readout?: 'linear' | 'attention') -> handle
//   paramCount(handle), setParams(handle, p), getParams(handle),
//   forward(handle, x, mask|null, T, B, training, capture: Int32Array|null) -> [outputs, hidden|null]
//   backward(handle, dY), gradients(handle), adam(handle, lr, beta1, beta2, eps, clipNorm|undefined) -> norm
//   getOptimizer(handle) -> [step, m, v], setOptimizer(handle, step, m, v), dispose(handle)
#define NAPI_VERSION 8
#include <node_api.h>

#include <cmath>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common.h"
#include "model.h"
#include "sgemm.h"
#include "vmath.h"

namespace {

using rwa::Model;

enum class ErrKind { Type, Range, Plain };
struct JsError {
  ErrKind kind;
  std::string msg;
};
[[noreturn]] void type_error(const std::string& m) { throw JsError{ErrKind::Type, m}; }
[[noreturn]] void range_error(const std::string& m) { throw JsError{ErrKind::Range, m}; }
[[noreturn]] void plain_error(const std::string& m) { throw JsError{ErrKind::Plain, m}; }

void check(napi_env env, napi_status s) {
  if (s == napi_ok) return;
  const napi_extended_error_info* info = nullptr;
  napi_get_last_error_info(env, &info);
  plain_error(std::string("rwa_native: N-API call failed: ") + (info && info->error_message ? info->error_message : "?"));
}

constexpr long kMaxDim = 1L << 24;        // any single size
constexpr double kMaxElements = 1L << 34;  // any product of sizes (floats)

struct Args {
  napi_env env;
  size_t argc = 16;
  napi_value argv[16];
  Args(napi_env e, napi_callback_info info) : env(e) {
    check(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  }
  napi_value at(size_t i) {
    if (i < argc) return argv[i];
    napi_value u;
    check(env, napi_get_undefined(env, &u));
    return u;
  }
  napi_valuetype type(size_t i) {
    napi_valuetype t;
    check(env, napi_typeof(env, at(i), &t));
    return t;
  }
  bool nullish(size_t i) {
    napi_valuetype t = type(i);
    return t == napi_undefined || t == napi_null;
  }
  double number(size_t i, const char* name) {
    if (type(i) != napi_number) type_error(std::string(name) + " must be a number");
    double v;
    check(env, napi_get_value_double(env, at(i), &v));
    return v;
  }
  double finite(size_t i, const char* name) {
    double v = number(i, name);
    if (!std::isfinite(v)) range_error(std::string(name) + " must be finite, got " + std::to_string(v));
    return v;
  }
  long integer(size_t i, const char* name, long lo, long hi) {
    double v = number(i, name);
    if (!std::isfinite(v) || std::floor(v) != v || v < lo || v > hi)
      range_error(std::string(name) + " must be an integer in " + std::to_string(lo) + ".." + std::to_string(hi) +
                  ", got " + std::to_string(v));
    return static_cast<long>(v);
  }
  bool boolean(size_t i, const char* name) {
    if (type(i) != napi_boolean) type_error(std::string(name) + " must be a boolean");
    bool v;
    check(env, napi_get_value_bool(env, at(i), &v));
    return v;
  }
  std::string string(size_t i, const char* name) {
    if (type(i) != napi_string) type_error(std::string(name) + " must be a string");
    char buf[64];
    size_t len;
    check(env, napi_get_value_string_utf8(env, at(i), buf, sizeof buf, &len));
    return std::string(buf, len);
  }
  // A typed array of the given type; returns its data and element count.
  void* typed(size_t i, const char* name, napi_typedarray_type want, const char* wantName, size_t* length) {
    bool is = false;
    check(env, napi_is_typedarray(env, at(i), &is));
    napi_typedarray_type tt;
    void* data = nullptr;
    napi_value ab;
    size_t off;
    if (is) check(env, napi_get_typedarray_info(env, at(i), &tt, length, &data, &ab, &off));
    if (!is || tt != want) type_error(std::string(name) + " must be a " + wantName);
    if (*length > 0 && data == nullptr) range_error(std::string(name) + " is detached");
    return data;
  }
  float* f32(size_t i, const char* name, double expected) {
    size_t len;
    float* p = static_cast<float*>(typed(i, name, napi_float32_array, "Float32Array", &len));
    if (static_cast<double>(len) != expected)
      range_error(std::string(name) + " must have length " + std::to_string(static_cast<long long>(expected)) +
                  ", got " + std::to_string(len));
    return p;
  }
  float* f32_min(size_t i, const char* name, double atLeast, size_t* len) {
    float* p = static_cast<float*>(typed(i, name, napi_float32_array, "Float32Array", len));
    if (static_cast<double>(*len) < atLeast)
      range_error(std::string(name) + " is too short: needs at least " + std::to_string(static_cast<long long>(atLeast)) +
                  " elements, got " + std::to_string(*len));
    return p;
  }
};

napi_value make_f32(napi_env env, size_t n, float** data) {
  napi_value ab, ta;
  void* raw = nullptr;
  check(env, napi_create_arraybuffer(env, n * sizeof(float), &raw, &ab));
  check(env, napi_create_typedarray(env, napi_float32_array, n, ab, 0, &ta));
  *data = static_cast<float*>(raw);
  return ta;
}
napi_value make_f32_copy(napi_env env, const float* src, size_t n) {
  float* d;
  napi_value v = make_f32(env, n, &d);
  if (n) std::memcpy(d, src, n * sizeof(float));
  return v;
}
napi_value make_number(napi_env env, double v) {
  napi_value r;
  check(env, napi_create_double(env, v, &r));
  return r;
}
napi_value make_string(napi_env env, const char* s) {
  napi_value r;
  check(env, napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &r));
  return r;
}
napi_value undefined(napi_env env) {
  napi_value u;
  check(env, napi_get_undefined(env, &u));
  return u;
}

const napi_type_tag kModelTag = {0x7277615f6e617469ULL, 0x76655f6d6f64656cULL};

Model* unwrap_model(Args& a, size_t i) {
  if (a.type(i) != napi_object) type_error("model must be a handle returned by createModel");
  bool tagged = false;
  check(a.env, napi_check_object_type_tag(a.env, a.at(i), &kModelTag, &tagged));
  if (!tagged) type_error("model must be a handle returned by createModel");
  void* p = nullptr;
  if (napi_unwrap(a.env, a.at(i), &p) != napi_ok || p == nullptr) plain_error("model has been disposed");
  return static_cast<Model*>(p);
}

template <napi_value (*F)(Args&)>
napi_value guarded(napi_env env, napi_callback_info info) {
  try {
    Args a(env, info);
    return F(a);
  } catch (const JsError& e) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) {
      const char* m = e.msg.c_str();
      if (e.kind == ErrKind::Type)
        napi_throw_type_error(env, nullptr, m);
      else if (e.kind == ErrKind::Range)
        napi_throw_range_error(env, nullptr, m);
      else
        napi_throw_error(env, nullptr, m);
    }
  } catch (const std::bad_alloc&) {
    napi_throw_range_error(env, nullptr, "rwa_native: out of memory (the batch, sequence length or model is too large)");
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, (std::string("rwa_native: ") + e.what()).c_str());
  }
  return nullptr;
}

// ---- module functions ----

napi_value js_info(Args& a) {
  napi_value o;
  check(a.env, napi_create_object(a.env, &o));
  check(a.env, napi_set_named_property(a.env, o, "isa", make_string(a.env, rwa::isa_name(rwa::active_isa()))));
  check(a.env, napi_set_named_property(a.env, o, "hardwareThreads",
                                       make_number(a.env, std::max(1u, std::thread::hardware_concurrency()))));
  napi_value has;
  check(a.env, napi_get_boolean(a.env, rwa::cpu_has_avx2_fma(), &has));
  check(a.env, napi_set_named_property(a.env, o, "cpuHasAvx2Fma", has));
  check(a.env, napi_get_boolean(a.env, rwa::cpu_has_avx512(), &has));
  check(a.env, napi_set_named_property(a.env, o, "cpuHasAvx512", has));
  // What this build can run: the JS side refuses an addon built from older sources (a stale build/Release, or
  // one a long-running worker loaded before a rebuild) instead of failing later inside createModel.
  const char* cells[] = {"rwa", "lstm", "gru", "rda"};
  const char* readouts[] = {"linear", "attention"};
  auto list = [&](const char* const* items, size_t n) {
    napi_value arr;
    check(a.env, napi_create_array_with_length(a.env, n, &arr));
    for (size_t i = 0; i < n; i++) check(a.env, napi_set_element(a.env, arr, (uint32_t)i, make_string(a.env, items[i])));
    return arr;
  };
  check(a.env, napi_set_named_property(a.env, o, "cells", list(cells, 4)));
  check(a.env, napi_set_named_property(a.env, o, "readouts", list(readouts, 2)));
  return o;
}

rwa::Isa parse_isa(const std::string& s, const char* name) {
  if (s == "auto")
    return rwa::cpu_has_avx512() ? rwa::Isa::Avx512 : rwa::cpu_has_avx2_fma() ? rwa::Isa::Avx2Fma : rwa::Isa::Portable;
  if (s == "portable") return rwa::Isa::Portable;
  if (s == "avx2-fma") {
    if (!rwa::cpu_has_avx2_fma()) range_error(std::string(name) + " 'avx2-fma' is not supported by this CPU");
    return rwa::Isa::Avx2Fma;
  }
  if (s == "avx512") {
    if (!rwa::cpu_has_avx512()) range_error(std::string(name) + " 'avx512' is not supported by this CPU");
    return rwa::Isa::Avx512;
  }
  range_error(std::string(name) + " must be 'auto', 'portable', 'avx2-fma' or 'avx512', got '" + s + "'");
}

napi_value js_set_isa(Args& a) {
  rwa::set_isa(parse_isa(a.string(0, "isa"), "isa"));
  return make_string(a.env, rwa::isa_name(rwa::active_isa()));
}

napi_value js_math_apply(Args& a) {
  std::string fn = a.string(0, "fn");
  rwa::vm::Fn f;
  if (fn == "exp")
    f = rwa::vm::Fn::Exp;
  else if (fn == "tanh")
    f = rwa::vm::Fn::Tanh;
  else if (fn == "sigmoid")
    f = rwa::vm::Fn::Sigmoid;
  else
    range_error("fn must be 'exp', 'tanh' or 'sigmoid', got '" + fn + "'");
  rwa::Isa isa = parse_isa(a.string(1, "impl"), "impl");
  size_t n;
  float* src = static_cast<float*>(a.typed(2, "src", napi_float32_array, "Float32Array", &n));
  float* dst = a.f32(3, "dst", static_cast<double>(n));
  rwa::vm::apply(f, isa, dst, src, static_cast<long>(n));
  return undefined(a.env);
}

napi_value js_sgemm(Args& a) {
  bool ta = a.boolean(0, "transA"), tb = a.boolean(1, "transB");
  long M = a.integer(2, "M", 0, kMaxDim), N = a.integer(3, "N", 0, kMaxDim), K = a.integer(4, "K", 0, kMaxDim);
  float alpha = static_cast<float>(a.finite(5, "alpha"));
  long lda = a.integer(7, "lda", 1, kMaxDim), ldb = a.integer(9, "ldb", 1, kMaxDim);
  float beta = static_cast<float>(a.finite(10, "beta"));
  long ldc = a.integer(12, "ldc", 1, kMaxDim);
  int threads = static_cast<int>(a.integer(13, "threads", 1, 256));
  // op(A) is M x K: A is (ta ? K x M : M x K) with row stride lda
  long aRows = ta ? K : M, aCols = ta ? M : K, bRows = tb ? N : K, bCols = tb ? K : N;
  if (aCols > lda) range_error("lda must be >= " + std::to_string(aCols));
  if (bCols > ldb) range_error("ldb must be >= " + std::to_string(bCols));
  if (N > ldc) range_error("ldc must be >= N");
  size_t la, lb, lc;
  float* A = a.f32_min(6, "A", aRows == 0 ? 0 : static_cast<double>(aRows - 1) * lda + aCols, &la);
  float* B = a.f32_min(8, "B", bRows == 0 ? 0 : static_cast<double>(bRows - 1) * ldb + bCols, &lb);
  float* C = a.f32_min(11, "C", M == 0 ? 0 : static_cast<double>(M - 1) * ldc + N, &lc);
  if (M == 0 || N == 0) return undefined(a.env);
  rwa::gemm::sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, threads);
  return undefined(a.env);
}

void finalize_model(napi_env, void* data, void*) { delete static_cast<Model*>(data); }

napi_value js_create_model(Args& a) {
  std::string cell = a.string(0, "cell");
  rwa::Spec s;
  if (cell == "rwa")
    s.cell = rwa::Cell::Rwa;
  else if (cell == "lstm")
    s.cell = rwa::Cell::Lstm;
  else if (cell == "gru")
    s.cell = rwa::Cell::Gru;
  else if (cell == "rda")
    s.cell = rwa::Cell::Rda;
  else
    range_error("cell must be 'rwa', 'lstm', 'gru' or 'rda', got '" + cell + "'");
  s.F = a.integer(1, "inputSize", 1, 1L << 20);
  s.N = a.integer(2, "units", 1, 1L << 16);
  s.L = a.integer(3, "layers", 1, 64);
  s.O = a.integer(4, "outputSize", 1, 1L << 20);
  s.K = a.integer(5, "outputSteps", 1, kMaxDim);
  int threads = static_cast<int>(a.integer(6, "threads", 1, 256));
  const std::string readout = a.nullish(7) ? "linear" : a.string(7, "readout");
  if (readout != "linear" && readout != "attention")
    range_error("readout must be 'linear' or 'attention', got '" + readout + "'");
  s.attention = readout == "attention";
  double approx = s.attention ? 3.0 * s.N * s.N : 0;
  for (long l = 0; l < s.L; l++) approx += (static_cast<double>(l == 0 ? s.F : s.N) + s.N) * 4.0 * s.N + 4.0 * s.N;
  approx += static_cast<double>(s.N) * s.O + s.O;
  if (approx > 1e9) range_error("model too large: about " + std::to_string(approx) + " parameters");
  Model* m = new Model(s, threads);
  napi_value obj;
  check(a.env, napi_create_object(a.env, &obj));
  if (napi_wrap(a.env, obj, m, finalize_model, nullptr, nullptr) != napi_ok) {
    delete m;
    plain_error("rwa_native: cannot wrap the model");
  }
  check(a.env, napi_type_tag_object(a.env, obj, &kModelTag));
  return obj;
}

napi_value js_param_count(Args& a) { return make_number(a.env, static_cast<double>(unwrap_model(a, 0)->P)); }

napi_value js_set_params(Args& a) {
  Model* m = unwrap_model(a, 0);
  float* p = a.f32(1, "params", static_cast<double>(m->P));
  std::memcpy(m->params.data(), p, m->P * sizeof(float));
  return undefined(a.env);
}

napi_value js_get_params(Args& a) {
  Model* m = unwrap_model(a, 0);
  return make_f32_copy(a.env, m->params.data(), m->P);
}

napi_value js_forward(Args& a) {
  Model* m = unwrap_model(a, 0);
  long T = a.integer(3, "steps", 1, kMaxDim);
  long B = a.integer(4, "batchSize", 1, kMaxDim);
  const rwa::Spec& s = m->spec;
  if (s.K > T) range_error("steps (" + std::to_string(T) + ") must be >= the model's outputSteps (" +
                           std::to_string(s.K) + ")");
  double work = static_cast<double>(T) * B * (s.N * 8.0 * s.L + s.F + (s.attention ? s.K + s.N : 0));
  if (work > kMaxElements) range_error("steps x batchSize is too large for this model");
  const float* x = a.f32(1, "x", static_cast<double>(T) * B * s.F);
  const float* mask = a.nullish(2) ? nullptr : a.f32(2, "mask", static_cast<double>(T) * B);
  bool training = a.boolean(5, "training");
  std::vector<std::pair<long, long>> capture;
  if (!a.nullish(6)) {
    size_t n;
    const int32_t* idx = static_cast<const int32_t*>(a.typed(6, "captureHidden", napi_int32_array, "Int32Array", &n));
    if (static_cast<double>(n) * T * s.N > kMaxElements) range_error("captureHidden asks for too much memory");
    for (size_t i = 0; i < n; i++) {
      if (idx[i] < 0 || idx[i] >= B)
        range_error("captureHidden[" + std::to_string(i) + "] must be a batch index in 0.." + std::to_string(B - 1) +
                    ", got " + std::to_string(idx[i]));
      capture.emplace_back(idx[i], static_cast<long>(i));
    }
  }
  float* out;
  napi_value outputs = make_f32(a.env, static_cast<size_t>(s.K * B * s.O), &out);
  napi_value hiddenV;
  float* hidden = nullptr;
  if (capture.empty()) {
    check(a.env, napi_get_null(a.env, &hiddenV));
  } else {
    hiddenV = make_f32(a.env, capture.size() * T * s.N, &hidden);
  }
  m->forward(x, mask, T, B, training, out, capture, hidden);
  napi_value arr;
  check(a.env, napi_create_array_with_length(a.env, 2, &arr));
  check(a.env, napi_set_element(a.env, arr, 0, outputs));
  check(a.env, napi_set_element(a.env, arr, 1, hiddenV));
  return arr;
}

napi_value js_backward(Args& a) {
  Model* m = unwrap_model(a, 0);
  if (!m->have_training_forward()) plain_error("backward needs a preceding forward with training: true");
  const rwa::Spec& s = m->spec;
  const float* dY = a.f32(1, "dOutputs", static_cast<double>(s.K) * m->last_B() * s.O);
  m->backward(dY);
  return undefined(a.env);
}

napi_value js_gradients(Args& a) {
  Model* m = unwrap_model(a, 0);
  return make_f32_copy(a.env, m->grads.data(), m->P);
}

napi_value js_adam(Args& a) {
  Model* m = unwrap_model(a, 0);
  double lr = a.finite(1, "lr"), b1 = a.finite(2, "beta1"), b2 = a.finite(3, "beta2"), eps = a.finite(4, "eps");
  if (lr < 0) range_error("lr must be >= 0");
  if (b1 < 0 || b1 >= 1) range_error("beta1 must be in [0, 1)");
  if (b2 < 0 || b2 >= 1) range_error("beta2 must be in [0, 1)");
  if (eps <= 0) range_error("eps must be > 0");
  double clip = 0;
  if (!a.nullish(5)) {
    clip = a.finite(5, "clipNorm");
    if (clip <= 0) range_error("clipNorm must be > 0");
  }
  return make_number(a.env, m->adam(lr, b1, b2, eps, clip));
}

napi_value js_get_optimizer(Args& a) {
  Model* m = unwrap_model(a, 0);
  napi_value arr;
  check(a.env, napi_create_array_with_length(a.env, 3, &arr));
  check(a.env, napi_set_element(a.env, arr, 0, make_number(a.env, m->adam_step)));
  check(a.env, napi_set_element(a.env, arr, 1, make_f32_copy(a.env, m->adam_m.data(), m->P)));
  check(a.env, napi_set_element(a.env, arr, 2, make_f32_copy(a.env, m->adam_v.data(), m->P)));
  return arr;
}

napi_value js_set_optimizer(Args& a) {
  Model* m = unwrap_model(a, 0);
  long step = a.integer(1, "step", 0, 1L << 52);
  const float* mm = a.f32(2, "m", static_cast<double>(m->P));
  const float* vv = a.f32(3, "v", static_cast<double>(m->P));
  m->adam_step = static_cast<double>(step);
  std::memcpy(m->adam_m.data(), mm, m->P * sizeof(float));
  std::memcpy(m->adam_v.data(), vv, m->P * sizeof(float));
  return undefined(a.env);
}

napi_value js_dispose(Args& a) {
  if (a.type(0) != napi_object) type_error("model must be a handle returned by createModel");
  bool tagged = false;
  check(a.env, napi_check_object_type_tag(a.env, a.at(0), &kModelTag, &tagged));
  if (!tagged) type_error("model must be a handle returned by createModel");
  void* p = nullptr;
  if (napi_remove_wrap(a.env, a.at(0), &p) == napi_ok && p) delete static_cast<Model*>(p);
  return undefined(a.env);
}

napi_value init(napi_env env, napi_value exports) {
  struct Fn {
    const char* name;
    napi_callback cb;
  } fns[] = {
      {"info", guarded<js_info>},
      {"setIsa", guarded<js_set_isa>},
      {"mathApply", guarded<js_math_apply>},
      {"sgemm", guarded<js_sgemm>},
      {"createModel", guarded<js_create_model>},
      {"paramCount", guarded<js_param_count>},
      {"setParams", guarded<js_set_params>},
      {"getParams", guarded<js_get_params>},
      {"forward", guarded<js_forward>},
      {"backward", guarded<js_backward>},
      {"gradients", guarded<js_gradients>},
      {"adam", guarded<js_adam>},
      {"getOptimizer", guarded<js_get_optimizer>},
      {"setOptimizer", guarded<js_set_optimizer>},
      {"dispose", guarded<js_dispose>},
  };
  for (const Fn& f : fns) {
    napi_value v;
    if (napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, nullptr, &v) != napi_ok) return nullptr;
    if (napi_set_named_property(env, exports, f.name, v) != napi_ok) return nullptr;
  }
  return exports;
}

}  // namespace

NAPI_MODULE_INIT() { return init(env, exports); }
