// See sgemm.h.
#include "sgemm.h"

#include <algorithm>
#include <cstring>

#include "threadpool.h"

#if RWA_X86
#include <immintrin.h>
#endif

namespace rwa {
namespace gemm {
namespace {

constexpr long KC = 256;
constexpr long NC = 1024;  // multiple of every NR
constexpr int kMaxMr = 12;

// A(i, k) = a[i*rs + k*cs]; b: K x NR panel; C tile of M x nc at c (row stride ldc).
// C = alpha acc + beta C (beta = 0: C not read).
using Ukr = void (*)(long K, const float* a, long rs, long cs, const float* b, float* c, long ldc, int nc, float alpha,
                     float beta);

// One instruction set's microkernels: rows[m - 1] takes A row-major (cs == 1), strided[m - 1] takes A
// with rs == 1 (a packed tile, or A^T read in place); m = 1..mr rows.
struct Kernels {
  int mr, nr;
  Ukr rows[kMaxMr];
  Ukr strided[kMaxMr];
};

template <int M>
void ukr_portable(long K, const float* a, long rs, long cs, const float* b, float* c, long ldc, int nc, float alpha,
                  float beta) {
  constexpr int NR = 16;
  float acc[M][NR];
  for (int i = 0; i < M; i++)
    for (int j = 0; j < NR; j++) acc[i][j] = 0.0f;
  for (long k = 0; k < K; k++) {
    const float* bk = b + k * NR;
    for (int i = 0; i < M; i++) {
      float av = a[i * rs + k * cs];
      for (int j = 0; j < NR; j++) acc[i][j] += av * bk[j];
    }
  }
  for (int i = 0; i < M; i++) {
    float* ci = c + i * ldc;
    if (beta == 0.0f) {
      for (int j = 0; j < nc; j++) ci[j] = alpha * acc[i][j];
    } else {
      for (int j = 0; j < nc; j++) ci[j] = alpha * acc[i][j] + beta * ci[j];
    }
  }
}

#if RWA_X86
template <int M>
RWA_AVX2 void ukr_avx2(long K, const float* a, long rs, long cs, const float* b, float* c, long ldc, int nc, float alpha,
                       float beta) {
  constexpr int NR = 16;
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
         c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const float* a0 = a;
  const float* a1 = a + rs;
  const float* a2 = a + 2 * rs;
  const float* a3 = a + 3 * rs;
  const float* a4 = a + 4 * rs;
  const float* a5 = a + 5 * rs;
  for (long k = 0; k < K; k++) {
    __m256 b0 = _mm256_loadu_ps(b);
    __m256 b1 = _mm256_loadu_ps(b + 8);
    b += NR;
    __m256 av;
    av = _mm256_broadcast_ss(a0);
    c00 = _mm256_fmadd_ps(av, b0, c00);
    c01 = _mm256_fmadd_ps(av, b1, c01);
    a0 += cs;
    if (M > 1) {
      av = _mm256_broadcast_ss(a1);
      c10 = _mm256_fmadd_ps(av, b0, c10);
      c11 = _mm256_fmadd_ps(av, b1, c11);
      a1 += cs;
    }
    if (M > 2) {
      av = _mm256_broadcast_ss(a2);
      c20 = _mm256_fmadd_ps(av, b0, c20);
      c21 = _mm256_fmadd_ps(av, b1, c21);
      a2 += cs;
    }
    if (M > 3) {
      av = _mm256_broadcast_ss(a3);
      c30 = _mm256_fmadd_ps(av, b0, c30);
      c31 = _mm256_fmadd_ps(av, b1, c31);
      a3 += cs;
    }
    if (M > 4) {
      av = _mm256_broadcast_ss(a4);
      c40 = _mm256_fmadd_ps(av, b0, c40);
      c41 = _mm256_fmadd_ps(av, b1, c41);
      a4 += cs;
    }
    if (M > 5) {
      av = _mm256_broadcast_ss(a5);
      c50 = _mm256_fmadd_ps(av, b0, c50);
      c51 = _mm256_fmadd_ps(av, b1, c51);
      a5 += cs;
    }
  }
  __m256 acc[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  for (int i = 0; i < M; i++) {
    float* ci = c + i * ldc;
    if (nc == NR) {
      if (beta == 0.0f) {
        _mm256_storeu_ps(ci, _mm256_mul_ps(va, acc[i][0]));
        _mm256_storeu_ps(ci + 8, _mm256_mul_ps(va, acc[i][1]));
      } else {
        _mm256_storeu_ps(ci, _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci), _mm256_mul_ps(va, acc[i][0])));
        _mm256_storeu_ps(ci + 8, _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci + 8), _mm256_mul_ps(va, acc[i][1])));
      }
    } else {
      float tmp[NR];
      _mm256_storeu_ps(tmp, _mm256_mul_ps(va, acc[i][0]));
      _mm256_storeu_ps(tmp + 8, _mm256_mul_ps(va, acc[i][1]));
      if (beta == 0.0f) {
        for (int j = 0; j < nc; j++) ci[j] = tmp[j];
      } else {
        for (int j = 0; j < nc; j++) ci[j] = __builtin_fmaf(beta, ci[j], tmp[j]);
      }
    }
  }
}

