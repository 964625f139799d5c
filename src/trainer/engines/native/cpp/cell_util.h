// Helpers shared by the cell kernels (rwa.cc, lstm.cc, gru.cc, rda.cc).
#pragma once
#include <cstring>

#include "model.h"

namespace rwa {

// Layer l's input x_t (B, I) for step t: the batch for layer 0, else h_t of the layer below.
inline const float* layer_input(const Model& M, int l, long t) {
  if (l == 0) return M.xin + t * M.B_ * M.spec.F;
  return M.layers[l - 1].hs.data() + M.slot(t + 1) * M.B_ * M.spec.N;
}

// Rows [b0, b1) of dst (row stride W) = [x_t row | h row].
inline void concat_rows(float* dst, long W, const float* x, long I, const float* h, long N, long b0, long b1) {
  for (long b = b0; b < b1; b++) {
    std::memcpy(dst + b * W, x + b * I, I * sizeof(float));
    std::memcpy(dst + b * W + I, h + b * N, N * sizeof(float));
  }
}

// Rows of the per-step input gradient dxh (B, Wb) go to the carried dL/dh_{t-1} (live rows only: a frozen
// row keeps dL/dh_t, already in dhc) and, above layer 0, to dL/dx_t for the layer below.
inline void scatter_dxh(Model& M, Layer& Ly, int l, long t, long b0, long b1) {
  const long N = M.spec.N, I = Ly.I, Wb = Ly.Wb, hoff = l == 0 ? 0 : I;
  for (long b = b0; b < b1; b++) {
    const float* row = Ly.dxh.data() + b * Wb;
    if (M.live(t, b)) std::memcpy(Ly.dhc.data() + b * N, row + hoff, N * sizeof(float));
    if (l > 0) std::memcpy(Ly.dx.data() + b * I, row, I * sizeof(float));
  }
}

// dh_t (in dhc, rows b) += ext rows.
inline void add_ext(float* __restrict dh, const float* __restrict ext, long N) {
  if (!ext) return;
  for (long j = 0; j < N; j++) dh[j] += ext[j];
}

}  // namespace rwa
