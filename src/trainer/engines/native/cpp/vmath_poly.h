// Constants of the exp / tanh approximations (vmath.cc, vmath_avx512.h): one copy for every implementation.
#pragma once

namespace rwa {
namespace vm {
namespace poly {

constexpr float kExpHi = 89.0f;     // above ln(FLT_MAX): 2^n overflows to +inf
constexpr float kExpLo = -104.0f;   // below ln(smallest subnormal / 2): result 0
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f;
constexpr float kLn2Lo = -2.12194440e-4f;
constexpr float kP0 = 1.9875691500e-4f, kP1 = 1.3981999507e-3f, kP2 = 8.3334519073e-3f, kP3 = 4.1665795894e-2f,
                kP4 = 1.6666665459e-1f, kP5 = 5.0000001201e-1f;
constexpr float kT0 = -5.70498872745e-3f, kT1 = 2.06390887954e-2f, kT2 = -5.37397155531e-2f, kT3 = 1.33314422036e-1f,
                kT4 = -3.33332819422e-1f;

}  // namespace poly
}  // namespace vm
}  // namespace rwa