// AVX-512: 10 x 32 tile, twenty zmm accumulators; per k two panel loads and ten broadcasts. Row-major A
// keeps one pointer per row (indexed by k); strided A is one pointer stepping by cs.
template <int M, bool kRowMajor>
RWA_AVX512 void ukr_avx512(long K, const float* a, long rs, long cs, const float* b, float* c, long ldc, int nc,
                           float alpha, float beta) {
  __m512 acc0[M], acc1[M];
#pragma GCC unroll 16
  for (int i = 0; i < M; i++) acc0[i] = acc1[i] = _mm512_setzero_ps();
  if (kRowMajor) {
    const float* ap[M];
#pragma GCC unroll 16
    for (int i = 0; i < M; i++) ap[i] = a + i * rs;
    for (long k = 0; k < K; k++) {
      __m512 b0 = _mm512_loadu_ps(b + k * 32);
      __m512 b1 = _mm512_loadu_ps(b + k * 32 + 16);
#pragma GCC unroll 16
      for (int i = 0; i < M; i++) {
        __m512 av = _mm512_set1_ps(ap[i][k]);
        acc0[i] = _mm512_fmadd_ps(av, b0, acc0[i]);
        acc1[i] = _mm512_fmadd_ps(av, b1, acc1[i]);
      }
    }
  } else {
    for (long k = 0; k < K; k++) {
      __m512 b0 = _mm512_loadu_ps(b);
      __m512 b1 = _mm512_loadu_ps(b + 16);
      b += 32;
#pragma GCC unroll 16
      for (int i = 0; i < M; i++) {
        __m512 av = _mm512_set1_ps(a[i]);
        acc0[i] = _mm512_fmadd_ps(av, b0, acc0[i]);
        acc1[i] = _mm512_fmadd_ps(av, b1, acc1[i]);
      }
      a += cs;
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  const __mmask16 m0 = nc >= 16 ? 0xffff : static_cast<__mmask16>((1u << nc) - 1);
  const __mmask16 m1 = nc >= 32 ? 0xffff : nc <= 16 ? 0 : static_cast<__mmask16>((1u << (nc - 16)) - 1);
#pragma GCC unroll 16
  for (int i = 0; i < M; i++) {
    float* ci = c + i * ldc;
    __m512 r0 = _mm512_mul_ps(va, acc0[i]), r1 = _mm512_mul_ps(va, acc1[i]);
    if (beta != 0.0f) {
      r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, ci), r0);
      r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, ci + 16), r1);
    }
    _mm512_mask_storeu_ps(ci, m0, r0);
    _mm512_mask_storeu_ps(ci + 16, m1, r1);
  }
}
#endif

constexpr Kernels kPortable = {
    6, 16,
    {ukr_portable<1>, ukr_portable<2>, ukr_portable<3>, ukr_portable<4>, ukr_portable<5>, ukr_portable<6>},
    {ukr_portable<1>, ukr_portable<2>, ukr_portable<3>, ukr_portable<4>, ukr_portable<5>, ukr_portable<6>}};
