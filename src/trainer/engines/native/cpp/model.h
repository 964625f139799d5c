// A recurrent model living in the addon: parameters (flat layout of src/trainer/models/params.ts),
// gradients, Adam state, and what the forward pass stores for backward-through-time.
//
// Execution plan (B batch rows, T steps, L layers):
//  - forward: the batch rows are split between threads; each thread runs every step of every layer for
//    its own rows (sequences are independent), so there is no synchronisation inside the time loop.
//    Per step and layer: [x_t, h_{t-1}] (rows, I+N) times the packed weights, then the cell's
//    elementwise update.
//  - backward: one parallel region without barriers: each thread runs the hand-derived backward steps of
//    all layers for its own batch rows, from the last step, leaving the pre-activation gradients dP of
//    the last chunk_ steps; after each chunk it adds the weight gradients [X | H_prev]^T dP of its rows
//    (packed while still in its cache) into the accumulators (GradAcc) of their row blocks: a fixed
//    number of blocks (a power of two, blocks of at most 50 rows), whole blocks per thread, so the
//    backward pass uses at most that many threads. At the end the blocks are summed in order.
// Nothing depends on the thread count except which thread computes what: results are bit-identical
// for any number of threads.
#pragma once
#include <string>
#include <vector>

#include "common.h"
#include "sgemm.h"

namespace rwa {

enum class Cell { Rwa = 0, Lstm = 1, Gru = 2, Rda = 3 };

struct Spec {
  Cell cell;
  long F, N, L, O, K;
  bool attention = false;  // readout: attention over the top layer's h_s (attention.cc), else y = h Wo + bo
};

// Parameter count of the flat layout (params.ts); -1 if it overflows.
long param_count(const Spec& s);

struct Layer {
  long I = 0;   // input width (F for layer 0, N above)
  long W = 0;   // I + N: width of [x_t, h_{t-1}]
  long G = 0;   // pre-activation columns per row: rwa 3N [u|g|a], lstm 4N [i|f|g|o], gru 3N [z|r|h~],
                // rda 4N [u|g|a|gamma]
  long Wb = 0;  // width of the per-step input gradient: N for layer 0 (h only), W above ([x | h])
  long off[6] = {0, 0, 0, 0, 0, 0};  // parameter offsets, in params.ts order (rda: see rda.cc)
  gemm::PackedB fw, fw2, bw, bw2;    // packed weights for the forward and (transposed) backward products
  std::vector<float> wcat, gcat;     // rwa: [Wg | Wa] as one (W, 2N) matrix, and its gradient (rda: 3N)
  std::vector<float> hs;             // (slots + 1, B, N): h_{t-1} at slot t, h_t at slot t + 1
  std::vector<float> cs;             // lstm: c, same slots as hs
  std::vector<float> st[6];          // per-step stored activations (slots, B, *)
  std::vector<float> n, d, m;        // rwa and rda running state (B, N)
  std::vector<float> xh, xh2, pre;   // per-step scratch (B, W), (B, W), (B, G)
  std::vector<float> dhc, c1, c2;    // backward carries (B, N): dL/dh_{t-1}, and cell carries
  std::vector<float> dxh, dxh2;      // (B, Wb)
  std::vector<float> dx;             // (B, I): dL/dx_t handed to the layer below
  std::vector<float> dp;             // (chunk steps * B, G)
};

// The attention readout's stored activations and gradients (attention.cc); R = K*B query rows, k-major.
struct Attention {
  std::vector<float> hall;            // (T, B, N) top-layer h_t, evaluation forwards only (training reads hs)
  std::vector<float> q, alpha, ch, ht;  // (R, N) h_t^T Wa, (R, T) weights, (R, 2N) [c_t, h_t], (R, N) hTilde
  std::vector<float> da, dch, dq, dH;   // (R, N), (R, 2N), (R, N), and dL/dh_s (T, B, N) for the top layer
};

// A large product job of the weight-gradient phase: C (M x Ncols) += A^T B, A is (rows x M).
struct GradJob {
  const float* A;
  long lda, M;
  const float* B;
  long ldb, Ncols;
  float* C;
  long ldc;
};
struct BiasJob {
  const float* B;
  long ldb, Ncols;
  float* db;
};
// The weight-gradient accumulators of one block of batch rows (one per job, in job order).
struct GradAcc {
  std::vector<std::vector<float>> c, db;
  void reset(const std::vector<GradJob>& jobs, const std::vector<BiasJob>& bias, long maxRows);
  void add(const std::vector<GradJob>& jobs, const std::vector<BiasJob>& bias, long b0, long steps, long rows, long B);
};

class Model {
 public:
  Model(const Spec& spec, int threads);
  const Spec spec;
  const int threads;
  const long P;
  std::vector<float> params, grads, adam_m, adam_v;
  double adam_step = 0;

  // x (T, B, F); mask (T, B) or null; outputs (K, B, O); capture: pairs (batch row, hidden index) writing
  // top-layer h_t to hidden[index * T * N + t * N].
  void forward(const float* x, const float* mask, long T, long B, bool training, float* outputs,
               const std::vector<std::pair<long, long>>& capture, float* hidden);
  void backward(const float* dY);
  // Returns the gradient norm before clipping; clip <= 0 means no clipping.
  double adam(double lr, double b1, double b2, double eps, double clip);

  // What the last forward was (backward needs a training forward).
  bool have_training_forward() const { return trained_ && T_ > 0; }
  long last_T() const { return T_; }
  long last_B() const { return B_; }

  // Used by the cells.
  std::vector<Layer> layers;
  long T_ = 0, B_ = 0;
  bool training_ = false, trained_ = false;
  long chunk_ = 1;
  std::vector<float> xs, mask;  // copies of the batch (training)
  const float* xin = nullptr;   // layer-0 input of the current forward
  bool has_mask = false;
  std::vector<float> hk, dhk;   // top-layer h at the last K steps, and its gradient (K, B, N)
  Attention att;
  std::vector<std::vector<float>> tmp;  // per-thread scratch
  std::vector<GradAcc> gacc;            // weight-gradient accumulators per block of batch rows (backward)
  long slot(long t) const { return training_ ? t : (t & 1); }
  bool live(long t, long b) const { return !has_mask || mask_ptr_[t * B_ + b] != 0.0f; }
  const float* mask_ptr_ = nullptr;

 private:
  void allocate(long T, long B, bool training);
  void pack_forward();
  void pack_backward();
};

// Cell kernels (rwa.cc, lstm.cc, gru.cc, rda.cc).
void cell_pack_forward(Model& M, int l);
void cell_pack_backward(Model& M, int l);
void cell_forward_step(Model& M, int l, long t, long b0, long b1, float* tmp);
// ext: dL/dh_t from outside the layer's recurrence (readout or the layer above), rows indexed by b, or null.
void cell_backward_step(Model& M, int l, long t, long t0, long b0, long b1, const float* ext, float* tmp);
void cell_grad_jobs(Model& M, int l, long t0, long t1, std::vector<GradJob>& jobs, std::vector<BiasJob>& bias);
void cell_finish_backward(Model& M, int l);
long cell_stored_width(Cell cell, long N, int array);  // columns of st[array] (0: unused)

// The attention readout (attention.cc). H: the top layer's h_0..h_{T-1}, (T, B, N).
long attention_param_count(long N);
void attention_forward(Model& M, const float* H, float* outputs);
void attention_backward(Model& M, const float* H, const float* dY);  // fills grads of the head and att.dH

}  // namespace rwa
