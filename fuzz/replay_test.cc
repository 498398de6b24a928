// Replays a fuzz target's kept inputs as a unit test: every file of
// fuzz/corpus/<target>/ and fuzz/regressions/<target>/ (the directories in
// SYNAPSED_FUZZ_DIRS, separated by '|') is passed to the target's
// LLVMFuzzerTestOneInput, linked into this gtest instead of libFuzzer. So a
// crasher saved as a file fails `ctest` in every build (release with gcc,
// ASan+UBSan with clang), not only under the fuzz preset. A target signals a
// failed check by aborting (FUZZ_CHECK), which fails the test; the input
// being replayed is printed first, so the output names it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::filesystem::path> InputFiles() {
  std::vector<std::filesystem::path> files;
  std::stringstream dirs(SYNAPSED_FUZZ_DIRS);
  std::string dir;
  while (std::getline(dirs, dir, '|')) {
    if (!std::filesystem::is_directory(dir)) continue;  // no regressions kept yet
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(FuzzReplay, EveryCorpusAndRegressionInput) {
  const std::vector<std::filesystem::path> files = InputFiles();
  ASSERT_FALSE(files.empty()) << "no inputs under " << SYNAPSED_FUZZ_DIRS;
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << path;
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "replaying %s (%zu bytes)\n", path.c_str(), bytes.size());
    EXPECT_EQ(0,
              LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()))
        << path;
  }
  std::fprintf(stderr, "%zu inputs replayed\n", files.size());
}

}  // namespace
