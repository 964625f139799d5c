// LSTM cell (params.ts): [i|f|g|o] = [x, h_{t-1}] W + b; i, f, o sigmoid, g tanh;
//   c_t = f c_{t-1} + i g;  h_t = o tanh(c_t);  h_{-1} = c_{-1} = 0.
// Stored per step: the activated gates (st[0], 4N wide), tanh(c_t) (st[1]), c and h.
// Backward: dc = dc_carry + dh o (1 - tanh(c)^2); pre-activation gradients
//   [dc g i(1-i) | dc c_{t-1} f(1-f) | dc i (1-g^2) | dh tanh(c) o(1-o)];  dc_carry = dc f.
#include <algorithm>

#include "cell_util.h"
#include "vmath.h"

namespace rwa {

namespace {

void add_bias(long n, float* __restrict g, const float* __restrict bias) {
  for (long j = 0; j < n; j++) g[j] += bias[j];
}

// c = f c_{t-1} + i g (gates [i|f|g|o] activated)
void lstm_cell(long N, const float* __restrict g, const float* __restrict cp, float* __restrict c) {
  for (long j = 0; j < N; j++) c[j] = g[N + j] * cp[j] + g[j] * g[2 * N + j];
}

void lstm_out(long N, const float* __restrict o, const float* __restrict tc, float* __restrict h) {
  for (long j = 0; j < N; j++) h[j] = o[j] * tc[j];
}

void lstm_bwd_row(long N, const float* __restrict dh, const float* __restrict g, const float* __restrict tc,
                  const float* __restrict cp, float* __restrict dcc, float* __restrict p) {
  for (long j = 0; j < N; j++) {
    float i = g[j], f = g[N + j], gg = g[2 * N + j], o = g[3 * N + j];
    float dc = dcc[j] + dh[j] * o * (1.0f - tc[j] * tc[j]);
    p[j] = dc * gg * i * (1.0f - i);
    p[N + j] = dc * cp[j] * f * (1.0f - f);
    p[2 * N + j] = dc * i * (1.0f - gg * gg);
    p[3 * N + j] = dh[j] * tc[j] * o * (1.0f - o);
    dcc[j] = dc * f;
  }
}

}  // namespace

void lstm_pack_forward(Model& M, int l) {
  Layer& Ly = M.layers[l];
  const long N = M.spec.N;
  Ly.fw.reset(Ly.W);
  gemm::pack_b(Ly.fw, M.params.data() + Ly.off[0], 4 * N, false, 4 * N, 0);
}

void lstm_pack_backward(Model& M, int l) {
  Layer& Ly = M.layers[l];
  const long N = M.spec.N, I = Ly.I;
  const float* Wp = M.params.data() + Ly.off[0];
  Ly.bw.reset(4 * N);
  if (l == 0)
    gemm::pack_b(Ly.bw, Wp + I * 4 * N, 4 * N, true, N, 0);
  else
    gemm::pack_b(Ly.bw, Wp, 4 * N, true, Ly.W, 0);
}

void lstm_forward_step(Model& M, int l, long t, long b0, long b1, float*) {
  Layer& Ly = M.layers[l];
  const long N = M.spec.N, I = Ly.I, W = Ly.W, B = M.B_, G = 4 * N;
  const float* x = layer_input(M, l, t);
  const float* hprev = Ly.hs.data() + M.slot(t) * B * N;
  const float* cprev = Ly.cs.data() + M.slot(t) * B * N;
  float* hout = Ly.hs.data() + M.slot(t + 1) * B * N;
  float* cout = Ly.cs.data() + M.slot(t + 1) * B * N;
  float* gates = Ly.st[0].data() + M.slot(t) * B * G;
  float* tcs = Ly.st[1].data() + M.slot(t) * B * N;
  concat_rows(Ly.xh.data(), W, x, I, hprev, N, b0, b1);
  gemm::gemm_rows(b1 - b0, Ly.xh.data() + b0 * W, W, Ly.fw, gates + b0 * G, G, false);
  const float* bias = M.params.data() + Ly.off[1];
  for (long b = b0; b < b1; b++) {
    if (!M.live(t, b)) {
      std::copy(hprev + b * N, hprev + (b + 1) * N, hout + b * N);
      std::copy(cprev + b * N, cprev + (b + 1) * N, cout + b * N);
      continue;
    }
    float* g = gates + b * G;
    add_bias(G, g, bias);
    vm::sigmoid(g, g, 2 * N);
    vm::tanh(g + 2 * N, g + 2 * N, N);
    vm::sigmoid(g + 3 * N, g + 3 * N, N);
    const float* cp = cprev + b * N;
    float* c = cout + b * N;
    lstm_cell(N, g, cp, c);
    float* tc = tcs + b * N;
    vm::tanh(tc, c, N);
    lstm_out(N, g + 3 * N, tc, hout + b * N);
  }
}

void lstm_backward_step(Model& M, int l, long t, long t0, long b0, long b1, const float* ext, float*) {
  Layer& Ly = M.layers[l];
  const long N = M.spec.N, G = 4 * N, B = M.B_, Wb = Ly.Wb;
  float* dp = Ly.dp.data() + (t - t0) * B * G;
  for (long b = b0; b < b1; b++) {
    float* dh = Ly.dhc.data() + b * N;
    add_ext(dh, ext ? ext + b * N : nullptr, N);
    float* prow = dp + b * G;
    if (!M.live(t, b)) {
      std::fill(prow, prow + G, 0.0f);
      continue;
    }
    const float* g = Ly.st[0].data() + (t * B + b) * G;
    const float* tc = Ly.st[1].data() + (t * B + b) * N;
    const float* cp = Ly.cs.data() + (t * B + b) * N;
    lstm_bwd_row(N, dh, g, tc, cp, Ly.c1.data() + b * N, prow);
  }
  gemm::gemm_rows(b1 - b0, dp + b0 * G, G, Ly.bw, Ly.dxh.data() + b0 * Wb, Wb, false);
  scatter_dxh(M, Ly, l, t, b0, b1);
}

void lstm_grad_jobs(Model& M, int l, long t0, long, std::vector<GradJob>& jobs, std::vector<BiasJob>& bias) {
  Layer& Ly = M.layers[l];
  const long N = M.spec.N, I = Ly.I, G = 4 * N, B = M.B_;
  const float* X = layer_input(M, l, t0);
  const float* Hp = Ly.hs.data() + t0 * B * N;
  float* g = M.grads.data();
  jobs.push_back({X, I, I, Ly.dp.data(), G, G, g + Ly.off[0], G});
  jobs.push_back({Hp, N, N, Ly.dp.data(), G, G, g + Ly.off[0] + I * G, G});
  bias.push_back({Ly.dp.data(), G, G, g + Ly.off[1]});
}

}  // namespace rwa
