// Optional native kernels for the wasm backend (see nativeKernels.ts): matrix products through
// the system's OpenBLAS (the library PyTorch uses on Debian), and the loops that dominate a
// training step — Adam's update and the BiGRU gate arithmetic — compiled for this CPU.
//
// Every function works on Float32Arrays handed in from JavaScript (often views on the wasm
// backend's heap): no copies, no allocation, single-threaded (OpenBLAS is set to one thread).
// Built by build.mjs with g++ and Node's own headers (node_api.h); nothing is downloaded.
#include <node_api.h>
#include <cmath>
#include <cstddef>
#include <cstdint>

extern "C" {
// OpenBLAS's CBLAS entry points, declared here so that only the runtime library is needed.
void cblas_sgemm(int order, int transA, int transB, int M, int N, int K, float alpha, const float* A, int lda,
                 const float* B, int ldb, float beta, float* C, int ldc);
void openblas_set_num_threads(int n);
}

namespace {

constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;

struct Args {
  napi_env env;
  napi_value argv[16];
  size_t argc = 16;
  bool ok = true;

  Args(napi_env e, napi_callback_info info) : env(e) { napi_get_cb_info(e, info, &argc, argv, nullptr, nullptr); }

  void fail(const char* msg) {
    if (ok) napi_throw_type_error(env, nullptr, msg);
    ok = false;
  }

  float* f32(size_t i, size_t* length = nullptr) {
    if (!ok) return nullptr;
    napi_typedarray_type type;
    size_t len = 0;
    void* data = nullptr;
    bool is = false;
    if (i >= argc || napi_is_typedarray(env, argv[i], &is) != napi_ok || !is ||
        napi_get_typedarray_info(env, argv[i], &type, &len, &data, nullptr, nullptr) != napi_ok ||
        type != napi_float32_array) {
      fail("expected a Float32Array");
      return nullptr;
    }
    if (length) *length = len;
    return static_cast<float*>(data);
  }

  double num(size_t i) {
    double v = 0;
    if (ok && (i >= argc || napi_get_value_double(env, argv[i], &v) != napi_ok)) fail("expected a number");
    return v;
  }

  int64_t integer(size_t i) { return static_cast<int64_t>(num(i)); }
};

// sgemmBatch(transA, transB, batch, M, N, K, A, strideA, B, strideB, C, strideC)
// C[b] = op(A[b]) op(B[b]) for b < batch, row-major, lda/ldb from the transposes; stride 0 broadcasts.
napi_value SgemmBatch(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const bool tA = a.num(0) != 0, tB = a.num(1) != 0;
  const int64_t batch = a.integer(2), M = a.integer(3), N = a.integer(4), K = a.integer(5);
  size_t lenA = 0, lenB = 0, lenC = 0;
  const float* A = a.f32(6, &lenA);
  const int64_t sA = a.integer(7);
  const float* B = a.f32(8, &lenB);
  const int64_t sB = a.integer(9);
  float* C = a.f32(10, &lenC);
  const int64_t sC = a.integer(11);
  if (!a.ok) return nullptr;
  if (batch < 0 || M < 0 || N < 0 || K < 0) { a.fail("negative size"); return nullptr; }
  if (batch == 0 || M == 0 || N == 0) return nullptr;
  const auto need = [&](int64_t stride, int64_t one) { return (batch - 1) * stride + one; };
  if (static_cast<int64_t>(lenA) < need(sA, M * K) || static_cast<int64_t>(lenB) < need(sB, K * N) ||
      static_cast<int64_t>(lenC) < need(sC, M * N)) {
    a.fail("array too short for the given sizes");
    return nullptr;
  }
  const int lda = tA ? M : K, ldb = tB ? K : N;
  for (int64_t b = 0; b < batch; b++) {
    cblas_sgemm(kRowMajor, tA ? kTrans : kNoTrans, tB ? kTrans : kNoTrans, M, N, K, 1.0f, A + b * sA, lda,
                B + b * sB, ldb, 0.0f, C + b * sC, N);
  }
  return nullptr;
}

// adam(n, x, m, v, g, xo, mo, vo, lr, beta1, beta2, epsilon, c1, c2): tfjs's Adam, one pass,
// written as adamLoop in optimizer.ts (outputs may alias inputs).
napi_value Adam(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t n = a.integer(0);
  size_t l[7] = {};
  const float* x = a.f32(1, &l[0]);
  const float* m = a.f32(2, &l[1]);
  const float* v = a.f32(3, &l[2]);
  const float* g = a.f32(4, &l[3]);
  float* xo = a.f32(5, &l[4]);
  float* mo = a.f32(6, &l[5]);
  float* vo = a.f32(7, &l[6]);
  const double lr = a.num(8), beta1 = a.num(9), beta2 = a.num(10), eps = a.num(11), c1 = a.num(12), c2 = a.num(13);
  if (!a.ok) return nullptr;
  for (size_t len : l) if (static_cast<int64_t>(len) < n) { a.fail("array too short"); return nullptr; }
  // The same arithmetic, in the same order, as the JavaScript loop: doubles throughout, float32
  // stores (built with -ffp-contract=off, so no fused multiply-adds): the same bits.
  const double a1 = 1 - beta1, a2 = 1 - beta2, s = lr / c1, q = 1 / std::sqrt(c2);
  for (int64_t i = 0; i < n; i++) {
    const double gi = g[i];
    const double mi = beta1 * m[i] + a1 * gi;
    const double vi = beta2 * v[i] + a2 * gi * gi;
    mo[i] = static_cast<float>(mi);
    vo[i] = static_cast<float>(vi);
    xo[i] = static_cast<float>(x[i] - s * mi / (std::sqrt(vi) * q + eps));
  }
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  openblas_set_num_threads(1);
  napi_property_descriptor props[] = {
      {"sgemmBatch", nullptr, SgemmBatch, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adam", nullptr, Adam, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
