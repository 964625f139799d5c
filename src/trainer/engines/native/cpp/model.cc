// See model.h: allocation, packing, the forward and backward drivers, the readout and Adam.
#include "model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "threadpool.h"

namespace rwa {
namespace {

constexpr long kGradRows = 192;  // rows (steps x a block's batch rows) per weight-gradient product
constexpr long kBlockRows = 50;  // batch rows per weight-gradient block, at most

// Blocks of batch rows with their own weight-gradient accumulators: ceil(B / kBlockRows) rounded up to a
// power of two (even splits on 2, 4, 8 threads); independent of the thread count.
long grad_blocks(long B) {
  long n = 1;
  while (n * kBlockRows < B && n < B) n *= 2;
  return n;
}
constexpr long kNormBlock = 4096;  // fixed blocks for the gradient norm, so its value ignores threads

void ensure(std::vector<float>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

}  // namespace

// The calling thread's packing buffers (pool threads persist, so they are reused across steps).
thread_local std::vector<float> t_apack, t_bpack;

// Zeroed accumulators shaped like this chunk's jobs, and packing room for `maxRows` rows.
void GradAcc::reset(const std::vector<GradJob>& jobs, const std::vector<BiasJob>& bias, long maxRows) {
  c.resize(jobs.size());
  long amax = 0, bmax = 0;
  for (size_t j = 0; j < jobs.size(); j++) {
    c[j].assign(jobs[j].M * jobs[j].Ncols, 0.0f);
    amax = std::max(amax, gemm::packed_a_size(jobs[j].M, maxRows));
    bmax = std::max(bmax, gemm::packed_b_size(jobs[j].Ncols, maxRows));
  }
  db.resize(bias.size());
  for (size_t j = 0; j < bias.size(); j++) db[j].assign(bias[j].Ncols, 0.0f);
  if (static_cast<long>(t_apack.size()) < amax) t_apack.resize(amax);
  if (static_cast<long>(t_bpack.size()) < bmax) t_bpack.resize(bmax);
}

// Adds rows b0 .. b0+rows-1 of each of `steps` steps (B rows apart) of the jobs. A job's operand that
// the previous job packed is reused.
void GradAcc::add(const std::vector<GradJob>& jobs, const std::vector<BiasJob>& bias, long b0, long steps, long rows,
                  long B) {
  const long K = steps * rows;
  float* apack = t_apack.data();
  float* bpack = t_bpack.data();
  const GradJob* lastA = nullptr;
  const GradJob* lastB = nullptr;
  for (size_t j = 0; j < jobs.size(); j++) {
    const GradJob& g = jobs[j];
    if (!lastA || lastA->A != g.A || lastA->lda != g.lda || lastA->M != g.M) {
      gemm::pack_at(g.A + b0 * g.lda, g.lda, g.M, steps, rows, B * g.lda, apack);
      lastA = &g;
    }
    if (!lastB || lastB->B != g.B || lastB->ldb != g.ldb || lastB->Ncols != g.Ncols) {
      gemm::pack_rows(g.B + b0 * g.ldb, g.ldb, g.Ncols, steps, rows, B * g.ldb, bpack);
      lastB = &g;
    }
    gemm::gemm_packed_acc(g.M, g.Ncols, K, apack, bpack, c[j].data(), g.Ncols);
  }
  for (size_t j = 0; j < bias.size(); j++) {
    const BiasJob& g = bias[j];
    float* __restrict d = db[j].data();
    for (long s = 0; s < steps; s++)
      for (long r = 0; r < rows; r++) {
        const float* __restrict row = g.B + (s * B + b0 + r) * g.ldb;
        for (long c2 = 0; c2 < g.Ncols; c2++) d[c2] += row[c2];
      }
  }
}

long param_count(const Spec& s) {
  long total = 0;
  for (long l = 0; l < s.L; l++) {
    long I = l == 0 ? s.F : s.N, N = s.N;
    switch (s.cell) {
      case Cell::Rwa: total += I * N + N + (I + N) * N + N + (I + N) * N + N; break;
      case Cell::Lstm: total += (I + N) * 4 * N + 4 * N; break;
      case Cell::Gru: total += (I + N) * 2 * N + 2 * N + (I + N) * N + N; break;
      case Cell::Rda: total += I * N + N + 3 * (I + N) * N + 2 * N + N; break;
    }
  }
  return total + (s.attention ? attention_param_count(s.N) : 0) + s.N * s.O + s.O;
}

Model::Model(const Spec& sp, int nthreads) : spec(sp), threads(nthreads), P(param_count(sp)) {
  params.assign(P, 0.0f);
  grads.assign(P, 0.0f);
  adam_m.assign(P, 0.0f);
  adam_v.assign(P, 0.0f);
  const long N = spec.N;
  long off = 0;
  layers.resize(spec.L);
  for (long l = 0; l < spec.L; l++) {
    Layer& Ly = layers[l];
    Ly.I = l == 0 ? spec.F : N;
    Ly.W = Ly.I + N;
    Ly.Wb = l == 0 ? N : Ly.W;
    const long I = Ly.I, W = Ly.W;
    switch (spec.cell) {
      case Cell::Rwa:  // Wu, bu, Wg, bg, Wa, s
        Ly.G = 3 * N;
        Ly.off[0] = off; off += I * N;
        Ly.off[1] = off; off += N;
        Ly.off[2] = off; off += W * N;
        Ly.off[3] = off; off += N;
        Ly.off[4] = off; off += W * N;
        Ly.off[5] = off; off += N;
        break;
      case Cell::Lstm:  // W, b
        Ly.G = 4 * N;
        Ly.off[0] = off; off += W * 4 * N;
        Ly.off[1] = off; off += 4 * N;
        break;
      case Cell::Gru:  // Wzr, bzr, Wh, bh
        Ly.G = 3 * N;
        Ly.off[0] = off; off += W * 2 * N;
        Ly.off[1] = off; off += 2 * N;
        Ly.off[2] = off; off += W * N;
        Ly.off[3] = off; off += N;
        break;
      case Cell::Rda:  // Wu, bu, Wg, bg, Wa, [Wgamma, bgamma,] s: off[5] is s, rda.cc finds Wgamma and bgamma
        Ly.G = 4 * N;
        Ly.off[0] = off; off += I * N;
        Ly.off[1] = off; off += N;
        Ly.off[2] = off; off += W * N;
        Ly.off[3] = off; off += N;
        Ly.off[4] = off; off += W * N + W * N + N;
        Ly.off[5] = off; off += N;
        break;
    }
  }
  tmp.resize(threads);
}

void Model::allocate(long T, long B, bool training) {
  const long N = spec.N;
  const long slots = training ? T : 2;
  const long nb = grad_blocks(B), perBlock = (B + nb - 1) / nb;
  chunk_ = std::max(1L, std::min(T, kGradRows / perBlock));
  long gmax = 0;
  for (auto& Ly : layers) {
    ensure(Ly.hs, (slots + 1) * B * N);
    if (spec.cell == Cell::Lstm) ensure(Ly.cs, (slots + 1) * B * N);
    for (int a = 0; a < 6; a++) {
      long w = cell_stored_width(spec.cell, N, a);
      if (w > 0) ensure(Ly.st[a], slots * B * w);
    }
    if (spec.cell == Cell::Rwa || spec.cell == Cell::Rda) {
      ensure(Ly.n, B * N);
      ensure(Ly.d, B * N);
      ensure(Ly.m, B * N);
    }
    ensure(Ly.xh, B * Ly.W);
    if (spec.cell == Cell::Gru) ensure(Ly.xh2, B * Ly.W);
    ensure(Ly.pre, B * Ly.G);
    gmax = std::max(gmax, Ly.G);
    if (training) {
      ensure(Ly.dhc, B * N);
      ensure(Ly.c1, B * N);
      ensure(Ly.c2, B * N);
      ensure(Ly.dxh, B * Ly.Wb);
      if (spec.cell == Cell::Gru) ensure(Ly.dxh2, B * Ly.Wb);
      ensure(Ly.dx, B * Ly.I);
      ensure(Ly.dp, chunk_ * B * Ly.G);
    }
  }
  ensure(hk, spec.K * B * N);
  if (spec.attention && !training) ensure(att.hall, T * B * N);
  if (training) ensure(dhk, spec.K * B * N);
  for (auto& t : tmp) ensure(t, 4 * gmax + 16);
}

void Model::pack_forward() {
  for (long l = 0; l < spec.L; l++) cell_pack_forward(*this, static_cast<int>(l));
}
void Model::pack_backward() {
  for (long l = 0; l < spec.L; l++) cell_pack_backward(*this, static_cast<int>(l));
}

void Model::forward(const float* x, const float* maskIn, long T, long B, bool training, float* outputs,
                    const std::vector<std::pair<long, long>>& capture, float* hidden) {
  const long N = spec.N, F = spec.F, K = spec.K, O = spec.O, L = spec.L;
  trained_ = false;
  allocate(T, B, training);
  T_ = T;
  B_ = B;
  training_ = training;
  if (training) {
    xs.assign(x, x + T * B * F);
    xin = xs.data();
  } else {
    xin = x;
  }
  has_mask = maskIn != nullptr;
  if (has_mask && training) {
    mask.assign(maskIn, maskIn + T * B);
    mask_ptr_ = mask.data();
  } else {
    mask_ptr_ = maskIn;
  }
  pack_forward();
  // initial state: h_{-1} (tanh(s) for rwa, else 0), c_{-1} = 0, rwa n = d = 0, m = -1e38
  for (long l = 0; l < L; l++) {
    Layer& Ly = layers[l];
    float* h0 = Ly.hs.data();
    if (spec.cell == Cell::Rwa || spec.cell == Cell::Rda) {
      const float* s = params.data() + Ly.off[5];
      std::vector<float> ts(N);
      for (long j = 0; j < N; j++) ts[j] = std::tanh(s[j]);
      for (long b = 0; b < B; b++) std::memcpy(h0 + b * N, ts.data(), N * sizeof(float));
      std::fill(Ly.n.begin(), Ly.n.begin() + B * N, 0.0f);
      std::fill(Ly.d.begin(), Ly.d.begin() + B * N, 0.0f);
      std::fill(Ly.m.begin(), Ly.m.begin() + B * N, -1e38f);
    } else {
      std::fill(h0, h0 + B * N, 0.0f);
      if (spec.cell == Cell::Lstm) std::fill(Ly.cs.begin(), Ly.cs.begin() + B * N, 0.0f);
    }
  }
  const int nt = static_cast<int>(std::max(1L, std::min<long>(threads, B)));
  parallel_run(nt, [&](int k) {
    long b0, b1;
    split_range(B, nt, k, 1, &b0, &b1);
    if (b0 >= b1) return;
    float* scratch = tmp[k].data();
    for (long t = 0; t < T; t++) {
      for (long l = 0; l < L; l++) cell_forward_step(*this, static_cast<int>(l), t, b0, b1, scratch);
      const float* htop = layers[L - 1].hs.data() + slot(t + 1) * B * N;
      if (t >= T - K)
        std::memcpy(hk.data() + ((t - (T - K)) * B + b0) * N, htop + b0 * N, (b1 - b0) * N * sizeof(float));
      if (spec.attention && !training)
        std::memcpy(att.hall.data() + (t * B + b0) * N, htop + b0 * N, (b1 - b0) * N * sizeof(float));
      for (const auto& c : capture)
        if (c.first >= b0 && c.first < b1)
          std::memcpy(hidden + (c.second * T + t) * N, htop + c.first * N, N * sizeof(float));
    }
  });
  trained_ = training;
  // The top layer's h_t at slot t + 1 of its hs while training.
  if (spec.attention)
    return attention_forward(*this, training ? layers[L - 1].hs.data() + B * N : att.hall.data(), outputs);
  // readout y = h Wo + bo at the last K steps: (K*B, N) x (N, O)
  const float* Wo = params.data() + (P - N * O - O);
  const float* bo = Wo + N * O;
  for (long r = 0; r < K * B; r++) std::memcpy(outputs + r * O, bo, O * sizeof(float));
  gemm::sgemm(false, false, K * B, O, N, 1.0f, hk.data(), N, Wo, O, 1.0f, outputs, O, threads);
}

void Model::backward(const float* dY) {
  const long N = spec.N, K = spec.K, O = spec.O, L = spec.L, T = T_, B = B_;
  std::fill(grads.begin(), grads.end(), 0.0f);
  pack_backward();
  // readout: dWo = hk^T dY, dbo = colsum dY, dhk = dY Wo^T
  const float* Wo = params.data() + (P - N * O - O);
  float* dWo = grads.data() + (P - N * O - O);
  float* dbo = dWo + N * O;
  if (spec.attention) {
    attention_backward(*this, layers[L - 1].hs.data() + B * N, dY);
  } else {
    gemm::sgemm(true, false, N, O, K * B, 1.0f, hk.data(), N, dY, O, 0.0f, dWo, O, threads);
    for (long r = 0; r < K * B; r++)
      for (long o = 0; o < O; o++) dbo[o] += dY[r * O + o];
    gemm::sgemm(false, true, K * B, N, O, 1.0f, dY, O, Wo, O, 0.0f, dhk.data(), N, threads);
  }
  for (auto& Ly : layers) {
    std::fill(Ly.dhc.begin(), Ly.dhc.begin() + B * N, 0.0f);
    std::fill(Ly.c1.begin(), Ly.c1.begin() + B * N, 0.0f);
    std::fill(Ly.c2.begin(), Ly.c2.begin() + B * N, 0.0f);
  }
  // One parallel region, no barrier: each thread runs backward through time for its own batch rows and,
  // every chunk_ steps, adds those rows' weight gradients into the accumulators of their row blocks
  // (fixed blocks of ~kBlockRows rows: the sums do not depend on the thread count); the dP rows a chunk
  // produces are used while they are still in the thread's cache. The blocks are summed in order at the end.
  const long nb = grad_blocks(B);
  const int nt = static_cast<int>(std::max(1L, std::min<long>(threads, nb)));
  if (static_cast<long>(gacc.size()) < nb) gacc.resize(nb);
  std::vector<std::vector<GradJob>> jobsOf(nt);
  std::vector<std::vector<BiasJob>> biasOf(nt);
  parallel_run(nt, [&](int k) {
    long g0, g1, b0, b1, e;
    split_range(nb, nt, k, 1, &g0, &g1);
    split_range(B, static_cast<int>(nb), static_cast<int>(g0), 1, &b0, &e);
    split_range(B, static_cast<int>(nb), static_cast<int>(g1 - 1), 1, &e, &b1);
    std::vector<GradJob>& jobs = jobsOf[k];
    std::vector<BiasJob>& bias = biasOf[k];
    float* scratch = tmp[k].data();
    bool first = true;
    for (long t1 = T; t1 > 0; t1 -= chunk_) {
      const long t0 = std::max(0L, t1 - chunk_);
      for (long t = t1 - 1; t >= t0; t--) {
        for (long l = L - 1; l >= 0; l--) {
          const float* ext = nullptr;
          if (l == L - 1) {
            if (spec.attention) ext = att.dH.data() + t * B * N;
            else if (t >= T - K) ext = dhk.data() + (t - (T - K)) * B * N;
          } else {
            ext = layers[l + 1].dx.data();
          }
          cell_backward_step(*this, static_cast<int>(l), t, t0, b0, b1, ext, scratch);
        }
      }
      jobs.clear();
      bias.clear();
      for (long l = 0; l < L; l++) cell_grad_jobs(*this, static_cast<int>(l), t0, t1, jobs, bias);
      for (long g = g0; g < g1; g++) {
        long r0, r1;
        split_range(B, static_cast<int>(nb), static_cast<int>(g), 1, &r0, &r1);
        if (first) gacc[g].reset(jobs, bias, chunk_ * (r1 - r0));
        gacc[g].add(jobs, bias, r0, t1 - t0, r1 - r0, B);
      }
      first = false;
    }
  });
  // C += the blocks' accumulators, in block order; rows of each job split between threads
  parallel_run(nt, [&](int k) {
    const auto& jobs = jobsOf[0];
    for (size_t j = 0; j < jobs.size(); j++) {
      long i0, i1;
      split_range(jobs[j].M, nt, k, 1, &i0, &i1);
      for (long g = 0; g < nb; g++) {
        const float* src = gacc[g].c[j].data();
        for (long i = i0; i < i1; i++)
          for (long c = 0; c < jobs[j].Ncols; c++) jobs[j].C[i * jobs[j].ldc + c] += src[i * jobs[j].Ncols + c];
      }
    }
    if (k == 0) {
      const auto& bias = biasOf[0];
      for (size_t j = 0; j < bias.size(); j++)
        for (long g = 0; g < nb; g++)
          for (long c = 0; c < bias[j].Ncols; c++) bias[j].db[c] += gacc[g].db[j][c];
    }
  });
  for (long l = 0; l < L; l++) cell_finish_backward(*this, static_cast<int>(l));
}

double Model::adam(double lr, double b1, double b2, double eps, double clip) {
  const long nblocks = (P + kNormBlock - 1) / kNormBlock;
  std::vector<double> partial(nblocks, 0.0);
  const int nt = static_cast<int>(std::max(1L, std::min<long>(threads, nblocks)));
  parallel_run(nt, [&](int k) {
    long q0, q1;
    split_range(nblocks, nt, k, 1, &q0, &q1);
    for (long q = q0; q < q1; q++) {
      double s = 0;
      long e = std::min(P, (q + 1) * kNormBlock);
      for (long i = q * kNormBlock; i < e; i++) s += static_cast<double>(grads[i]) * grads[i];
      partial[q] = s;
    }
  });
  double norm2 = 0;
  for (double s : partial) norm2 += s;
  const double norm = std::sqrt(norm2);
  const double scale = (clip > 0 && norm > clip) ? clip / norm : 1.0;
  adam_step += 1;
  const double bc1 = 1.0 - std::pow(b1, adam_step), bc2 = 1.0 - std::pow(b2, adam_step);
  parallel_run(nt, [&](int k) {
    long q0, q1;
    split_range(nblocks, nt, k, 1, &q0, &q1);
    long e = std::min(P, q1 * kNormBlock);
    for (long i = q0 * kNormBlock; i < e; i++) {
      double g = grads[i] * scale;
      double m = b1 * adam_m[i] + (1.0 - b1) * g;
      double v = b2 * adam_v[i] + (1.0 - b2) * g * g;
      adam_m[i] = static_cast<float>(m);
      adam_v[i] = static_cast<float>(v);
      params[i] = static_cast<float>(params[i] - lr * (m / bc1) / (std::sqrt(v / bc2) + eps));
    }
  });
  return norm;
}

}  // namespace rwa
