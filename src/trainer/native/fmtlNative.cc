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
#include <algorithm>
#include <vector>

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

// ---- BiGRU, one direction (the same arithmetic as gruMath.ts; layouts documented there) ----

constexpr int kWS = 5;  // per (direction, time, example): r, z, n, h W_hn + b_hn, previous state

// tanh to float32 accuracy: Eigen's rational approximation, as tanhF32 in gruMath.ts, in float
// arithmetic so that the loops vectorise.
inline float tanhApprox(float x) {
  const float c = 7.99881172180175781f;
  x = x > c ? c : (x < -c ? -c : x);
  const float x2 = x * x;
  float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
  p = x2 * p + -8.60467152213735e-11f;
  p = x2 * p + 5.12229709037114e-08f;
  p = x2 * p + 1.48572235717979e-05f;
  p = x2 * p + 6.37261928875436e-04f;
  p = x2 * p + 4.89352455891786e-03f;
  float q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
  q = x2 * q + 2.26843463243900e-03f;
  q = x2 * q + 4.89352518554385e-03f;
  return (x * p) / q;
}
inline float sigmoidApprox(float x) { return 0.5f + 0.5f * tanhApprox(0.5f * x); }

// Scratch reused from call to call (one set per thread).
thread_local std::vector<float> scratch[4];
float* zeroed(int slot, size_t n) {
  auto& v = scratch[slot];
  if (v.size() < n) v.resize(n);
  std::fill(v.begin(), v.begin() + n, 0.0f);
  return v.data();
}

bool sized(Args& a, size_t len, int64_t need) {
  if (static_cast<int64_t>(len) < need) { a.fail("array too short for the given sizes"); return false; }
  return true;
}

// gruForward(B, T, H, dir, xp, w, bh, m, y, ws): direction dir of the forward pass.
napi_value GruForward(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t B = a.integer(0), T = a.integer(1), H = a.integer(2), dir = a.integer(3);
  size_t l[6] = {};
  const float* xp = a.f32(4, &l[0]);
  const float* w = a.f32(5, &l[1]);
  const float* bh = a.f32(6, &l[2]);
  const float* m = a.f32(7, &l[3]);
  float* y = a.f32(8, &l[4]);
  float* ws = a.f32(9, &l[5]);
  if (!a.ok) return nullptr;
  const int64_t G = 3 * H, G2 = 6 * H;
  if (B < 0 || T < 0 || H < 1 || (dir != 0 && dir != 1)) { a.fail("bad sizes"); return nullptr; }
  if (!sized(a, l[0], B * T * G2) || !sized(a, l[1], 2 * H * G) || !sized(a, l[2], 2 * G) || !sized(a, l[3], B * T) ||
      !sized(a, l[4], B * T * 2 * H) || !sized(a, l[5], 2 * T * B * kWS * H)) return nullptr;
  if (B == 0 || T == 0) return nullptr;
  const float* wd = w + dir * H * G;
  const float* bd = bh + dir * G;
  float* h = zeroed(0, B * H);
  float* gh = zeroed(1, B * G);
  for (int64_t s = 0; s < T; s++) {
    const int64_t t = dir == 0 ? s : T - 1 - s;
    cblas_sgemm(kRowMajor, kNoTrans, kNoTrans, B, G, H, 1.0f, h, H, wd, G, 0.0f, gh, G);
    for (int64_t b = 0; b < B; b++) {
      if (m[b * T + t] == 0) continue;  // state kept, output and workspace stay zero
      const float* xr = xp + (b * T + t) * G2 + dir * G;
      const float* g = gh + b * G;
      float* hb = h + b * H;
      float* wsb = ws + ((dir * T + t) * B + b) * kWS * H;
      float* yb = y + (b * T + t) * 2 * H + dir * H;
      for (int64_t j = 0; j < H; j++) {
        const float hp = hb[j];
        const float r = sigmoidApprox(xr[j] + g[j] + bd[j]);
        const float z = sigmoidApprox(xr[H + j] + g[H + j] + bd[H + j]);
        const float ghn = g[2 * H + j] + bd[2 * H + j];
        const float n = tanhApprox(xr[2 * H + j] + r * ghn);
        const float hn = n + z * (hp - n);
        wsb[j] = r; wsb[H + j] = z; wsb[2 * H + j] = n; wsb[3 * H + j] = ghn; wsb[4 * H + j] = hp;
        hb[j] = hn;
        yb[j] = hn;
      }
    }
  }
  return nullptr;
}

