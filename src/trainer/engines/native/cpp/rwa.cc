// RWA cell, numerically stable running-max form (docs/rwa-reference.md):
//   u = x Wu + bu;  g = [x, h_{t-1}] Wg + bg;  a = [x, h_{t-1}] Wa;  z = u tanh(g)
//   m_t = max(m_{t-1}, a);  sp = e^{m_{t-1} - m_t};  w = e^{a - m_t}
//   n_t = n_{t-1} sp + z w;  d_t = d_{t-1} sp + w;  h_t = tanh(n_t / d_t);  h_{-1} = tanh(s)
// Backward: n and d are the true sums scaled by e^{-m_t}; their adjoints are kept scaled by e^{+m_t}
// (gN, gD), which keeps every quantity bounded:
//   q = dh (1 - h^2);  gN = cN + q / d;  gD = cD - q r / d   (r = n / d; cN, cD carried from t+1)
//   dz = gN w;  da = (gN z + gD) w;  du = dz tanh(g);  dg = dz u (1 - tanh(g)^2);  carry cN = gN sp, cD = gD sp
// One of the two exponents m_{t-1} - m_t and a - m_t is 0, so one exp gives both: e = e^{-|a - m_{t-1}|}
// (e^{m_{t-1} - a} when a sets the new max, else e^{a - m_{t-1}}); stored as ws = -e or +e: sign set means
// (w = 1, sp = e), clear means (w = e, sp = 1) (the sign bit, so a zero keeps its meaning).
// Stored per step: u, tanh(g), ws, d, r (st[0..4]) and h.
#include <algorithm>
#include <cmath>

#include "cell_util.h"
#include "vmath.h"
#include "vmath_avx512.h"

