// A small persistent thread pool: run(n, fn) calls fn(0..n-1) on the caller plus n-1 workers and
// returns when all are done. Workers sleep on a condition variable between regions (no spinning), so
// an idle pool costs nothing and cannot deadlock on an oversubscribed machine. Regions are serialised.
#pragma once
#include <functional>

namespace rwa {

void parallel_run(int n, const std::function<void(int)>& fn);

// Even split of [0, total) into n parts aligned to `align`; part k is [begin, end).
inline void split_range(long total, int n, int k, long align, long* begin, long* end) {
  long units = (total + align - 1) / align;
  long base = units / n, extra = units % n;
  long u0 = k * base + (k < extra ? k : extra);
  long u1 = u0 + base + (k < extra ? 1 : 0);
  *begin = u0 * align < total ? u0 * align : total;
  *end = u1 * align < total ? u1 * align : total;
}

}  // namespace rwa
