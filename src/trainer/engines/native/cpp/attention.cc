// The attention readout (src/trainer/models/attention.ts has the maths and the edge cases): at each of the
// last K steps t, over the top layer's h_s (s <= t, inside the sequence),
//   q_t = h_t^T Wa;  score_s = q_t . h_s;  alpha = softmax(score);  c_t = sum_s alpha_s h_s
//   hTilde_t = tanh([c_t, h_t] Wc + bc);  y_t = hTilde_t Wo + bo
// A sequence without live steps gets alpha = 0, c_t = 0.
// The products over all K*B query rows at once ((K*B, N) x (N, N) and similar) use sgemm on all threads; the
// scores and context sums, O(K T B N) (K = T + 20 for the paper's copy task), are per sequence b products
// (K, N) x (N, T) and (K, T) x (T, N) on the strided rows of b (row stride B*N), with the batch rows split
// between threads. Each product runs on one thread in a fixed order, so results do not depend on the
// thread count. The queries go in blocks of 64 rows, each block's products over the steps up to its last t
// only (for K = T that halves the work); masked steps get weight 0 after the softmax.
// Backward: dWo = hTilde^T dY, dA = dY Wo^T (1 - hTilde^2), dWc = [c, h]^T dA, d[c, h] = dA Wc^T;
//   dalpha_s = dc . h_s, dscore_s = alpha_s (dalpha_s - sum_r alpha_r dalpha_r);
//   dh_s += alpha_s dc + dscore_s q_t;  dq_t = sum_s dscore_s h_s;  dWa = Hq^T dQ;  dh_t += dQ Wa^T + dh (from [c, h]).
// The result dL/dh_s for every step (att.dH, (T, B, N)) is what the top layer's BPTT takes as its ext.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "model.h"
#include "threadpool.h"
#include "vmath.h"

