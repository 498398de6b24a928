// Which sanitizer this translation unit is built with: the macros
// SYNAPSED_ASAN and SYNAPSED_TSAN (defined or not), and kAddressSanitizer.
//
// GCC defines __SANITIZE_ADDRESS__ / __SANITIZE_THREAD__; Clang answers
// __has_feature. Code that must behave differently under a sanitizer (a
// buffer pool that would hide use-after-free from ASan, annotations TSan
// needs, test strides that keep a slow build inside its time budget) asks
// here instead of repeating the detection.

#ifndef SYNAPSED_UTIL_SANITIZERS_H_
#define SYNAPSED_UTIL_SANITIZERS_H_

#if defined(__SANITIZE_ADDRESS__)
#define SYNAPSED_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SYNAPSED_ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define SYNAPSED_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SYNAPSED_TSAN 1
#endif
#endif

namespace synapsed {

#ifdef SYNAPSED_ASAN
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif

}  // namespace synapsed

#endif  // SYNAPSED_UTIL_SANITIZERS_H_
