// RDA cell (Recurrent Discounted Attention, Maginnis & Richemond; src/trainer/models/rda.ts): RWA (rwa.cc)
// with a learned per-unit discount gamma = sigmoid(pg), folded into the running max so d_t >= 1 always:
//   u = x Wu + bu;  g = [x, h_{t-1}] Wg + bg;  a = [x, h_{t-1}] Wa;  pg = [x, h_{t-1}] Wgamma + bgamma
//   lg = log gamma = min(pg, 0) - log1p(e^{-|pg|});  c = m_{t-1} + lg;  m_t = max(c, a)
//   sp = e^{c - m_t};  w = e^{a - m_t};  n_t = n_{t-1} sp + u tanh(g) w;  d_t = d_{t-1} sp + w
//   h_t = tanh(n_t / d_t);  h_{-1} = tanh(s)
// Backward (m constant, as in rwa.cc; gN, gD are the adjoints of the scaled n_t, d_t):
//   q = dh (1 - h^2);  gN = cN + q / d;  gD = cD - q r / d
//   dz = gN w;  da = (gN z + gD) w;  dpg = (gN n_{t-1} sp + gD d_{t-1} sp)(1 - gamma);  cN = gN sp, cD = gD sp
// Layout: pre-activation columns [u | g | a | pg] (G = 4N); [Wg | Wa | Wgamma] packed as one (W, 3N) matrix.
// Parameters: off[0..4] = Wu, bu, Wg, bg, Wa as for RWA, off[5] = s; Wgamma and bgamma sit between Wa and s.
// Stored per step: u, tanh(g), [w | sp], [n_{t-1} sp | d_{t-1} sp], d, [r | 1 - gamma] (st[0..5]) and h.
#include <algorithm>
#include <cmath>

#include "cell_util.h"
#include "vmath.h"

