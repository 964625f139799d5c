// Shared definitions for the rwa_native addon: instruction-set selection and small helpers.
#pragma once
#include <cstddef>
#include <cstdint>

// RWA_NO_X86 builds only the portable kernels (used to check the path ARM64 takes).
#if (defined(__x86_64__) || defined(_M_X64)) && !defined(RWA_NO_X86)
#define RWA_X86 1
#define RWA_AVX2 __attribute__((target("avx2,fma")))
#define RWA_AVX512 __attribute__((target("avx512f,avx2,fma")))
#else
#define RWA_X86 0
#endif

namespace rwa {

// Avx512 is AVX-512F (with AVX2/FMA): the same algorithms on 16-float vectors, matrix panels 32 wide.
enum class Isa { Portable = 0, Avx2Fma = 1, Avx512 = 2 };

// The instruction set the kernels use; chosen once from CPU detection (the widest available),
// overridable for tests. set_isa falls back to the widest one the CPU has at or below the request.
Isa active_isa();
bool cpu_has_avx2_fma();
bool cpu_has_avx512();
void set_isa(Isa isa);
const char* isa_name(Isa isa);

using i64 = std::int64_t;

}  // namespace rwa