namespace rwa {

namespace {

// u = pu + bu; tg = pg + bg (tanh applied after); m <- max(m, a); e = -|a - m_old| (exp after), and in
// e[N + j] whether a set the new max (1) or not (0)
void rwa_fwd_pre(long N, const float* __restrict pu, const float* __restrict pg, const float* __restrict pa,
                 const float* __restrict bu, const float* __restrict bg, float* __restrict u, float* __restrict tg,
                 float* __restrict m, float* __restrict e) {
  for (long j = 0; j < N; j++) {
    u[j] = pu[j] + bu[j];
    tg[j] = pg[j] + bg[j];
    const bool anew = !(m[j] > pa[j]);  // the new max is a (as in max(m, a) = m > a ? m : a)
    e[j] = anew ? m[j] - pa[j] : pa[j] - m[j];
    e[N + j] = anew ? 1.0f : 0.0f;
    m[j] = anew ? pa[j] : m[j];
  }
}

void rwa_fwd_post(long N, const float* __restrict e, const float* __restrict anew, const float* __restrict u,
                  const float* __restrict tg, float* __restrict ws, float* __restrict n, float* __restrict d,
                  float* __restrict dd, float* __restrict r) {
  for (long j = 0; j < N; j++) {
    const bool a = anew[j] != 0.0f;
    const float sp = a ? e[j] : 1.0f, w = a ? 1.0f : e[j];
    ws[j] = a ? -e[j] : e[j];
    n[j] = n[j] * sp + u[j] * tg[j] * w;
    d[j] = d[j] * sp + w;
    dd[j] = d[j];
    r[j] = n[j] / d[j];
  }
}

void rwa_bwd_row(long N, const float* __restrict dh, const float* __restrict h, const float* __restrict u,
                 const float* __restrict tg, const float* __restrict ws, const float* __restrict dd,
                 const float* __restrict r, float* __restrict cN, float* __restrict cD, float* __restrict du,
                 float* __restrict dg, float* __restrict da) {
  for (long j = 0; j < N; j++) {
    const bool anew = std::signbit(ws[j]);
    const float w = anew ? 1.0f : ws[j], sp = anew ? -ws[j] : 1.0f;
    float q = dh[j] * (1.0f - h[j] * h[j]);
    float inv = 1.0f / dd[j];
    float gN = cN[j] + q * inv;
    float gD = cD[j] - q * r[j] * inv;
    float z = u[j] * tg[j];
    float dz = gN * w;
    du[j] = dz * tg[j];
    dg[j] = dz * u[j] * (1.0f - tg[j] * tg[j]);
    da[j] = (gN * z + gD) * w;
    cN[j] = gN * sp;
    cD[j] = gD * sp;
  }
}

#if RWA_X86
// AVX-512: the whole forward update of one row in one pass (the three loops and three vmath calls above).
RWA_AVX512 void rwa_fwd_row_avx512(long N, const float* __restrict pu, const float* __restrict pg,
                                   const float* __restrict pa, const float* __restrict bu, const float* __restrict bg,
                                   float* __restrict u, float* __restrict tg, float* __restrict ws,
                                   float* __restrict dd, float* __restrict r, float* __restrict n, float* __restrict d,
                                   float* __restrict m, float* __restrict h) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512i sign = _mm512_set1_epi32(static_cast<int>(0x80000000u));
  for (long j = 0; j < N; j += 16) {
    const __mmask16 k = N - j >= 16 ? 0xffff : static_cast<__mmask16>((1u << (N - j)) - 1);
    __m512 vu = _mm512_add_ps(_mm512_maskz_loadu_ps(k, pu + j), _mm512_maskz_loadu_ps(k, bu + j));
    __m512 vg = v512::tanh16(_mm512_add_ps(_mm512_maskz_loadu_ps(k, pg + j), _mm512_maskz_loadu_ps(k, bg + j)));
    __m512 va = _mm512_maskz_loadu_ps(k, pa + j);
    __m512 vm = _mm512_maskz_loadu_ps(k, m + j);
    const __mmask16 anew = _mm512_cmp_ps_mask(vm, va, _CMP_NGT_UQ);  // !(m > a): the new max is a
    __m512 mn = _mm512_mask_blend_ps(anew, vm, va);
    __m512 e = v512::exp16(_mm512_mask_blend_ps(anew, _mm512_sub_ps(va, vm), _mm512_sub_ps(vm, va)));
    __m512 es = _mm512_mask_blend_ps(anew, one, e);  // sp
    __m512 ew = _mm512_mask_blend_ps(anew, e, one);  // w
    __m512 vn = _mm512_add_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, n + j), es), _mm512_mul_ps(_mm512_mul_ps(vu, vg), ew));
    __m512 vd = _mm512_add_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, d + j), es), ew);
    __m512 vr = _mm512_div_ps(vn, vd);
    __m512i ei = _mm512_castps_si512(e);
    _mm512_mask_storeu_ps(u + j, k, vu);
    _mm512_mask_storeu_ps(tg + j, k, vg);
    _mm512_mask_storeu_ps(ws + j, k, _mm512_castsi512_ps(_mm512_mask_xor_epi32(ei, anew, ei, sign)));
    _mm512_mask_storeu_ps(dd + j, k, vd);
    _mm512_mask_storeu_ps(r + j, k, vr);
    _mm512_mask_storeu_ps(n + j, k, vn);
    _mm512_mask_storeu_ps(d + j, k, vd);
    _mm512_mask_storeu_ps(m + j, k, mn);
    _mm512_mask_storeu_ps(h + j, k, v512::tanh16(vr));
  }
}

// AVX-512 form of rwa_bwd_row, with dh += ext folded in (ext may be null).
RWA_AVX512 void rwa_bwd_row_avx512(long N, float* __restrict dh, const float* __restrict ext, const float* __restrict h,
                                   const float* __restrict u, const float* __restrict tg, const float* __restrict ws,
                                   const float* __restrict dd, const float* __restrict r,
                                   float* __restrict cN, float* __restrict cD, float* __restrict du,
                                   float* __restrict dg, float* __restrict da) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (long j = 0; j < N; j += 16) {
    const __mmask16 k = N - j >= 16 ? 0xffff : static_cast<__mmask16>((1u << (N - j)) - 1);
    __m512 vdh = _mm512_maskz_loadu_ps(k, dh + j);
    if (ext) {
      vdh = _mm512_add_ps(vdh, _mm512_maskz_loadu_ps(k, ext + j));
      _mm512_mask_storeu_ps(dh + j, k, vdh);
    }
    __m512 vh = _mm512_maskz_loadu_ps(k, h + j);
    __m512 q = _mm512_mul_ps(vdh, _mm512_sub_ps(one, _mm512_mul_ps(vh, vh)));
    __m512 inv = _mm512_div_ps(one, _mm512_mask_loadu_ps(one, k, dd + j));
    __m512 gN = _mm512_add_ps(_mm512_maskz_loadu_ps(k, cN + j), _mm512_mul_ps(q, inv));
    __m512 gD = _mm512_sub_ps(_mm512_maskz_loadu_ps(k, cD + j),
                              _mm512_mul_ps(_mm512_mul_ps(q, _mm512_maskz_loadu_ps(k, r + j)), inv));
    __m512 vu = _mm512_maskz_loadu_ps(k, u + j), vt = _mm512_maskz_loadu_ps(k, tg + j);
    __m512 vws = _mm512_maskz_loadu_ps(k, ws + j);
    const __mmask16 anew = _mm512_cmplt_epi32_mask(_mm512_castps_si512(vws), _mm512_setzero_si512());  // sign set
    __m512 vw = _mm512_mask_blend_ps(anew, vws, one);
    __m512 vs = _mm512_mask_blend_ps(anew, one, v512::abs16(vws));
    __m512 dz = _mm512_mul_ps(gN, vw);
    _mm512_mask_storeu_ps(du + j, k, _mm512_mul_ps(dz, vt));
    _mm512_mask_storeu_ps(dg + j, k, _mm512_mul_ps(_mm512_mul_ps(dz, vu), _mm512_sub_ps(one, _mm512_mul_ps(vt, vt))));
    _mm512_mask_storeu_ps(da + j, k, _mm512_mul_ps(_mm512_add_ps(_mm512_mul_ps(gN, _mm512_mul_ps(vu, vt)), gD), vw));
    _mm512_mask_storeu_ps(cN + j, k, _mm512_mul_ps(gN, vs));
    _mm512_mask_storeu_ps(cD + j, k, _mm512_mul_ps(gD, vs));
  }
}
#endif

}  // namespace

