// FUZZ_CHECK(cond): aborts with the file, line and condition when cond is
// false, so libFuzzer saves the input as a crash. For invariants a fuzz
// target checks on what the code under test returned.
// FUZZ_CHECK_STATUS(cond, status): the same, and prints the Status too.
#ifndef SYNAPSED_FUZZ_FUZZ_CHECK_H_
#define SYNAPSED_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

#define FUZZ_CHECK_STATUS(cond, status)                                                         \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      std::fprintf(stderr, "%s:%d: check failed: %s (status: %s)\n", __FILE__, __LINE__, #cond, \
                   (status).ToString().c_str());                                                \
      std::abort();                                                                             \
    }                                                                                           \
  } while (0)

#endif  // SYNAPSED_FUZZ_FUZZ_CHECK_H_
