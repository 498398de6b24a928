// FunctionRef: a non-owning reference to a callable, for callbacks on hot
// paths. std::function copies a lambda that captures more than two
// pointers to the heap on every call that builds one; a FunctionRef is two
// words and never allocates.
//
// Lifetime: it refers to the callable it was made from, which must outlive
// every call through it. Bind it to a parameter (a lambda passed in place
// lives until the full expression ends), never store one.
#ifndef SYNAPSED_UTIL_FUNCTION_REF_H_
#define SYNAPSED_UTIL_FUNCTION_REF_H_

#include <memory>
#include <type_traits>
#include <utility>

namespace synapsed {

template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef> &&
                                                    std::is_invocable_r_v<R, F&, Args...>>>
  FunctionRef(F&& f) noexcept  // NOLINT(google-explicit-constructor): used as a parameter
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

}  // namespace synapsed

#endif  // SYNAPSED_UTIL_FUNCTION_REF_H_