#if RWA_X86
constexpr Kernels kAvx2 = {6, 16,
                           {ukr_avx2<1>, ukr_avx2<2>, ukr_avx2<3>, ukr_avx2<4>, ukr_avx2<5>, ukr_avx2<6>},
                           {ukr_avx2<1>, ukr_avx2<2>, ukr_avx2<3>, ukr_avx2<4>, ukr_avx2<5>, ukr_avx2<6>}};
constexpr Kernels kAvx512 = {
    10, 32,
    {ukr_avx512<1, true>, ukr_avx512<2, true>, ukr_avx512<3, true>, ukr_avx512<4, true>, ukr_avx512<5, true>,
     ukr_avx512<6, true>, ukr_avx512<7, true>, ukr_avx512<8, true>, ukr_avx512<9, true>, ukr_avx512<10, true>},
    {ukr_avx512<1, false>, ukr_avx512<2, false>, ukr_avx512<3, false>, ukr_avx512<4, false>, ukr_avx512<5, false>,
     ukr_avx512<6, false>, ukr_avx512<7, false>, ukr_avx512<8, false>, ukr_avx512<9, false>, ukr_avx512<10, false>}};
#endif

const Kernels& kernels(Isa isa) {
#if RWA_X86
  if (isa == Isa::Avx512) return kAvx512;
  if (isa == Isa::Avx2Fma) return kAvx2;
#endif
  (void)isa;
  return kPortable;
}

}  // namespace

int nr() { return kernels(active_isa()).nr; }

void PackedB::reset(long k) {
  K = k;
  isa = active_isa();
  nr = kernels(isa).nr;
  data.clear();
  col.clear();
  width.clear();
}

void pack_b(PackedB& pb, const float* src, long ld, bool trans, long ncols, long out_col) {
  const long K = pb.K;
  const int NR = pb.nr;
  for (long j0 = 0; j0 < ncols; j0 += NR) {
    int w = static_cast<int>(std::min<long>(NR, ncols - j0));
    size_t base = pb.data.size();
    pb.data.resize(base + static_cast<size_t>(K) * NR, 0.0f);
    float* dst = pb.data.data() + base;
    for (long k = 0; k < K; k++) {
      float* d = dst + k * NR;
      if (trans) {
        for (int j = 0; j < w; j++) d[j] = src[(j0 + j) * ld + k];
      } else {
        const float* s = src + k * ld + j0;
        for (int j = 0; j < w; j++) d[j] = s[j];
      }
    }
    pb.col.push_back(out_col + j0);
    pb.width.push_back(w);
  }
}

void gemm_rows(long rows, const float* A, long lda, const PackedB& B, float* C, long ldc, bool accumulate, long p0,
               long p1) {
  if (p1 < 0) p1 = B.panels();
  const Kernels& ks = kernels(B.isa);
  const int MR = ks.mr, NR = B.nr;
  const Ukr full = ks.rows[MR - 1];
  const Ukr tail = rows % MR ? ks.rows[rows % MR - 1] : nullptr;
  const long K = B.K;
  if (K == 0) {
    if (!accumulate)
      for (long p = p0; p < p1; p++)
        for (long r = 0; r < rows; r++)
          for (int j = 0; j < B.width[p]; j++) C[r * ldc + B.col[p] + j] = 0.0f;
    return;
  }
  // K in blocks of at most KC so a panel block (KC x NR) stays in L1 next to the A rows it meets
  const long nkb = (K + KC - 1) / KC;
  const long kb = (K + nkb - 1) / nkb;
  for (long p = p0; p < p1; p++) {
    float* cp = C + B.col[p];
    const int w = B.width[p];
    for (long k0 = 0; k0 < K; k0 += kb) {
      const long kc = std::min(kb, K - k0);
      const float* panel = B.data.data() + p * K * NR + k0 * NR;
      const float beta = (accumulate || k0 > 0) ? 1.0f : 0.0f;
      long r = 0;
      for (; r + MR <= rows; r += MR) full(kc, A + r * lda + k0, lda, 1, panel, cp + r * ldc, ldc, w, 1.0f, beta);
      if (r < rows) tail(kc, A + r * lda + k0, lda, 1, panel, cp + r * ldc, ldc, w, 1.0f, beta);
    }
  }
}

