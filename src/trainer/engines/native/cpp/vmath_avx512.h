// AVX-512F forms of exp, tanh and sigmoid on 16 floats (the algorithms of vmath.cc, same constants),
// inline so the fused cell kernels (rwa.cc) can use them inside their own loops. Only AVX-512F
// instructions (bit operations through the integer forms), for every AVX-512 CPU.
#pragma once
#include "common.h"

#if RWA_X86
#include <immintrin.h>

#include "vmath_poly.h"

// GCC 12 reports the _mm512_undefined_* inside several AVX-512 intrinsics as maybe-uninitialized.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace rwa {
namespace v512 {

using namespace vm::poly;

RWA_AVX512 inline __m512 set1(float v) { return _mm512_set1_ps(v); }

RWA_AVX512 inline __m512 exp16(__m512 x) {
  const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
  __m512 xc = _mm512_max_ps(_mm512_min_ps(x, set1(kExpHi)), set1(kExpLo));
  __m512 nf = _mm512_roundscale_ps(_mm512_mul_ps(xc, set1(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(nf, set1(kLn2Hi), xc);
  r = _mm512_fnmadd_ps(nf, set1(kLn2Lo), r);
  __m512 p = set1(kP0);
  p = _mm512_fmadd_ps(p, r, set1(kP1));
  p = _mm512_fmadd_ps(p, r, set1(kP2));
  p = _mm512_fmadd_ps(p, r, set1(kP3));
  p = _mm512_fmadd_ps(p, r, set1(kP4));
  p = _mm512_fmadd_ps(p, r, set1(kP5));
  __m512 y = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, set1(1.0f)));
  __m512i n = _mm512_cvtps_epi32(nf);
  __m512i n1 = _mm512_srai_epi32(n, 1);
  __m512i n2 = _mm512_sub_epi32(n, n1);
  __m512i bias = _mm512_set1_epi32(127);
  y = _mm512_mul_ps(y, _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n1, bias), 23)));
  y = _mm512_mul_ps(y, _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n2, bias), 23)));
  return _mm512_mask_blend_ps(nan, y, x);
}

RWA_AVX512 inline __m512 abs16(__m512 x) {
  return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fffffff)));
}

RWA_AVX512 inline __m512 tanh16(__m512 x) {
  const __m512i sign = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(static_cast<int>(0x80000000u)));
  __m512 ax = abs16(x);
  __m512 z = _mm512_mul_ps(ax, ax);
  __m512 p = set1(kT0);
  p = _mm512_fmadd_ps(p, z, set1(kT1));
  p = _mm512_fmadd_ps(p, z, set1(kT2));
  p = _mm512_fmadd_ps(p, z, set1(kT3));
  p = _mm512_fmadd_ps(p, z, set1(kT4));
  __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(p, z), ax, ax);
  __m512 e = exp16(_mm512_add_ps(ax, ax));
  __m512 one = set1(1.0f);
  __m512 large = _mm512_sub_ps(one, _mm512_div_ps(set1(2.0f), _mm512_add_ps(e, one)));
  __m512 y = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(ax, set1(0.625f), _CMP_LT_OQ), large, small);
  return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(y), sign));  // NaN stays NaN (large is NaN)
}

RWA_AVX512 inline __m512 sigmoid16(__m512 x) {
  __m512 ax = abs16(x);
  __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), ax));
  __m512 s = _mm512_div_ps(set1(1.0f), _mm512_add_ps(set1(1.0f), e));
  const __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  return _mm512_mask_blend_ps(neg, s, _mm512_mul_ps(e, s));  // NaN: s is NaN
}

}  // namespace v512
}  // namespace rwa
#endif
