// See vmath.h. Algorithms (Cephes-style):
//   exp(x): n = round(x / ln2), r = x - n ln2 (two-part ln2), e^r by a degree-6 polynomial,
//           scaled by 2^n as two factors 2^(n/2) 2^(n - n/2) so subnormal and overflow results are right.
//   tanh(x): odd polynomial for |x| < 0.625, else sign(x) (1 - 2 / (e^{2|x|} + 1)).
//   sigmoid(x): e = e^{-|x|}, s = 1 / (1 + e); x >= 0 ? s : e s (no overflow, tiny results stay accurate).
#include "vmath.h"

#include <cstring>

#include "vmath_poly.h"

#if RWA_X86
#include <immintrin.h>

#include "vmath_avx512.h"
#endif

namespace rwa {
namespace vm {
namespace {

using namespace poly;  // the constants (vmath_poly.h)

inline float bits_to_float(std::int32_t i) {
  float f;
  std::memcpy(&f, &i, 4);
  return f;
}

// ---- portable scalar forms, written branch-free so loops over them vectorise ----
inline float exp_p(float x) {
  bool nan = x != x;
  float xc = nan ? 0.0f : (x > kExpHi ? kExpHi : (x < kExpLo ? kExpLo : x));
  float t = xc * kLog2e;
  std::int32_t n = static_cast<std::int32_t>(t + (t >= 0.0f ? 0.5f : -0.5f));
  float nf = static_cast<float>(n);
  float r = xc - nf * kLn2Hi;
  r = r - nf * kLn2Lo;
  float p = kP0;
  p = p * r + kP1;
  p = p * r + kP2;
  p = p * r + kP3;
  p = p * r + kP4;
  p = p * r + kP5;
  float y = p * r * r + r + 1.0f;
  std::int32_t n1 = n / 2;
  std::int32_t n2 = n - n1;
  y = y * bits_to_float((n1 + 127) << 23);
  y = y * bits_to_float((n2 + 127) << 23);
  return nan ? x : y;
}

inline float tanh_p(float x) {
  float ax = x < 0.0f ? -x : x;
  float z = ax * ax;
  float small = (((((kT0 * z + kT1) * z + kT2) * z + kT3) * z + kT4) * z) * ax + ax;
  float e = exp_p(2.0f * ax);
  float large = 1.0f - 2.0f / (e + 1.0f);
  float y = ax < 0.625f ? small : large;
  return x < 0.0f ? -y : (x != x ? x : y);
}

inline float sigmoid_p(float x) {
  float ax = x < 0.0f ? -x : x;
  float e = exp_p(-ax);
  float s = 1.0f / (1.0f + e);
  return x >= 0.0f ? s : (x != x ? x : e * s);
}

void exp_portable(float* dst, const float* src, long n) {
  for (long i = 0; i < n; i++) dst[i] = exp_p(src[i]);
}
void tanh_portable(float* dst, const float* src, long n) {
  for (long i = 0; i < n; i++) dst[i] = tanh_p(src[i]);
}
void sigmoid_portable(float* dst, const float* src, long n) {
  for (long i = 0; i < n; i++) dst[i] = sigmoid_p(src[i]);
}

#if RWA_X86
RWA_AVX2 inline __m256 exp8(__m256 x) {
  __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
  __m256 xc = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(kExpHi)), _mm256_set1_ps(kExpLo));
  __m256 nf = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(nf, _mm256_set1_ps(kLn2Hi), xc);
  r = _mm256_fnmadd_ps(nf, _mm256_set1_ps(kLn2Lo), r);
  __m256 p = _mm256_set1_ps(kP0);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP1));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP2));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP3));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP4));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP5));
  __m256 y = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  __m256i n = _mm256_cvtps_epi32(nf);
  __m256i n1 = _mm256_srai_epi32(n, 1);
  __m256i n2 = _mm256_sub_epi32(n, n1);
  __m256i bias = _mm256_set1_epi32(127);
  y = _mm256_mul_ps(y, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23)));
  y = _mm256_mul_ps(y, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23)));
  return _mm256_blendv_ps(y, x, nan);
}

