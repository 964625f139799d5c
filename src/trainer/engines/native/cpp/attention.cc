// The attention readout (src/trainer/models/attention.ts has the maths and the edge cases): at each of the
// last K steps t, over the top layer's h_s (s <= t, inside the sequence),
//   q_t = h_t^T Wa;  score_s = q_t . h_s;  alpha = softmax(score);  c_t = sum_s alpha_s h_s
//   hTilde_t = tanh([c_t, h_t] Wc + bc);  y_t = hTilde_t Wo + bo
// A sequence without live steps gets alpha = 0, c_t = 0.
// The products over all K*B query rows at once ((K*B, N) x (N, N) and similar) use sgemm; the per-row
// scores and context sums, O(K T B N) in all, run with the batch rows split between threads, each row's
// sums in a fixed order, so results do not depend on the thread count.
// Backward: dWo = hTilde^T dY, dA = dY Wo^T (1 - hTilde^2), dWc = [c, h]^T dA, d[c, h] = dA Wc^T;
//   dalpha_s = dc . h_s, dscore_s = alpha_s (dalpha_s - sum_r alpha_r dalpha_r);
//   dh_s += alpha_s dc + dscore_s q_t;  dq_t = sum_s dscore_s h_s;  dWa = Hq^T dQ;  dh_t += dQ Wa^T + dh (from [c, h]).
// The result dL/dh_s for every step (att.dH, (T, B, N)) is what the top layer's BPTT takes as its ext.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "model.h"
#include "threadpool.h"