namespace rwa {

namespace {

long wgamma_off(const Model& M, const Layer& Ly) { return Ly.off[4] + Ly.W * M.spec.N; }
long bgamma_off(const Model& M, const Layer& Ly) { return wgamma_off(M, Ly) + Ly.W * M.spec.N; }

// log(1 + y) for y in [0, 1]: 2 atanh(s), s = y / (2 + y) in [0, 1/3]; the series to s^13 is within
// 2e-8 relative. Branch-free so the loop vectorises (vmath has no log).
inline float log1p_unit(float y) {
  float s = y / (2.0f + y), s2 = s * s;
  float p = 1.0f / 13.0f;
  p = p * s2 + 1.0f / 11.0f;
  p = p * s2 + 1.0f / 9.0f;
  p = p * s2 + 1.0f / 7.0f;
  p = p * s2 + 1.0f / 5.0f;
  p = p * s2 + 1.0f / 3.0f;
  p = p * s2 + 1.0f;
  return 2.0f * s * p;
}

// u = pu + bu; tg = pg + bg (tanh after); pgam = pp + bgamma; e = -|pgam| (exp after)
void rda_fwd_pre(long N, const float* __restrict pu, const float* __restrict pg, const float* __restrict pp,
                 const float* __restrict bu, const float* __restrict bg, const float* __restrict bgam,
                 float* __restrict u, float* __restrict tg, float* __restrict pgam, float* __restrict e) {
  for (long j = 0; j < N; j++) {
    u[j] = pu[j] + bu[j];
    tg[j] = pg[j] + bg[j];
    pgam[j] = pp[j] + bgam[j];
    e[j] = -std::fabs(pgam[j]);
  }
}

// From e = e^{-|pgam|}: 1 - gamma, and the running max; x = [c - m_new | a - m_new] (exp after)
void rda_fwd_max(long N, const float* __restrict pa, const float* __restrict pgam, const float* __restrict e,
                 float* __restrict omg, float* __restrict m, float* __restrict x) {
  for (long j = 0; j < N; j++) {
    float inv = 1.0f / (1.0f + e[j]);
    omg[j] = pgam[j] >= 0.0f ? e[j] * inv : inv;
    float lg = std::min(pgam[j], 0.0f) - log1p_unit(e[j]);
    float c = m[j] + lg;
    float mn = c > pa[j] ? c : pa[j];
    x[j] = c - mn;
    x[N + j] = pa[j] - mn;
    m[j] = mn;
  }
}

void rda_fwd_post(long N, const float* __restrict esp, const float* __restrict ew, const float* __restrict u,
                  const float* __restrict tg, float* __restrict w, float* __restrict sp, float* __restrict np,
                  float* __restrict dp, float* __restrict n, float* __restrict d, float* __restrict dd,
                  float* __restrict r) {
  for (long j = 0; j < N; j++) {
    w[j] = ew[j];
    sp[j] = esp[j];
    np[j] = n[j] * esp[j];
    dp[j] = d[j] * esp[j];
    n[j] = np[j] + u[j] * tg[j] * ew[j];
    d[j] = dp[j] + ew[j];
    dd[j] = d[j];
    r[j] = n[j] / d[j];
  }
}

void rda_bwd_row(long N, const float* __restrict dh, const float* __restrict h, const float* __restrict u,
                 const float* __restrict tg, const float* __restrict w, const float* __restrict sp,
                 const float* __restrict np, const float* __restrict dp, const float* __restrict dd,
                 const float* __restrict r, const float* __restrict omg, float* __restrict cN, float* __restrict cD,
                 float* __restrict du, float* __restrict dg, float* __restrict da, float* __restrict dpg) {
  for (long j = 0; j < N; j++) {
    float q = dh[j] * (1.0f - h[j] * h[j]);
    float inv = 1.0f / dd[j];
    float gN = cN[j] + q * inv;
    float gD = cD[j] - q * r[j] * inv;
    float z = u[j] * tg[j];
    float dz = gN * w[j];
    du[j] = dz * tg[j];
    dg[j] = dz * u[j] * (1.0f - tg[j] * tg[j]);
    da[j] = (gN * z + gD) * w[j];
    dpg[j] = (gN * np[j] + gD * dp[j]) * omg[j];
    cN[j] = gN * sp[j];
    cD[j] = gD * sp[j];
  }
}

}  // namespace

void rda_pack_forward(Model& M, int l) {
  Layer& Ly = M.layers[l];
  const long N = M.spec.N, I = Ly.I, W = Ly.W;
  const float* Wu = M.params.data() + Ly.off[0];
  const float* Wg = M.params.data() + Ly.off[2];
  const float* Wa = M.params.data() + Ly.off[4];
  const float* Wp = M.params.data() + wgamma_off(M, Ly);
  Ly.wcat.resize(W * 3 * N);
  for (long i = 0; i < W; i++) {
    float* row = Ly.wcat.data() + i * 3 * N;
    std::copy(Wg + i * N, Wg + (i + 1) * N, row);
    std::copy(Wa + i * N, Wa + (i + 1) * N, row + N);
    std::copy(Wp + i * N, Wp + (i + 1) * N, row + 2 * N);
  }
  Ly.fw.reset(W);
  gemm::pack_b(Ly.fw, Ly.wcat.data(), 3 * N, false, 3 * N, N);
  Ly.fw2.reset(I);
  gemm::pack_b(Ly.fw2, Wu, N, false, N, 0);
}

void rda_pack_backward(Model& M, int l) {
  rda_pack_forward(M, l);  // refreshes wcat
  Layer& Ly = M.layers[l];
  const long N = M.spec.N, I = Ly.I;
  Ly.bw.reset(3 * N);
  if (l == 0)
    gemm::pack_b(Ly.bw, Ly.wcat.data() + I * 3 * N, 3 * N, true, N, 0);
  else
    gemm::pack_b(Ly.bw, Ly.wcat.data(), 3 * N, true, Ly.W, 0);
  Ly.gcat.assign(Ly.W * 3 * N, 0.0f);  // backward starts: clear the [dWg | dWa | dWgamma] accumulator
  if (l > 0) {
    Ly.bw2.reset(N);
    gemm::pack_b(Ly.bw2, M.params.data() + Ly.off[0], N, true, I, 0);
  }
}

void rda_forward_step(Model& M, int l, long t, long b0, long b1, float* tmp) {
  Layer& Ly = M.layers[l];
  const long N = M.spec.N, I = Ly.I, W = Ly.W, G = Ly.G, B = M.B_;
  const float* x = layer_input(M, l, t);
  const float* hprev = Ly.hs.data() + M.slot(t) * B * N;
  float* hout = Ly.hs.data() + M.slot(t + 1) * B * N;
  concat_rows(Ly.xh.data(), W, x, I, hprev, N, b0, b1);
  gemm::gemm_rows(b1 - b0, Ly.xh.data() + b0 * W, W, Ly.fw, Ly.pre.data() + b0 * G, G, false);
  gemm::gemm_rows(b1 - b0, Ly.xh.data() + b0 * W, W, Ly.fw2, Ly.pre.data() + b0 * G, G, false);
  const float* bu = M.params.data() + Ly.off[1];
  const float* bg = M.params.data() + Ly.off[3];
  const float* bgam = M.params.data() + bgamma_off(M, Ly);
  const long s = M.slot(t);
  float* pgam = tmp;       // (N)
  float* e = tmp + N;      // (N)
  float* xs = tmp + 2 * N; // (2N)
  for (long b = b0; b < b1; b++) {
    if (!M.live(t, b)) {
      std::copy(hprev + b * N, hprev + (b + 1) * N, hout + b * N);
      continue;
    }
    const long row = (s * B + b) * N;
    float* u = Ly.st[0].data() + row;
    float* tg = Ly.st[1].data() + row;
    float* w = Ly.st[2].data() + 2 * row;  // [w | sp]
    float* np = Ly.st[3].data() + 2 * row; // [n_{t-1} sp | d_{t-1} sp]
    float* dd = Ly.st[4].data() + row;
    float* r = Ly.st[5].data() + 2 * row;  // [r | 1 - gamma]
    float* n = Ly.n.data() + b * N;
    float* d = Ly.d.data() + b * N;
    float* m = Ly.m.data() + b * N;
    const float* p = Ly.pre.data() + b * G;
    rda_fwd_pre(N, p, p + N, p + 3 * N, bu, bg, bgam, u, tg, pgam, e);
    vm::tanh(tg, tg, N);
    vm::exp(e, e, N);
    rda_fwd_max(N, p + 2 * N, pgam, e, r + N, m, xs);
    vm::exp(xs, xs, 2 * N);
    rda_fwd_post(N, xs, xs + N, u, tg, w, w + N, np, np + N, n, d, dd, r);
    vm::tanh(hout + b * N, r, N);
  }
}

void rda_backward_step(Model& M, int l, long t, long t0, long b0, long b1, const float* ext, float*) {
  Layer& Ly = M.layers[l];
  const long N = M.spec.N, G = Ly.G, B = M.B_, Wb = Ly.Wb;
  float* dp = Ly.dp.data() + (t - t0) * B * G;
  for (long b = b0; b < b1; b++) {
    float* dh = Ly.dhc.data() + b * N;
    add_ext(dh, ext ? ext + b * N : nullptr, N);
    float* prow = dp + b * G;
    if (!M.live(t, b)) {
      std::fill(prow, prow + G, 0.0f);
      continue;
    }
    const long row = (t * B + b) * N;
    const float* u = Ly.st[0].data() + row;
    const float* tg = Ly.st[1].data() + row;
    const float* w = Ly.st[2].data() + 2 * row;
    const float* np = Ly.st[3].data() + 2 * row;
    const float* dd = Ly.st[4].data() + row;
    const float* r = Ly.st[5].data() + 2 * row;
    const float* h = Ly.hs.data() + ((t + 1) * B + b) * N;
    rda_bwd_row(N, dh, h, u, tg, w, w + N, np, np + N, dd, r, r + N, Ly.c1.data() + b * N, Ly.c2.data() + b * N,
                prow, prow + N, prow + 2 * N, prow + 3 * N);
  }
  gemm::gemm_rows(b1 - b0, dp + b0 * G + N, G, Ly.bw, Ly.dxh.data() + b0 * Wb, Wb, false);
  if (l > 0) gemm::gemm_rows(b1 - b0, dp + b0 * G, G, Ly.bw2, Ly.dxh.data() + b0 * Wb, Wb, true);
  scatter_dxh(M, Ly, l, t, b0, b1);
}

void rda_grad_jobs(Model& M, int l, long t0, long, std::vector<GradJob>& jobs, std::vector<BiasJob>& bias) {
  Layer& Ly = M.layers[l];
  const long N = M.spec.N, I = Ly.I, G = Ly.G, B = M.B_;
  const float* X = layer_input(M, l, t0);
  const float* Hp = Ly.hs.data() + t0 * B * N;
  const float* dU = Ly.dp.data();
  const float* dG = dU + N;
  float* g = M.grads.data();
  jobs.push_back({X, I, I, dU, G, N, g + Ly.off[0], N});
  // [dWg | dWa | dWgamma] accumulate as one (W, 3N) matrix, scattered by rda_finish_backward
  jobs.push_back({X, I, I, dG, G, 3 * N, Ly.gcat.data(), 3 * N});
  jobs.push_back({Hp, N, N, dG, G, 3 * N, Ly.gcat.data() + I * 3 * N, 3 * N});
  bias.push_back({dU, G, N, g + Ly.off[1]});
  bias.push_back({dG, G, N, g + Ly.off[3]});
  bias.push_back({dU + 3 * N, G, N, g + bgamma_off(M, Ly)});
}

// Scatters [dWg | dWa | dWgamma]; dL/ds = (1 - tanh(s)^2) sum_b dL/dh_{-1}[b], summed in batch order.
void rda_finish_backward(Model& M, int l) {
  Layer& Ly = M.layers[l];
  const long N = M.spec.N, B = M.B_;
  float* dWg = M.grads.data() + Ly.off[2];
  float* dWa = M.grads.data() + Ly.off[4];
  float* dWp = M.grads.data() + wgamma_off(M, Ly);
  for (long i = 0; i < Ly.W; i++) {
    const float* row = Ly.gcat.data() + i * 3 * N;
    std::copy(row, row + N, dWg + i * N);
    std::copy(row + N, row + 2 * N, dWa + i * N);
    std::copy(row + 2 * N, row + 3 * N, dWp + i * N);
  }
  const float* s = M.params.data() + Ly.off[5];
  float* ds = M.grads.data() + Ly.off[5];
  for (long j = 0; j < N; j++) {
    float acc = 0.0f;
    for (long b = 0; b < B; b++) acc += Ly.dhc[b * N + j];
    float th = std::tanh(s[j]);
    ds[j] = acc * (1.0f - th * th);
  }
}

}  // namespace rwa