void rwa_pack_forward(Model& M, int l) {
  Layer& Ly = M.layers[l];
  const long N = M.spec.N, I = Ly.I, W = Ly.W;
  const float* Wu = M.params.data() + Ly.off[0];
  const float* Wg = M.params.data() + Ly.off[2];
  const float* Wa = M.params.data() + Ly.off[4];
  Ly.wcat.resize(W * 2 * N);
  for (long i = 0; i < W; i++) {
    std::copy(Wg + i * N, Wg + (i + 1) * N, Ly.wcat.data() + i * 2 * N);
    std::copy(Wa + i * N, Wa + (i + 1) * N, Ly.wcat.data() + i * 2 * N + N);
  }
  Ly.fw.reset(W);
  gemm::pack_b(Ly.fw, Ly.wcat.data(), 2 * N, false, 2 * N, N);
  Ly.fw2.reset(I);
  gemm::pack_b(Ly.fw2, Wu, N, false, N, 0);
}

void rwa_pack_backward(Model& M, int l) {
  rwa_pack_forward(M, l);  // refreshes wcat
  Layer& Ly = M.layers[l];
  const long N = M.spec.N, I = Ly.I;
  Ly.bw.reset(2 * N);
  if (l == 0)
    gemm::pack_b(Ly.bw, Ly.wcat.data() + I * 2 * N, 2 * N, true, N, 0);
  else
    gemm::pack_b(Ly.bw, Ly.wcat.data(), 2 * N, true, Ly.W, 0);
  Ly.gcat.assign(Ly.W * 2 * N, 0.0f);  // backward starts: clear the [dWg | dWa] accumulator
  if (l > 0) {
    Ly.bw2.reset(N);
    gemm::pack_b(Ly.bw2, M.params.data() + Ly.off[0], N, true, I, 0);
  }
}

void rwa_forward_step(Model& M, int l, long t, long b0, long b1, float* tmp) {
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
  const long s = M.slot(t);
  [[maybe_unused]] const bool avx512 = active_isa() == Isa::Avx512;
  for (long b = b0; b < b1; b++) {
    if (!M.live(t, b)) {
      std::copy(hprev + b * N, hprev + (b + 1) * N, hout + b * N);
      continue;
    }
    const long row = (s * B + b) * N;
    float* u = Ly.st[0].data() + row;
    float* tg = Ly.st[1].data() + row;
    float* ws = Ly.st[2].data() + row;
    float* dd = Ly.st[3].data() + row;
    float* r = Ly.st[4].data() + row;
    float* n = Ly.n.data() + b * N;
    float* d = Ly.d.data() + b * N;
    float* m = Ly.m.data() + b * N;
    const float* pu = Ly.pre.data() + b * G;
#if RWA_X86
    if (avx512) {
      rwa_fwd_row_avx512(N, pu, pu + N, pu + 2 * N, bu, bg, u, tg, ws, dd, r, n, d, m, hout + b * N);
      continue;
    }
#endif
    rwa_fwd_pre(N, pu, pu + N, pu + 2 * N, bu, bg, u, tg, m, tmp);
    vm::tanh(tg, tg, N);
    vm::exp(tmp, tmp, N);
    rwa_fwd_post(N, tmp, tmp + N, u, tg, ws, n, d, dd, r);
    vm::tanh(hout + b * N, r, N);
  }
}

