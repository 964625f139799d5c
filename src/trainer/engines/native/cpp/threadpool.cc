// See threadpool.h. The pool is created on first use and intentionally never destroyed: its workers
// block on a condition variable and the process may exit at any moment (exit() from JS) without
// joining them.
#include "threadpool.h"

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace rwa {
namespace {

class Pool {
 public:
  void run(int n, const std::function<void(int)>& fn) {
    std::lock_guard<std::mutex> region(region_mutex_);
    if (n <= 1) {
      fn(0);
      return;
    }
    while (static_cast<int>(workers_.size()) < n - 1) {
      int index = static_cast<int>(workers_.size()) + 1;
      workers_.emplace_back([this, index] { loop(index); });
      workers_.back().detach();
    }
    {
      std::lock_guard<std::mutex> lk(m_);
      job_ = &fn;
      active_ = n;
      remaining_ = n - 1;
      error_ = nullptr;
      ++generation_;
    }
    work_cv_.notify_all();
    std::exception_ptr mine;
    try {
      fn(0);
    } catch (...) {
      mine = std::current_exception();
    }
    std::unique_lock<std::mutex> lk(m_);
    done_cv_.wait(lk, [this] { return remaining_ == 0; });
    job_ = nullptr;
    if (mine) std::rethrow_exception(mine);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void loop(int index) {
    std::uint64_t seen = 0;
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      work_cv_.wait(lk, [&] { return generation_ != seen; });
      seen = generation_;
      if (index >= active_) continue;
      const std::function<void(int)>* job = job_;
      lk.unlock();
      std::exception_ptr err;
      try {
        (*job)(index);
      } catch (...) {
        err = std::current_exception();
      }
      lk.lock();
      if (err && !error_) error_ = err;
      if (--remaining_ == 0) done_cv_.notify_one();
    }
  }

  std::mutex region_mutex_;
  std::mutex m_;
  std::condition_variable work_cv_, done_cv_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* job_ = nullptr;
  int active_ = 0;
  int remaining_ = 0;
  std::uint64_t generation_ = 0;
  std::exception_ptr error_;
};

Pool& pool() {
  static Pool* p = new Pool();  // leaked on purpose, see the file comment
  return *p;
}

}  // namespace

void parallel_run(int n, const std::function<void(int)>& fn) { pool().run(n, fn); }

}  // namespace rwa
