// Clang thread-safety annotations (-Wthread-safety). No-ops elsewhere.
#ifndef SYNAPSED_UTIL_THREAD_ANNOTATIONS_H_
#define SYNAPSED_UTIL_THREAD_ANNOTATIONS_H_

#if defined(__clang__)
#define SYNAPSED_TSA(x) __attribute__((x))
#else
#define SYNAPSED_TSA(x)
#endif

#define CAPABILITY(x) SYNAPSED_TSA(capability(x))
#define SCOPED_CAPABILITY SYNAPSED_TSA(scoped_lockable)
#define GUARDED_BY(x) SYNAPSED_TSA(guarded_by(x))
#define PT_GUARDED_BY(x) SYNAPSED_TSA(pt_guarded_by(x))
#define ACQUIRED_AFTER(...) SYNAPSED_TSA(acquired_after(__VA_ARGS__))
#define REQUIRES(...) SYNAPSED_TSA(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) SYNAPSED_TSA(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) SYNAPSED_TSA(acquire_capability(__VA_ARGS__))
#define RELEASE(...) SYNAPSED_TSA(release_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) SYNAPSED_TSA(try_acquire_capability(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) SYNAPSED_TSA(assert_capability(x))
#define NO_THREAD_SAFETY_ANALYSIS SYNAPSED_TSA(no_thread_safety_analysis)

#endif  // SYNAPSED_UTIL_THREAD_ANNOTATIONS_H_
