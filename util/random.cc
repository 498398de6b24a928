#include "util/random.h"

#include <chrono>
#include <functional>
#include <random>
#include <thread>

namespace synapsed {

uint64_t RandomUnique64() {
  // One std::random_device per thread, once: constructing one can open
  // /dev/urandom, which cost a flush of a small table more than its data.
  thread_local Random generator([] {
    std::random_device rd;
    const uint64_t entropy = (static_cast<uint64_t>(rd()) << 32) ^ rd();
    const uint64_t clock =
        static_cast<uint64_t>(std::chrono::high_resolution_clock::now().time_since_epoch().count());
    return entropy ^ (clock * 0x9E3779B97F4A7C15ull) ^
           std::hash<std::thread::id>()(std::this_thread::get_id());
  }());
  return generator.Next64();
}

}  // namespace synapsed
