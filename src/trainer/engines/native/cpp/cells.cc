// Dispatch from the model driver to the cell kernels.
#include "model.h"

namespace rwa {

#define RWA_DECLARE_CELL(name)                                                                                  \
  void name##_pack_forward(Model&, int);                                                                        \
  void name##_pack_backward(Model&, int);                                                                       \
  void name##_forward_step(Model&, int, long, long, long, float*);                                              \
  void name##_backward_step(Model&, int, long, long, long, long, const float*, float*);                         \
  void name##_grad_jobs(Model&, int, long, long, std::vector<GradJob>&, std::vector<BiasJob>&);
RWA_DECLARE_CELL(rwa)
RWA_DECLARE_CELL(lstm)
RWA_DECLARE_CELL(gru)
RWA_DECLARE_CELL(rda)
void rwa_finish_backward(Model&, int);
void rda_finish_backward(Model&, int);

#define RWA_DISPATCH(fn, ...)                                  \
  switch (M.spec.cell) {                                       \
    case Cell::Rwa: return rwa_##fn(__VA_ARGS__);              \
    case Cell::Lstm: return lstm_##fn(__VA_ARGS__);            \
    case Cell::Gru: return gru_##fn(__VA_ARGS__);              \
    case Cell::Rda: return rda_##fn(__VA_ARGS__);              \
  }

void cell_pack_forward(Model& M, int l) { RWA_DISPATCH(pack_forward, M, l) }
void cell_pack_backward(Model& M, int l) { RWA_DISPATCH(pack_backward, M, l) }
void cell_forward_step(Model& M, int l, long t, long b0, long b1, float* tmp) {
  RWA_DISPATCH(forward_step, M, l, t, b0, b1, tmp)
}
void cell_backward_step(Model& M, int l, long t, long t0, long b0, long b1, const float* ext, float* tmp) {
  RWA_DISPATCH(backward_step, M, l, t, t0, b0, b1, ext, tmp)
}
void cell_grad_jobs(Model& M, int l, long t0, long t1, std::vector<GradJob>& jobs, std::vector<BiasJob>& bias) {
  RWA_DISPATCH(grad_jobs, M, l, t0, t1, jobs, bias)
}
void cell_finish_backward(Model& M, int l) {
  if (M.spec.cell == Cell::Rwa) rwa_finish_backward(M, l);
  if (M.spec.cell == Cell::Rda) rda_finish_backward(M, l);
}

long cell_stored_width(Cell cell, long N, int a) {
  switch (cell) {
    case Cell::Rwa: return a < 5 ? N : 0;           // u, tanh(g), ws (w and sp, rwa.cc), d, r
    case Cell::Lstm: return a == 0 ? 4 * N : a == 1 ? N : 0;  // gates, tanh(c)
    case Cell::Gru: return a < 4 ? N : 0;           // z, r, h~, r h_{t-1}
    case Cell::Rda: return a == 2 || a == 3 || a == 5 ? 2 * N : a < 6 ? N : 0;  // see rda.cc
  }
  return 0;
}

}  // namespace rwa