void rwa_backward_step(Model& M, int l, long t, long t0, long b0, long b1, const float* ext, float*) {
  Layer& Ly = M.layers[l];
  const long N = M.spec.N, G = Ly.G, B = M.B_, Wb = Ly.Wb;
  float* dp = Ly.dp.data() + (t - t0) * B * G;
  [[maybe_unused]] const bool avx512 = active_isa() == Isa::Avx512;
  for (long b = b0; b < b1; b++) {
    float* dh = Ly.dhc.data() + b * N;
    float* prow = dp + b * G;
    const bool live = M.live(t, b);
#if RWA_X86
    if (avx512 && live) {
      const long row = (t * B + b) * N;
      rwa_bwd_row_avx512(N, dh, ext ? ext + b * N : nullptr, Ly.hs.data() + ((t + 1) * B + b) * N,
                         Ly.st[0].data() + row, Ly.st[1].data() + row, Ly.st[2].data() + row, Ly.st[3].data() + row,
                         Ly.st[4].data() + row, Ly.c1.data() + b * N, Ly.c2.data() + b * N, prow, prow + N,
                         prow + 2 * N);
      continue;
    }
#endif
    add_ext(dh, ext ? ext + b * N : nullptr, N);
    if (!live) {
      std::fill(prow, prow + G, 0.0f);
      continue;
    }
    const long row = (t * B + b) * N;
    const float* u = Ly.st[0].data() + row;
    const float* tg = Ly.st[1].data() + row;
    const float* ws = Ly.st[2].data() + row;
    const float* dd = Ly.st[3].data() + row;
    const float* r = Ly.st[4].data() + row;
    const float* h = Ly.hs.data() + ((t + 1) * B + b) * N;
    rwa_bwd_row(N, dh, h, u, tg, ws, dd, r, Ly.c1.data() + b * N, Ly.c2.data() + b * N, prow, prow + N, prow + 2 * N);
  }
  gemm::gemm_rows(b1 - b0, dp + b0 * G + N, G, Ly.bw, Ly.dxh.data() + b0 * Wb, Wb, false);
  if (l > 0) gemm::gemm_rows(b1 - b0, dp + b0 * G, G, Ly.bw2, Ly.dxh.data() + b0 * Wb, Wb, true);
  scatter_dxh(M, Ly, l, t, b0, b1);
}

void rwa_grad_jobs(Model& M, int l, long t0, long, std::vector<GradJob>& jobs, std::vector<BiasJob>& bias) {
  Layer& Ly = M.layers[l];
  const long N = M.spec.N, I = Ly.I, G = Ly.G, B = M.B_;
  const float* X = layer_input(M, l, t0);
  const float* Hp = Ly.hs.data() + t0 * B * N;
  const float* dU = Ly.dp.data();
  const float* dG = dU + N;
  float* g = M.grads.data();
  jobs.push_back({X, I, I, dU, G, N, g + Ly.off[0], N});
  // [dWg | dWa] accumulate as one (W, 2N) matrix (scattered by rwa_finish_backward): one product per chunk
  jobs.push_back({X, I, I, dG, G, 2 * N, Ly.gcat.data(), 2 * N});
  jobs.push_back({Hp, N, N, dG, G, 2 * N, Ly.gcat.data() + I * 2 * N, 2 * N});
  bias.push_back({dU, G, N, g + Ly.off[1]});
  bias.push_back({dG, G, N, g + Ly.off[3]});
}

// dL/ds = (1 - tanh(s)^2) sum_b dL/dh_{-1}[b], summed in batch order.
void rwa_finish_backward(Model& M, int l) {
  Layer& Ly = M.layers[l];
  const long N = M.spec.N, B = M.B_;
  for (long i = 0; i < Ly.W; i++) {
    std::copy(Ly.gcat.data() + i * 2 * N, Ly.gcat.data() + i * 2 * N + N, M.grads.data() + Ly.off[2] + i * N);
    std::copy(Ly.gcat.data() + i * 2 * N + N, Ly.gcat.data() + (i + 1) * 2 * N, M.grads.data() + Ly.off[4] + i * N);
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
