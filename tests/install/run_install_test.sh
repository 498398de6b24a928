#!/usr/bin/env bash
# install_consumer: installs the build tree into a fresh prefix and proves a
# downstream project can use it, both through find_package(synapsed) and
# through pkg-config. Run by ctest (see tests/CMakeLists.txt).
#
# Usage: run_install_test.sh BINARY_DIR SOURCE_DIR CXX CONFIG PKG_CONFIG
#                            LIBDIR SHARED CXX_FLAGS EXE_LINKER_FLAGS
#   CXX, CXX_FLAGS, EXE_LINKER_FLAGS are the main build's: a library built with
#   sanitizers can only be linked by a program built with them too.
#   LIBDIR is CMAKE_INSTALL_LIBDIR (relative); SHARED is 1 if libsynapsed is shared.
set -euo pipefail

if [[ $# -ne 9 ]]; then
  echo "usage: $0 BINARY_DIR SOURCE_DIR CXX CONFIG PKG_CONFIG LIBDIR SHARED CXX_FLAGS EXE_LINKER_FLAGS" >&2
  exit 2
fi
binary_dir=$1 source_dir=$2 cxx=$3 config=$4 pkg_config=$5 libdir=$6 shared=$7
read -r -a cxx_flags <<<"$8"
read -r -a exe_linker_flags <<<"$9"
cmake=${CMAKE_COMMAND:-cmake}
consumer_src=$source_dir/tests/install/consumer

tmp=$(mktemp -d "${TMPDIR:-/tmp}/synapsed_install_test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "==== $*"; }

step "install $binary_dir -> $prefix"
"$cmake" --install "$binary_dir" --prefix "$prefix" --config "$config"

step "check the installed tree"
# Exactly the public headers, nothing from the internal modules.
diff <(cd "$source_dir/include/synapsed" && ls -1 -- *.h) \
     <(cd "$prefix/include/synapsed" && ls -1) ||
  fail "installed headers differ from include/synapsed/*.h"
[[ -z $(find "$prefix" -name '*testutil*' -print -quit) ]] || fail "test-only code was installed"
[[ -f $prefix/$libdir/pkgconfig/synapsed.pc ]] || fail "no $libdir/pkgconfig/synapsed.pc"
for f in synapsedConfig.cmake synapsedConfigVersion.cmake synapsedTargets.cmake; do
  [[ -f $prefix/$libdir/cmake/synapsed/$f ]] || fail "no $libdir/cmake/synapsed/$f"
done
if [[ $shared == 1 ]]; then
  so=$(find "$prefix/$libdir" -maxdepth 1 -name 'libsynapsed.so.*.*' -print -quit)
  [[ -n $so && -L $prefix/$libdir/libsynapsed.so ]] || fail "shared library or its dev link missing"
  soname=$(objdump -p "$so" | awk '$1 == "SONAME" { print $2 }')
  [[ $soname == libsynapsed.so.* && -L $prefix/$libdir/$soname ]] ||
    fail "bad SONAME '$soname' (or no link by that name) on $so"
else
  [[ -f $prefix/$libdir/libsynapsed.a ]] || fail "no $libdir/libsynapsed.a"
fi

step "consumer via find_package(synapsed)"
generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi
# Only the prefix may satisfy find_package: no user package registry.
"$cmake" -S "$consumer_src" -B "$tmp/build" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE="$config" \
  -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_CXX_FLAGS="$8" \
  -DCMAKE_EXE_LINKER_FLAGS="$9" \
  -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
found=$(sed -n 's/^synapsed_DIR:PATH=//p' "$tmp/build/CMakeCache.txt")
[[ $found == "$prefix"/* ]] || fail "find_package used '$found', not the test prefix"
"$cmake" --build "$tmp/build"
# A shared libsynapsed is found through the build-tree RPATH CMake sets.
"$tmp/build/consumer" "$tmp/db-cmake"

step "consumer via pkg-config"
export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
read -r -a pc_flags <<<"$("$pkg_config" --cflags --libs synapsed)"
echo "pkg-config --cflags --libs synapsed: ${pc_flags[*]}"
"$cxx" "${cxx_flags[@]}" -std=c++20 "$consumer_src/main.cc" -o "$tmp/consumer-pc" \
  "${pc_flags[@]}" "${exe_linker_flags[@]}"
# pkg-config adds no RPATH; a prefix outside the loader's path needs this.
LD_LIBRARY_PATH=$prefix/$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
  "$tmp/consumer-pc" "$tmp/db-pc"

echo "install_consumer: ok"