// C[i, n0:n1] = alpha sum_k op(A)(i, k) B(k, n0:n1) + beta C for a handful of rows: one pass over B.
static void small_m(bool ta, long M, long K, float alpha, const float* A, long lda, const float* B, long ldb, float beta,
                    float* C, long ldc, long n0, long n1) {
  const long n = n1 - n0;
  thread_local std::vector<float> acc;
  acc.assign(static_cast<size_t>(M * n), 0.0f);
  for (long k = 0; k < K; k++) {
    const float* __restrict bk = B + k * ldb + n0;
    for (long i = 0; i < M; i++) {
      const float a = ta ? A[k * lda + i] : A[i * lda + k];
      float* __restrict ci = acc.data() + i * n;
      for (long j = 0; j < n; j++) ci[j] += a * bk[j];
    }
  }
  for (long i = 0; i < M; i++) {
    float* ci = C + i * ldc + n0;
    const float* ai = acc.data() + i * n;
    if (beta == 0.0f) {
      for (long j = 0; j < n; j++) ci[j] = alpha * ai[j];
    } else {
      for (long j = 0; j < n; j++) ci[j] = alpha * ai[j] + beta * ci[j];
    }
  }
}

void sgemm_cols(bool ta, bool tb, long M, long N, long K, float alpha, const float* A, long lda, const float* B, long ldb,
                float beta, float* C, long ldc, long n0, long n1) {
  (void)N;
  if (M <= 0 || n1 <= n0) return;
  if (K <= 0) {
    for (long i = 0; i < M; i++)
      for (long j = n0; j < n1; j++) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
    return;
  }
  if (M <= 4 && !tb) return small_m(ta, M, K, alpha, A, lda, B, ldb, beta, C, ldc, n0, n1);
  const Kernels& ks = kernels(active_isa());
  const int MR = ks.mr, NR = ks.nr;
  const long MC = 16L * MR;
  thread_local std::vector<float> bbuf, abuf;
  bbuf.resize(static_cast<size_t>(KC) * NC);
  if (!ta) abuf.resize(static_cast<size_t>(KC) * MC);
  float* bp = bbuf.data();
  float* ap = abuf.data();
  for (long jc = n0; jc < n1; jc += NC) {
    long nc = std::min(NC, n1 - jc);
    long npan = (nc + NR - 1) / NR;
    for (long pc = 0; pc < K; pc += KC) {
      long kc = std::min(KC, K - pc);
      // pack op(B)[pc:pc+kc, jc:jc+nc] into kc x NR panels
      for (long p = 0; p < npan; p++) {
        float* d = bp + p * kc * NR;
        long j0 = jc + p * NR;
        int w = static_cast<int>(std::min<long>(NR, jc + nc - j0));
        for (long k = 0; k < kc; k++) {
          float* dk = d + k * NR;
          if (tb) {
            for (int j = 0; j < w; j++) dk[j] = B[(j0 + j) * ldb + pc + k];
          } else {
            const float* s = B + (pc + k) * ldb + j0;
            for (int j = 0; j < w; j++) dk[j] = s[j];
          }
          for (int j = w; j < NR; j++) dk[j] = 0.0f;
        }
      }
      float b_eff = pc == 0 ? beta : 1.0f;
      for (long ic = 0; ic < M; ic += MC) {
        long mc = std::min(MC, M - ic);
        long ntile = (mc + MR - 1) / MR;
        // op(A) = A^T is read in place: MR consecutive floats per k, like a packed tile with stride lda.
        // Otherwise pack op(A)[ic:ic+mc, pc:pc+kc] into tiles of kc x MR (k-major).
        if (!ta) {
          for (long t = 0; t < ntile; t++) {
            float* d = ap + t * kc * MR;
            long i0 = ic + t * MR;
            int h = static_cast<int>(std::min<long>(MR, ic + mc - i0));
            for (long k = 0; k < kc; k++) {
              float* dk = d + k * MR;
              for (int i = 0; i < h; i++) dk[i] = A[(i0 + i) * lda + pc + k];
              for (int i = h; i < MR; i++) dk[i] = 0.0f;
            }
          }
        }
        for (long p = 0; p < npan; p++) {
          long j0 = jc + p * NR;
          int w = static_cast<int>(std::min<long>(NR, jc + nc - j0));
          const float* panel = bp + p * kc * NR;
          for (long t = 0; t < ntile; t++) {
            long i0 = ic + t * MR;
            int h = static_cast<int>(std::min<long>(MR, ic + mc - i0));
            if (ta)
              ks.strided[h - 1](kc, A + pc * lda + i0, 1, lda, panel, C + i0 * ldc + j0, ldc, w, alpha, b_eff);
            else
              ks.strided[h - 1](kc, ap + t * kc * MR, 1, MR, panel, C + i0 * ldc + j0, ldc, w, alpha, b_eff);
          }
        }
      }
    }
  }
}

