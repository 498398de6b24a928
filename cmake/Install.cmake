# Installation and packaging: headers, libsynapsed, a CMake package
# (synapsed::synapsed) and a pkg-config file. Included last from the top-level
# CMakeLists.txt, once the `synapsed` target exists.
#
# Only the combined library ships. The per-module OBJECT libraries reach it
# through $<TARGET_OBJECTS:...> (sources, not link items), so the exported
# target never names them; synapsed_testutil is never installed.

include(CMakePackageConfigHelpers)

# ---- transitive dependencies: add new ones here -------------------------------
# Everything libsynapsed links (PUBLIC, and PRIVATE too when it is static) must
# be found again by whoever links it. When a module starts linking a library,
# add it to these lists so both the CMake package and synapsed.pc follow:
#   SYNAPSED_PUBLIC_DEPENDENCIES  one entry per dependency: the arguments of
#                                 find_dependency() in synapsedConfig.cmake
#                                 (e.g. "zstd 1.5" for zstd's CMake package)
#   SYNAPSED_PC_REQUIRES          its pkg-config module, for synapsed.pc
#                                 (e.g. libzstd, liblz4, liburing)
#   SYNAPSED_PC_LIBS              raw link flags for dependencies without a .pc
# A dependency that has only a .pc (lz4, liburing on Debian) and is linked as
# PkgConfig::X must be re-imported by the config file: add "PkgConfig" to
# SYNAPSED_PUBLIC_DEPENDENCIES and a pkg_check_modules(X REQUIRED IMPORTED_TARGET
# module) line to cmake/synapsedConfig.cmake.in.
set(SYNAPSED_PUBLIC_DEPENDENCIES Threads)
set(SYNAPSED_PC_REQUIRES libzstd liblz4 liburing)
# FindThreads resolves to no flag at all on glibc >= 2.34, but older C
# libraries still need it; -pthread is what gcc and clang accept everywhere.
set(SYNAPSED_PC_LIBS "-pthread")

# Consumers compile our headers, which are C++20. Stating it as a usage
# requirement makes find_package users get -std=c++20 without having to know;
# for the build itself it is a no-op (CMAKE_CXX_STANDARD is already 20).
target_compile_features(synapsed PUBLIC cxx_std_20)

set(SYNAPSED_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/synapsed)

# ---- headers and library --------------------------------------------------------
# Only the public API; everything outside include/synapsed/ is internal.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/synapsed
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT synapsed_Development
  FILES_MATCHING PATTERN "*.h")

# The shared library carries VERSION/SOVERSION from the top level, so this
# installs libsynapsed.so.X.Y.Z, the libsynapsed.so.X SONAME link and the
# libsynapsed.so development link.
install(TARGETS synapsed EXPORT synapsedTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT synapsed_Development
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT synapsed_Runtime
          NAMELINK_COMPONENT synapsed_Development
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT synapsed_Runtime)

# ---- CMake package: find_package(synapsed CONFIG) -------------------------------
install(EXPORT synapsedTargets
  NAMESPACE synapsed::
  DESTINATION ${SYNAPSED_CMAKE_DIR}
  COMPONENT synapsed_Development)

set(SYNAPSED_FIND_DEPENDENCIES "")
foreach(dep IN LISTS SYNAPSED_PUBLIC_DEPENDENCIES)
  string(APPEND SYNAPSED_FIND_DEPENDENCIES "find_dependency(${dep})\n")
endforeach()
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/synapsedConfig.cmake.in
  ${PROJECT_BINARY_DIR}/synapsedConfig.cmake
  INSTALL_DESTINATION ${SYNAPSED_CMAKE_DIR})
# SameMajorVersion: the API is "extend, don't rename" (DESIGN.md §3). Note that
# it treats every 0.x as compatible with every other 0.x.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/synapsedConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/synapsedConfig.cmake
  ${PROJECT_BINARY_DIR}/synapsedConfigVersion.cmake
  DESTINATION ${SYNAPSED_CMAKE_DIR}
  COMPONENT synapsed_Development)

# ---- pkg-config: synapsed.pc ------------------------------------------------------
# The prefix is given at install time (cmake --install --prefix P), after this
# file is configured, so the .pc locates the prefix relative to itself
# (${pcfiledir}, understood by pkg-config and pkgconf). Absolute install dirs
# cannot be relocated and are written as they are.
set(SYNAPSED_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(SYNAPSED_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(SYNAPSED_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(SYNAPSED_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH _synapsed_pc_up "/p/${SYNAPSED_PC_DIR}" "/p")
  string(REGEX REPLACE "/$" "" _synapsed_pc_up "${_synapsed_pc_up}")
  set(SYNAPSED_PC_PREFIX "\${pcfiledir}/${_synapsed_pc_up}")
  set(SYNAPSED_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(SYNAPSED_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
# Libs.private/Requires.private are only read with `pkg-config --static`. A
# shared libsynapsed carries its own dependencies; a static one does not, so
# then every link needs them and they go into Libs/Requires.
string(JOIN " " _synapsed_pc_requires ${SYNAPSED_PC_REQUIRES})
string(JOIN " " _synapsed_pc_libs ${SYNAPSED_PC_LIBS})
if(SYNAPSED_BUILD_SHARED)
  set(SYNAPSED_PC_REQUIRES_PUBLIC "")
  set(SYNAPSED_PC_REQUIRES_PRIVATE "${_synapsed_pc_requires}")
  set(SYNAPSED_PC_LIBS_PUBLIC "")
  set(SYNAPSED_PC_LIBS_PRIVATE "${_synapsed_pc_libs}")
else()
  set(SYNAPSED_PC_REQUIRES_PUBLIC "${_synapsed_pc_requires}")
  set(SYNAPSED_PC_REQUIRES_PRIVATE "")
  set(SYNAPSED_PC_LIBS_PUBLIC " ${_synapsed_pc_libs}")
  set(SYNAPSED_PC_LIBS_PRIVATE "")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/synapsed.pc.in
  ${PROJECT_BINARY_DIR}/synapsed.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/synapsed.pc
  DESTINATION ${SYNAPSED_PC_DIR}
  COMPONENT synapsed_Development)