namespace rwa {
namespace {

struct Offsets {
  long Wa, Wc, bc, Wo, bo;
};
Offsets offsets(const Model& M) {
  const long N = M.spec.N, O = M.spec.O;
  Offsets o;
  o.Wo = M.P - N * O - O;
  o.bo = o.Wo + N * O;
  o.bc = o.Wo - N;
  o.Wc = o.bc - 2 * N * N;
  o.Wa = o.Wc - N * N;
  return o;
}

float dot(const float* __restrict a, const float* __restrict b, long n) {
  float s = 0;
  for (long j = 0; j < n; j++) s += a[j] * b[j];
  return s;
}

void axpy(float a, const float* __restrict x, float* __restrict y, long n) {
  for (long j = 0; j < n; j++) y[j] += a * x[j];
}

}  // namespace

long attention_param_count(long N) { return N * N + 2 * N * N + N; }

void attention_forward(Model& M, const float* H, float* outputs) {
  const long N = M.spec.N, K = M.spec.K, O = M.spec.O, T = M.T_, B = M.B_, R = K * B;
  Attention& A = M.att;
  const Offsets of = offsets(M);
  const float* p = M.params.data();
  A.q.resize(R * N);
  A.alpha.resize(R * T);
  A.ch.resize(R * 2 * N);
  A.ht.resize(R * N);
  // q = Hq Wa: (K*B, N) x (N, N); Hq = M.hk, the top layer's h at the last K steps.
  gemm::sgemm(false, false, R, N, N, 1.0f, M.hk.data(), N, p + of.Wa, N, 0.0f, A.q.data(), N, M.threads);
  const int nt = static_cast<int>(std::max(1L, std::min<long>(M.threads, B)));
  parallel_run(nt, [&](int k) {
    long b0, b1;
    split_range(B, nt, k, 1, &b0, &b1);
    for (long b = b0; b < b1; b++)
      for (long kk = 0; kk < K; kk++) {
        const long t = T - K + kk, r = kk * B + b;
        const float* q = A.q.data() + r * N;
        float* alpha = A.alpha.data() + r * T;  // scores, then weights; 0 for excluded steps
        float* c = A.ch.data() + r * 2 * N;
        float mx = -INFINITY;
        for (long s = 0; s <= t; s++)
          if (M.live(s, b)) mx = std::max(mx, alpha[s] = dot(q, H + (s * B + b) * N, N));
        double sum = 0;
        for (long s = 0; s < T; s++) {
          alpha[s] = s <= t && M.live(s, b) ? std::exp(alpha[s] - mx) : 0.0f;
          sum += alpha[s];
        }
        std::fill(c, c + N, 0.0f);
        const float inv = sum > 0 ? static_cast<float>(1.0 / sum) : 0.0f;
        for (long s = 0; s <= t; s++) {
          alpha[s] *= inv;
          if (alpha[s] != 0.0f) axpy(alpha[s], H + (s * B + b) * N, c, N);
        }
        std::memcpy(c + N, M.hk.data() + r * N, N * sizeof(float));  // [c_t, h_t]
      }
  });
  // hTilde = tanh([c, h] Wc + bc); y = hTilde Wo + bo.
  for (long r = 0; r < R; r++) std::memcpy(A.ht.data() + r * N, p + of.bc, N * sizeof(float));
  gemm::sgemm(false, false, R, N, 2 * N, 1.0f, A.ch.data(), 2 * N, p + of.Wc, N, 1.0f, A.ht.data(), N, M.threads);
  for (long i = 0; i < R * N; i++) A.ht[i] = std::tanh(A.ht[i]);
  for (long r = 0; r < R; r++) std::memcpy(outputs + r * O, p + of.bo, O * sizeof(float));
  gemm::sgemm(false, false, R, O, N, 1.0f, A.ht.data(), N, p + of.Wo, O, 1.0f, outputs, O, M.threads);
}

void attention_backward(Model& M, const float* H, const float* dY) {
  const long N = M.spec.N, K = M.spec.K, O = M.spec.O, T = M.T_, B = M.B_, R = K * B;
  Attention& A = M.att;
  const Offsets of = offsets(M);
  const float* p = M.params.data();
  float* g = M.grads.data();
  A.da.resize(R * N);
  A.dch.resize(R * 2 * N);
  A.dq.assign(R * N, 0.0f);
  A.dH.assign(T * B * N, 0.0f);
  // Output layer: dWo = hTilde^T dY, dbo = colsum dY, dA = dY Wo^T (1 - hTilde^2).
  gemm::sgemm(true, false, N, O, R, 1.0f, A.ht.data(), N, dY, O, 0.0f, g + of.Wo, O, M.threads);
  for (long r = 0; r < R; r++)
    for (long o = 0; o < O; o++) g[of.bo + o] += dY[r * O + o];
  gemm::sgemm(false, true, R, N, O, 1.0f, dY, O, p + of.Wo, O, 0.0f, A.da.data(), N, M.threads);
  for (long i = 0; i < R * N; i++) A.da[i] *= 1.0f - A.ht[i] * A.ht[i];
  // dWc = [c, h]^T dA, dbc = colsum dA, d[c, h] = dA Wc^T.
  gemm::sgemm(true, false, 2 * N, N, R, 1.0f, A.ch.data(), 2 * N, A.da.data(), N, 0.0f, g + of.Wc, N, M.threads);
  for (long r = 0; r < R; r++)
    for (long j = 0; j < N; j++) g[of.bc + j] += A.da[r * N + j];
  gemm::sgemm(false, true, R, 2 * N, N, 1.0f, A.da.data(), N, p + of.Wc, N, 0.0f, A.dch.data(), 2 * N, M.threads);
  // Through the softmax and the context sum, per batch row (every write lands in that row's dH).
  const int nt = static_cast<int>(std::max(1L, std::min<long>(M.threads, B)));
  parallel_run(nt, [&](int k) {
    long b0, b1;
    split_range(B, nt, k, 1, &b0, &b1);
    std::vector<float> da(T);
    for (long b = b0; b < b1; b++)
      for (long kk = 0; kk < K; kk++) {
        const long t = T - K + kk, r = kk * B + b;
        const float* alpha = A.alpha.data() + r * T;
        const float* dc = A.dch.data() + r * 2 * N;
        const float* q = A.q.data() + r * N;
        float* dq = A.dq.data() + r * N;
        double mean = 0;  // sum_r alpha_r dalpha_r
        for (long s = 0; s <= t; s++) {
          da[s] = alpha[s] != 0.0f ? dot(dc, H + (s * B + b) * N, N) : 0.0f;
          mean += static_cast<double>(alpha[s]) * da[s];
        }
        for (long s = 0; s <= t; s++) {
          if (alpha[s] == 0.0f) continue;
          const float* hs = H + (s * B + b) * N;
          float* dh = A.dH.data() + (s * B + b) * N;
          const float dscore = alpha[s] * (da[s] - static_cast<float>(mean));
          axpy(alpha[s], dc, dh, N);
          axpy(dscore, q, dh, N);
          axpy(dscore, hs, dq, N);
        }
        axpy(1.0f, dc + N, A.dH.data() + (t * B + b) * N, N);  // h_t's direct share in [c_t, h_t]
      }
  });
  // q = h_t^T Wa: dWa = Hq^T dQ, dh_t += dQ Wa^T.
  gemm::sgemm(true, false, N, N, R, 1.0f, M.hk.data(), N, A.dq.data(), N, 0.0f, g + of.Wa, N, M.threads);
  gemm::sgemm(false, true, R, N, N, 1.0f, A.dq.data(), N, p + of.Wa, N, 1.0f, A.dH.data() + (T - K) * B * N, N,
              M.threads);
}

}  // namespace rwa