long packed_a_size(long M, long K) {
  const long MR = kernels(active_isa()).mr;
  return (M + MR - 1) / MR * MR * K;
}

long packed_b_size(long N, long K) {
  const long NR = nr();
  return (N + NR - 1) / NR * NR * K;
}

void pack_at(const float* A, long lda, long M, long nseg, long rows, long astride, float* dst) {
  const int MR = kernels(active_isa()).mr;
  const long K = nseg * rows;
  for (long i0 = 0; i0 < M; i0 += MR) {
    const int h = static_cast<int>(std::min<long>(MR, M - i0));
    float* d = dst + i0 * K;
    for (long s = 0; s < nseg; s++) {
      const float* a = A + s * astride + i0;
      for (long r = 0; r < rows; r++, d += MR) {
        const float* ar = a + r * lda;
        int i = 0;
        for (; i < h; i++) d[i] = ar[i];
        for (; i < MR; i++) d[i] = 0.0f;
      }
    }
  }
}

void pack_rows(const float* B, long ldb, long N, long nseg, long rows, long bstride, float* dst) {
  const int NR = nr();
  const long K = nseg * rows;
  for (long j0 = 0; j0 < N; j0 += NR) {
    const int w = static_cast<int>(std::min<long>(NR, N - j0));
    float* d = dst + j0 * K;
    for (long s = 0; s < nseg; s++) {
      const float* b = B + s * bstride + j0;
      for (long r = 0; r < rows; r++, d += NR) {
        const float* br = b + r * ldb;
        if (w == NR) {
          std::memcpy(d, br, NR * sizeof(float));
        } else {
          int j = 0;
          for (; j < w; j++) d[j] = br[j];
          for (; j < NR; j++) d[j] = 0.0f;
        }
      }
    }
  }
}

void gemm_packed_acc(long M, long N, long K, const float* apack, const float* bpack, float* C, long ldc) {
  if (K <= 0) return;
  const Kernels& ks = kernels(active_isa());
  const int MR = ks.mr, NR = ks.nr;
  for (long j0 = 0; j0 < N; j0 += NR) {
    const int w = static_cast<int>(std::min<long>(NR, N - j0));
    const float* panel = bpack + j0 * K;
    for (long i0 = 0; i0 < M; i0 += MR) {
      const int h = static_cast<int>(std::min<long>(MR, M - i0));
      ks.strided[h - 1](K, apack + i0 * K, 1, MR, panel, C + i0 * ldc + j0, ldc, w, 1.0f, 1.0f);
    }
  }
}

void sgemm(bool ta, bool tb, long M, long N, long K, float alpha, const float* A, long lda, const float* B, long ldb,
           float beta, float* C, long ldc, int threads) {
  const long NR = nr();
  long maxThreads = (N + NR - 1) / NR;
  int n = static_cast<int>(std::max<long>(1, std::min<long>(threads, maxThreads)));
  parallel_run(n, [&](int k) {
    long n0, n1;
    split_range(N, n, k, NR, &n0, &n1);
    sgemm_cols(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, n0, n1);
  });
}

}  // namespace gemm
}  // namespace rwa