RWA_AVX2 inline __m256 tanh8(__m256 x) {
  __m256 sign = _mm256_and_ps(x, _mm256_set1_ps(-0.0f));
  __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
  __m256 z = _mm256_mul_ps(ax, ax);
  __m256 p = _mm256_set1_ps(kT0);
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(kT1));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(kT2));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(kT3));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(kT4));
  __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), ax, ax);
  __m256 e = exp8(_mm256_add_ps(ax, ax));
  __m256 one = _mm256_set1_ps(1.0f);
  __m256 large = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
  __m256 y = _mm256_blendv_ps(large, small, _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
  return _mm256_or_ps(y, sign);  // NaN stays NaN (large is NaN)
}

RWA_AVX2 inline __m256 sigmoid8(__m256 x) {
  __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
  __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), ax));
  __m256 s = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
  __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
  return _mm256_blendv_ps(s, _mm256_mul_ps(e, s), neg);  // NaN: s is NaN
}

template <__m256 (*F)(__m256)>
RWA_AVX2 void run_avx2(float* dst, const float* src, long n) {
  long i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, F(_mm256_loadu_ps(src + i)));
  if (i < n) {
    float tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (long k = i; k < n; k++) tmp[k - i] = src[k];
    _mm256_storeu_ps(tmp, F(_mm256_loadu_ps(tmp)));
    for (long k = i; k < n; k++) dst[k] = tmp[k - i];
  }
}

RWA_AVX2 void exp_avx2(float* dst, const float* src, long n) { run_avx2<exp8>(dst, src, n); }
RWA_AVX2 void tanh_avx2(float* dst, const float* src, long n) { run_avx2<tanh8>(dst, src, n); }
RWA_AVX2 void sigmoid_avx2(float* dst, const float* src, long n) { run_avx2<sigmoid8>(dst, src, n); }

// AVX-512 (vmath_avx512.h: exp16, tanh16, sigmoid16); the row tail uses masked loads and stores.
template <__m512 (*F)(__m512)>
RWA_AVX512 void run_avx512(float* dst, const float* src, long n) {
  long i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, F(_mm512_loadu_ps(src + i)));
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(dst + i, m, F(_mm512_maskz_loadu_ps(m, src + i)));
  }
}

RWA_AVX512 void exp_avx512(float* dst, const float* src, long n) { run_avx512<v512::exp16>(dst, src, n); }
RWA_AVX512 void tanh_avx512(float* dst, const float* src, long n) { run_avx512<v512::tanh16>(dst, src, n); }
RWA_AVX512 void sigmoid_avx512(float* dst, const float* src, long n) { run_avx512<v512::sigmoid16>(dst, src, n); }
#endif

}  // namespace

void apply(Fn fn, Isa isa, float* dst, const float* src, long n) {
#if RWA_X86
  if (isa == Isa::Avx512) {
    switch (fn) {
      case Fn::Exp: return exp_avx512(dst, src, n);
      case Fn::Tanh: return tanh_avx512(dst, src, n);
      case Fn::Sigmoid: return sigmoid_avx512(dst, src, n);
    }
  }
  if (isa == Isa::Avx2Fma) {
    switch (fn) {
      case Fn::Exp: return exp_avx2(dst, src, n);
      case Fn::Tanh: return tanh_avx2(dst, src, n);
      case Fn::Sigmoid: return sigmoid_avx2(dst, src, n);
    }
  }
#endif
  (void)isa;
  switch (fn) {
    case Fn::Exp: return exp_portable(dst, src, n);
    case Fn::Tanh: return tanh_portable(dst, src, n);
    case Fn::Sigmoid: return sigmoid_portable(dst, src, n);
  }
}

void exp(float* dst, const float* src, long n) { apply(Fn::Exp, active_isa(), dst, src, n); }
void tanh(float* dst, const float* src, long n) { apply(Fn::Tanh, active_isa(), dst, src, n); }
void sigmoid(float* dst, const float* src, long n) { apply(Fn::Sigmoid, active_isa(), dst, src, n); }

}  // namespace vm
}  // namespace rwa
