// Single-precision matrix products for the fused kernels.
//
// One register-blocked microkernel per instruction set (MR x NR: AVX-512 10 x 32, twenty accumulators;
// AVX2 6 x 16, twelve; or a portable 6 x 16 C++ form the compiler vectorises) serves two drivers:
//  - gemm_rows: the per-time-step product rows(A) x W with W packed once per call into K x NR panels
//    (PackedB). A is read in place (row-major), so a thread can multiply just its own batch rows.
//  - sgemm / sgemm_cols: a general blocked product C = alpha op(A) op(B) + beta C (Goto-style packing,
//    KC x MC x NC blocks), used for the weight gradients over many time steps at once.
// Every element of C is accumulated over k in the same order whatever the thread split, so results do
// not depend on the number of threads.
#pragma once
#include <vector>

#include "common.h"

namespace rwa {
namespace gemm {

// Panel width (NR) of the active instruction set's kernel: column splits between threads align to it.
int nr();

struct PackedB {
  long K = 0;
  Isa isa = Isa::Portable;  // the kernel it was packed for (reset takes the active one)
  int nr = 16;              // its panel width
  std::vector<float> data;  // panels of K x nr, zero-padded
  std::vector<long> col;    // output column of each panel's first column
  std::vector<int> width;   // valid columns of each panel (1..nr)
  long panels() const { return static_cast<long>(col.size()); }
  void reset(long k);
};

// Appends columns j in [0, ncols) of a K x ncols matrix M (M(k, j) = trans ? src[j*ld + k] : src[k*ld + j]),
// to be written at output columns out_col + j.
void pack_b(PackedB& pb, const float* src, long ld, bool trans, long ncols, long out_col);

// C[r, col] (=|+=) sum_k A[r, k] B[k, col] for rows r < rows and panels [p0, p1) of B (p1 < 0: all).
void gemm_rows(long rows, const float* A, long lda, const PackedB& B, float* C, long ldc, bool accumulate, long p0 = 0,
               long p1 = -1);

// C = alpha op(A) op(B) + beta C for the columns [n0, n1) of C only; op(A) is M x K, op(B) is K x N.
// beta = 0 never reads C.
void sgemm_cols(bool ta, bool tb, long M, long N, long K, float alpha, const float* A, long lda, const float* B, long ldb,
                float beta, float* C, long ldc, long n0, long n1);

// Weight-gradient products C += A^T B over row segments (the backward pass's own batch rows of a few steps):
// segment s holds `rows` rows starting at A + s*astride (row stride lda) and B + s*bstride (stride ldb).
// Both operands are packed first (rows in segment order), so C's elements are summed over the rows in
// that order. The buffers are sized by the packers (floats: packed_a_size / packed_b_size).
long packed_a_size(long M, long K);
long packed_b_size(long N, long K);
// A^T (M x K) into tiles of MR rows; B (K x N) into panels of nr() columns, zero-padded.
void pack_at(const float* A, long lda, long M, long nseg, long rows, long astride, float* dst);
void pack_rows(const float* B, long ldb, long N, long nseg, long rows, long bstride, float* dst);
// C (M x N, row stride ldc) += packed A^T x packed B, K = nseg * rows.
void gemm_packed_acc(long M, long N, long K, const float* apack, const float* bpack, float* C, long ldc);

// The whole product on `threads` threads (columns split in multiples of nr()).
void sgemm(bool ta, bool tb, long M, long N, long K, float alpha, const float* A, long lda, const float* B, long ldb,
           float beta, float* C, long ldc, int threads);

}  // namespace gemm
}  // namespace rwa
