// GRU cell (params.ts): [z|r] = sigmoid([x, h_{t-1}] Wzr + bzr);  h~ = tanh([x, r h_{t-1}] Wh + bh);
//   h_t = (1 - z) h_{t-1} + z h~;  h_{-1} = 0.
// Stored per step: z, r, h~, r h_{t-1} (st[0..3]) and h.
// Backward per step: dP_z = dh (h~ - h_{t-1}) z(1-z);  dP_h = dh z (1 - h~^2);
//   [dx | d(rh)] = dP_h Wh^T;  dP_r = d(rh) h_{t-1} r(1-r);  dh_{t-1} = dh (1-z) + d(rh) r + ([dP_z|dP_r] Wzr^T)_h
#include <algorithm>

#include "cell_util.h"
#include "vmath.h"

namespace rwa {

namespace {

void add_to(long n, float* __restrict dst, const float* __restrict a, const float* __restrict b) {
  for (long j = 0; j < n; j++) dst[j] = a[j] + b[j];
}

// z, r from the activated [z|r]; rh = r h_{t-1}, also written into the second product's input row
void gru_gates(long N, const float* __restrict zr, const float* __restrict hp, float* __restrict z,
               float* __restrict r, float* __restrict rh, float* __restrict x2h) {
  for (long j = 0; j < N; j++) {
    z[j] = zr[j];
    r[j] = zr[N + j];
    rh[j] = zr[N + j] * hp[j];
    x2h[j] = rh[j];
  }
}

void gru_out(long N, const float* __restrict z, const float* __restrict hp, const float* __restrict ht,
             float* __restrict h) {
  for (long j = 0; j < N; j++) h[j] = (1.0f - z[j]) * hp[j] + z[j] * ht[j];
}

void gru_bwd_a(long N, const float* __restrict dh, const float* __restrict z, const float* __restrict ht,
               const float* __restrict hp, float* __restrict pz, float* __restrict ph) {
  for (long j = 0; j < N; j++) {
    pz[j] = dh[j] * (ht[j] - hp[j]) * z[j] * (1.0f - z[j]);
    ph[j] = dh[j] * z[j] * (1.0f - ht[j] * ht[j]);
  }
}

void gru_bwd_b(long N, const float* __restrict drh, const float* __restrict hp, const float* __restrict r,
               const float* __restrict z, float* __restrict pr, float* __restrict dh) {
  for (long j = 0; j < N; j++) {
    pr[j] = drh[j] * hp[j] * r[j] * (1.0f - r[j]);
    dh[j] = dh[j] * (1.0f - z[j]) + drh[j] * r[j];
  }
}

void add_in(long n, float* __restrict dst, const float* __restrict a) {
  for (long j = 0; j < n; j++) dst[j] += a[j];
}

}  // namespace

void gru_pack_forward(Model& M, int l) {
  Layer& Ly = M.layers[l];
  const long N = M.spec.N;
  Ly.fw.reset(Ly.W);
  gemm::pack_b(Ly.fw, M.params.data() + Ly.off[0], 2 * N, false, 2 * N, 0);
  Ly.fw2.reset(Ly.W);
  gemm::pack_b(Ly.fw2, M.params.data() + Ly.off[2], N, false, N, 2 * N);
}

void gru_pack_backward(Model& M, int l) {
  Layer& Ly = M.layers[l];
  const long N = M.spec.N, I = Ly.I;
  const float* Wzr = M.params.data() + Ly.off[0];
  const float* Wh = M.params.data() + Ly.off[2];
  Ly.bw.reset(2 * N);
  Ly.bw2.reset(N);
  if (l == 0) {
    gemm::pack_b(Ly.bw, Wzr + I * 2 * N, 2 * N, true, N, 0);
    gemm::pack_b(Ly.bw2, Wh + I * N, N, true, N, 0);
  } else {
    gemm::pack_b(Ly.bw, Wzr, 2 * N, true, Ly.W, 0);
    gemm::pack_b(Ly.bw2, Wh, N, true, Ly.W, 0);
  }
}

void gru_forward_step(Model& M, int l, long t, long b0, long b1, float* tmp) {
  Layer& Ly = M.layers[l];
  const long N = M.spec.N, I = Ly.I, W = Ly.W, G = Ly.G, B = M.B_;
  const float* x = layer_input(M, l, t);
  const float* hprev = Ly.hs.data() + M.slot(t) * B * N;
  float* hout = Ly.hs.data() + M.slot(t + 1) * B * N;
  const long s = M.slot(t);
  concat_rows(Ly.xh.data(), W, x, I, hprev, N, b0, b1);
  gemm::gemm_rows(b1 - b0, Ly.xh.data() + b0 * W, W, Ly.fw, Ly.pre.data() + b0 * G, G, false);
  const float* bzr = M.params.data() + Ly.off[1];
  const float* bh = M.params.data() + Ly.off[3];
  for (long b = b0; b < b1; b++) {
    const float* p = Ly.pre.data() + b * G;
    add_to(2 * N, tmp, p, bzr);
    vm::sigmoid(tmp, tmp, 2 * N);
    const long row = (s * B + b) * N;
    float* z = Ly.st[0].data() + row;
    float* r = Ly.st[1].data() + row;
    float* rh = Ly.st[3].data() + row;
    const float* hp = hprev + b * N;
    float* x2 = Ly.xh2.data() + b * W;
    std::copy(x + b * I, x + (b + 1) * I, x2);
    gru_gates(N, tmp, hp, z, r, rh, x2 + I);
  }
  gemm::gemm_rows(b1 - b0, Ly.xh2.data() + b0 * W, W, Ly.fw2, Ly.pre.data() + b0 * G, G, false);
  for (long b = b0; b < b1; b++) {
    const float* hp = hprev + b * N;
    float* h = hout + b * N;
    if (!M.live(t, b)) {
      std::copy(hp, hp + N, h);
      continue;
    }
    const long row = (s * B + b) * N;
    const float* z = Ly.st[0].data() + row;
    float* ht = Ly.st[2].data() + row;
    const float* p = Ly.pre.data() + b * G + 2 * N;
    add_to(N, ht, p, bh);
    vm::tanh(ht, ht, N);
    gru_out(N, z, hp, ht, h);
  }
}

void gru_backward_step(Model& M, int l, long t, long t0, long b0, long b1, const float* ext, float*) {
  Layer& Ly = M.layers[l];
  const long N = M.spec.N, I = Ly.I, G = Ly.G, B = M.B_, Wb = Ly.Wb, hoff = l == 0 ? 0 : I;
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
    const float* z = Ly.st[0].data() + row;
    const float* ht = Ly.st[2].data() + row;
    const float* hp = Ly.hs.data() + row;  // slot t holds h_{t-1}
    gru_bwd_a(N, dh, z, ht, hp, prow, prow + 2 * N);
  }
  gemm::gemm_rows(b1 - b0, dp + b0 * G + 2 * N, G, Ly.bw2, Ly.dxh2.data() + b0 * Wb, Wb, false);
  for (long b = b0; b < b1; b++) {
    if (!M.live(t, b)) continue;
    const long row = (t * B + b) * N;
    const float* z = Ly.st[0].data() + row;
    const float* r = Ly.st[1].data() + row;
    const float* hp = Ly.hs.data() + row;
    const float* drh = Ly.dxh2.data() + b * Wb + hoff;
    float* dh = Ly.dhc.data() + b * N;
    float* prow = dp + b * G;
    gru_bwd_b(N, drh, hp, r, z, prow + N, dh);
  }
  gemm::gemm_rows(b1 - b0, dp + b0 * G, G, Ly.bw, Ly.dxh.data() + b0 * Wb, Wb, false);
  for (long b = b0; b < b1; b++) {
    const float* row1 = Ly.dxh.data() + b * Wb;
    const float* row2 = Ly.dxh2.data() + b * Wb;
    if (M.live(t, b)) {
      add_in(N, Ly.dhc.data() + b * N, row1 + hoff);
    }
    if (l > 0) {
      add_to(I, Ly.dx.data() + b * I, row1, row2);
    }
  }
}

void gru_grad_jobs(Model& M, int l, long t0, long, std::vector<GradJob>& jobs, std::vector<BiasJob>& bias) {
  Layer& Ly = M.layers[l];
  const long N = M.spec.N, I = Ly.I, G = Ly.G, B = M.B_;
  const float* X = layer_input(M, l, t0);
  const float* Hp = Ly.hs.data() + t0 * B * N;
  const float* RH = Ly.st[3].data() + t0 * B * N;
  const float* dZR = Ly.dp.data();
  const float* dH = dZR + 2 * N;
  float* g = M.grads.data();
  jobs.push_back({X, I, I, dZR, G, 2 * N, g + Ly.off[0], 2 * N});
  jobs.push_back({Hp, N, N, dZR, G, 2 * N, g + Ly.off[0] + I * 2 * N, 2 * N});
  jobs.push_back({X, I, I, dH, G, N, g + Ly.off[2], N});
  jobs.push_back({RH, N, N, dH, G, N, g + Ly.off[2] + I * N, N});
  bias.push_back({dZR, G, 2 * N, g + Ly.off[1]});
  bias.push_back({dH, G, N, g + Ly.off[3]});
}

}  // namespace rwa
