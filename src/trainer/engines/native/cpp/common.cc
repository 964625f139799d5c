// CPU detection and the process-wide choice of instruction set.
#include "common.h"

#include <atomic>

namespace rwa {
namespace {
std::atomic<int> g_isa{-1};
}

bool cpu_has_avx2_fma() {
#if RWA_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

// __builtin_cpu_supports also checks that the OS saves the vector state (XCR0) for AVX and AVX-512.
bool cpu_has_avx512() {
#if RWA_X86
  return cpu_has_avx2_fma() && __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

Isa active_isa() {
  int v = g_isa.load(std::memory_order_relaxed);
  if (v < 0) {
    v = static_cast<int>(cpu_has_avx512() ? Isa::Avx512 : cpu_has_avx2_fma() ? Isa::Avx2Fma : Isa::Portable);
    g_isa.store(v, std::memory_order_relaxed);
  }
  return static_cast<Isa>(v);
}

void set_isa(Isa isa) {
  if (isa == Isa::Avx512 && !cpu_has_avx512()) isa = Isa::Avx2Fma;
  if (isa == Isa::Avx2Fma && !cpu_has_avx2_fma()) isa = Isa::Portable;
  g_isa.store(static_cast<int>(isa), std::memory_order_relaxed);
}

const char* isa_name(Isa isa) {
  return isa == Isa::Avx512 ? "avx512" : isa == Isa::Avx2Fma ? "avx2-fma" : "portable";
}

}  // namespace rwa