// gruBackward(B, T, H, dir, dy, w, ws, m, dxp, dW, dbh): direction dir of the gradient.
napi_value GruBackward(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t B = a.integer(0), T = a.integer(1), H = a.integer(2), dir = a.integer(3);
  size_t l[7] = {};
  const float* dy = a.f32(4, &l[0]);
  const float* w = a.f32(5, &l[1]);
  const float* ws = a.f32(6, &l[2]);
  const float* m = a.f32(7, &l[3]);
  float* dxp = a.f32(8, &l[4]);
  float* dW = a.f32(9, &l[5]);
  float* dbh = a.f32(10, &l[6]);
  if (!a.ok) return nullptr;
  const int64_t G = 3 * H, G2 = 6 * H, BT = B * T;
  if (B < 0 || T < 0 || H < 1 || (dir != 0 && dir != 1)) { a.fail("bad sizes"); return nullptr; }
  if (!sized(a, l[0], BT * 2 * H) || !sized(a, l[1], 2 * H * G) || !sized(a, l[2], 2 * T * B * kWS * H) || !sized(a, l[3], BT) ||
      !sized(a, l[4], BT * G2) || !sized(a, l[5], 2 * H * G) || !sized(a, l[6], 2 * G)) return nullptr;
  float* dWd = dW + dir * H * G;
  float* dbd = dbh + dir * G;
  std::fill(dbd, dbd + G, 0.0f);
  if (BT == 0) { std::fill(dWd, dWd + H * G, 0.0f); return nullptr; }
  const float* wd = w + dir * H * G;
  float* dh = zeroed(0, B * H);
  float* dhp = zeroed(1, B * H);
  float* dgh = zeroed(2, T * B * G);  // rows (t, b): the gradient of h W_h + b_h
  float* hpT = zeroed(3, H * T * B);  // previous states, transposed, for dW
  for (int64_t s = T - 1; s >= 0; s--) {
    const int64_t t = dir == 0 ? s : T - 1 - s;
    for (int64_t b = 0; b < B; b++) {
      if (m[b * T + t] == 0) continue;  // state passed through: dh unchanged, no gate gradients
      const int64_t row = t * B + b;
      float* dxr = dxp + (b * T + t) * G2 + dir * G;
      float* dg = dgh + row * G;
      float* dhb = dh + b * H;
      const float* wsb = ws + ((dir * T + t) * B + b) * kWS * H;
      const float* g = dy + (b * T + t) * 2 * H + dir * H;
      for (int64_t j = 0; j < H; j++) {
        const float dht = dhb[j] + g[j];
        const float r = wsb[j], z = wsb[H + j], n = wsb[2 * H + j], ghn = wsb[3 * H + j], hp = wsb[4 * H + j];
        const float dan = dht * (1 - z) * (1 - n * n);
        const float dar = dan * ghn * r * (1 - r);
        const float daz = dht * (hp - n) * z * (1 - z);
        dxr[j] = dar; dxr[H + j] = daz; dxr[2 * H + j] = dan;
        dg[j] = dar; dg[H + j] = daz; dg[2 * H + j] = dan * r;
        dhb[j] = dht * z;
        hpT[j * BT + row] = hp;
      }
    }
    // dh += dgh[t] W^T
    cblas_sgemm(kRowMajor, kNoTrans, kTrans, B, H, G, 1.0f, dgh + t * B * G, G, wd, G, 0.0f, dhp, H);
    for (int64_t i = 0; i < B * H; i++) dh[i] += dhp[i];
  }
  cblas_sgemm(kRowMajor, kNoTrans, kNoTrans, H, G, BT, 1.0f, hpT, BT, dgh, G, 0.0f, dWd, G);
  for (int64_t r = 0; r < BT; r++) {
    const float* dg = dgh + r * G;
    for (int64_t j = 0; j < G; j++) dbd[j] += dg[j];
  }
  return nullptr;
}

// Bumped whenever a function's arguments or meaning change: the loader refuses other versions
// (an addon built from an older checkout, or before an extension update) instead of calling it wrongly.
constexpr int kVersion = 1;

napi_value Init(napi_env env, napi_value exports) {
  openblas_set_num_threads(1);
  napi_value version;
  napi_create_int32(env, kVersion, &version);
  napi_set_named_property(env, exports, "version", version);
  napi_property_descriptor props[] = {
      {"sgemmBatch", nullptr, SgemmBatch, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adam", nullptr, Adam, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gruForward", nullptr, GruForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gruBackward", nullptr, GruBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
