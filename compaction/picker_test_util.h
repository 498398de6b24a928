// Versions built by hand for the picker tests.
#ifndef SYNAPSED_COMPACTION_PICKER_TEST_UTIL_H_
#define SYNAPSED_COMPACTION_PICKER_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "compaction/compaction_picker.h"
#include "testutil/testutil.h"

namespace synapsed::test {

struct F {
  int level;
  uint64_t number;
  const char* smallest;
  const char* largest;
  uint64_t size;
};

// Files get increasing sequences in list order: a later level-0 file is newer.
inline std::shared_ptr<const Version> Build(const std::vector<F>& files) {
  VersionEdit edit;
  SequenceNumber seq = 1;
  for (const F& f : files) {
    FileMetaData m;
    m.number = f.number;
    m.file_size = f.size;
    m.smallest = IKey(f.smallest, seq + 1, ValueType::kValue);
    m.largest = IKey(f.largest, seq, ValueType::kValue);
    m.smallest_seqno = seq;
    m.largest_seqno = seq + 1;
    seq += 2;
    edit.AddFile(f.level, m);
  }
  VersionBuilder builder{Version()};
  EXPECT_TRUE(builder.Apply(edit).ok());
  return builder.Finish();
}

inline std::vector<uint64_t> Numbers(const Version::FileList& files) {
  std::vector<uint64_t> n;
  for (const auto& f : files) n.push_back(f->number);
  std::sort(n.begin(), n.end());
  return n;
}

// The file numbers the spec reads from `level` (sorted).
inline std::vector<uint64_t> At(const CompactionSpec& spec, int level) {
  for (const auto& in : spec.inputs) {
    if (in.level == level) return Numbers(in.files);
  }
  return {};
}

}  // namespace synapsed::test

#endif  // SYNAPSED_COMPACTION_PICKER_TEST_UTIL_H_