namespace rwa {
namespace {

constexpr long kRowBlock = 64;  // query rows per score product: later blocks see more steps (causal)

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

void axpy(float a, const float* __restrict x, float* __restrict y, long n) {
  for (long j = 0; j < n; j++) y[j] += a * x[j];
}

// The three product shapes, one thread each. A few query rows (K = 1 for most tasks) go through plain loops:
// sgemm would repack the (S, N) operand for every sequence, costing as much as the product itself.
constexpr long kLoopRows = 4;

// C (m, n) = A (m, k) B^T, B (n, k).
void prod_abt(long m, long n, long k, const float* A, long lda, const float* B, long ldb, float* C, long ldc) {
  if (m > kLoopRows) return gemm::sgemm_cols(false, true, m, n, k, 1.0f, A, lda, B, ldb, 0.0f, C, ldc, 0, n);
  for (long i = 0; i < m; i++)
    for (long j = 0; j < n; j++) {
      float acc = 0;
      for (long p = 0; p < k; p++) acc += A[i * lda + p] * B[j * ldb + p];
      C[i * ldc + j] = acc;
    }
}

// C (m, n) = A (m, k) B, B (k, n).
void prod_ab(long m, long n, long k, const float* A, long lda, const float* B, long ldb, float* C, long ldc) {
  if (m > kLoopRows) return gemm::sgemm_cols(false, false, m, n, k, 1.0f, A, lda, B, ldb, 0.0f, C, ldc, 0, n);
  for (long i = 0; i < m; i++) {
    std::fill(C + i * ldc, C + i * ldc + n, 0.0f);
    for (long p = 0; p < k; p++)
      if (A[i * lda + p] != 0.0f) axpy(A[i * lda + p], B + p * ldb, C + i * ldc, n);
  }
}

// C (m, n) += A^T B, A (k, m), B (k, n).
void prod_atb_add(long m, long n, long k, const float* A, long lda, const float* B, long ldb, float* C, long ldc) {
  if (k > kLoopRows) return gemm::sgemm_cols(true, false, m, n, k, 1.0f, A, lda, B, ldb, 1.0f, C, ldc, 0, n);
  for (long p = 0; p < k; p++)
    for (long i = 0; i < m; i++)
      if (A[p * lda + i] != 0.0f) axpy(A[p * lda + i], B + p * ldb, C + i * ldc, n);
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
      for (long k0 = 0; k0 < K; k0 += kRowBlock) {
        // Query rows k0..k1-1 of sequence b (row r = k*B + b of the (K*B, .) arrays: stride B rows) see the
        // steps s < S only (s <= t = T-K+k).
        const long k1 = std::min(K, k0 + kRowBlock), S = T - K + k1;
        float* alpha = A.alpha.data() + (k0 * B + b) * T;  // (k1-k0, T), row stride B*T: scores, then weights
        prod_abt(k1 - k0, S, N, A.q.data() + (k0 * B + b) * N, B * N, H + b * N, B * N, alpha, B * T);
        for (long kk = k0; kk < k1; kk++) {
          const long t = T - K + kk;
          float* a = alpha + (kk - k0) * B * T;
          float mx = -INFINITY;
          for (long s = 0; s <= t; s++)
            if (M.live(s, b)) mx = std::max(mx, a[s]);
          std::fill(a + t + 1, a + T, 0.0f);
          if (mx == -INFINITY) {  // no keys (length 0): alpha = 0, c = 0
            std::fill(a, a + t + 1, 0.0f);
          } else {
            for (long s = 0; s <= t; s++) a[s] = M.live(s, b) ? a[s] - mx : -INFINITY;
            vm::exp(a, a, t + 1);  // exp(-inf) = 0 for the masked steps
            double sum = 0;
            for (long s = 0; s <= t; s++) sum += a[s];
            const float inv = static_cast<float>(1.0 / sum);  // sum >= 1: the max term is exp(0)
            for (long s = 0; s <= t; s++) a[s] *= inv;
          }
          std::memcpy(A.ch.data() + (kk * B + b) * 2 * N + N, M.hk.data() + (kk * B + b) * N, N * sizeof(float));
        }
        // c = alpha H: (k1-k0, S) x (S, N) into the first half of [c_t, h_t].
        prod_ab(k1 - k0, N, S, alpha, B * T, H + b * N, B * N, A.ch.data() + (k0 * B + b) * 2 * N, B * 2 * N);
      }
  });
  // hTilde = tanh([c, h] Wc + bc); y = hTilde Wo + bo.
  for (long r = 0; r < R; r++) std::memcpy(A.ht.data() + r * N, p + of.bc, N * sizeof(float));
  gemm::sgemm(false, false, R, N, 2 * N, 1.0f, A.ch.data(), 2 * N, p + of.Wc, N, 1.0f, A.ht.data(), N, M.threads);
  vm::tanh(A.ht.data(), A.ht.data(), R * N);
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
  A.dq.resize(R * N);
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
    std::vector<float> ds(kRowBlock * T);
    for (long b = b0; b < b1; b++)
      for (long k0 = 0; k0 < K; k0 += kRowBlock) {
        const long k1 = std::min(K, k0 + kRowBlock), S = T - K + k1, kb = k1 - k0;
        const float* alpha = A.alpha.data() + (k0 * B + b) * T;  // (kb, T), row stride B*T; 0 beyond s = t
        const float* dc = A.dch.data() + (k0 * B + b) * 2 * N;   // (kb, N), row stride B*2N
        const float* q = A.q.data() + (k0 * B + b) * N;          // (kb, N), row stride B*N
        const float* Hb = H + b * N;                             // (S, N), row stride B*N
        float* dHb = A.dH.data() + b * N;                        // (S, N), row stride B*N
        // dalpha = dc H^T (kb, S), then dscore = alpha (dalpha - sum_s alpha dalpha) in place.
        prod_abt(kb, S, N, dc, B * 2 * N, Hb, B * N, ds.data(), S);
        for (long kk = 0; kk < kb; kk++) {
          const float* a = alpha + kk * B * T;
          float* d = ds.data() + kk * S;
          double mean = 0;
          for (long s = 0; s < S; s++) mean += static_cast<double>(a[s]) * d[s];
          for (long s = 0; s < S; s++) d[s] = a[s] * (d[s] - static_cast<float>(mean));
        }
        // dH += alpha^T dc + dscore^T q (S, N); dq = dscore H (kb, N).
        prod_atb_add(S, N, kb, alpha, B * T, dc, B * 2 * N, dHb, B * N);
        prod_atb_add(S, N, kb, ds.data(), S, q, B * N, dHb, B * N);
        prod_ab(kb, N, S, ds.data(), S, Hb, B * N, A.dq.data() + (k0 * B + b) * N, B * N);
        for (long kk = k0; kk < k1; kk++)  // h_t's direct share in [c_t, h_t]
          axpy(1.0f, A.dch.data() + (kk * B + b) * 2 * N + N, dHb + (T - K + kk) * B * N, N);
      }
  });
  // q = h_t^T Wa: dWa = Hq^T dQ, dh_t += dQ Wa^T.
  gemm::sgemm(true, false, N, N, R, 1.0f, M.hk.data(), N, A.dq.data(), N, 0.0f, g + of.Wa, N, M.threads);
  gemm::sgemm(false, true, R, N, N, 1.0f, A.dq.data(), N, p + of.Wa, N, 1.0f, A.dH.data() + (T - K) * B * N, N,
              M.threads);
}

}  // namespace rwa
