// Vectorised elementwise maths over float arrays: exp, tanh, sigmoid. Accurate to a few ulp over the
// whole float range (subnormal results included), NaN in gives NaN out, +-Inf give the limits.
// Each has an AVX2/FMA version (intrinsics) and a portable branch-free version the compiler vectorises;
// the active instruction set (common.h) picks one. dst may equal src.
#pragma once
#include "common.h"

namespace rwa {
namespace vm {

void exp(float* dst, const float* src, long n);
void tanh(float* dst, const float* src, long n);
void sigmoid(float* dst, const float* src, long n);

// Test hook: run one function with an explicit implementation.
enum class Fn { Exp, Tanh, Sigmoid };
void apply(Fn fn, Isa isa, float* dst, const float* src, long n);

}  // namespace vm
}  // namespace rwa
