#include "tools/stress/self_test.h"

#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>

#include "synapsed/db.h"
#include "tools/stress/expected_state.h"
#include "tools/stress/verifier.h"

namespace synapsed::stress {

namespace {

struct Case {
  const char* name;
  bool must_fail;
  std::function<void()> apply;  // a wrong (or a legal) state
};

}  // namespace

int RunVerifierSelfTest(const WorkerConfig& config, int* cases) {
  std::error_code ec;
  std::filesystem::remove_all(config.db, ec);
  std::filesystem::remove(config.expected_state, ec);
  std::filesystem::create_directories(std::filesystem::path(config.db).parent_path(), ec);
  WorkerConfig fill = config;
  fill.threads = 2;
  fill.ops_per_thread = 3000;
  fill.seconds = 0;
  fill.verify_only = false;
  if (RunWorker(fill) != 0) {
    std::printf("self test: the worker that fills the database failed\n");
    return 1;
  }
  std::unique_ptr<ExpectedState> state;
  Status s = ExpectedState::Open(config.expected_state, config.max_key, &state);
  Options options;
  if (s.ok()) s = config.db_config.ToOptions(&options);
  std::unique_ptr<DB> db;
  if (s.ok()) s = DB::Open(options, config.db, &db);
  if (!s.ok()) {
    std::printf("self test: %s\n", s.ToString().c_str());
    return 1;
  }
  // Two keys that hold values (a, b) and one that does not (c).
  int64_t a = -1, b = -1, c = -1;
  for (uint32_t k = 0; k < state->num_keys(); k++) {
    const bool present = state->View(k).value != kAbsent;
    if (present && a < 0) {
      a = k;
    } else if (present && b < 0) {
      b = k;
    } else if (!present && c < 0) {
      c = k;
    }
  }
  if (a < 0 || b < 0 || c < 0) {
    std::printf("self test: the filled database lacks two present keys and an absent one\n");
    return 1;
  }
  const auto ka = static_cast<uint32_t>(a), kb = static_cast<uint32_t>(b),
             kc = static_cast<uint32_t>(c);
  const uint64_t va = state->View(ka).value, vb = state->View(kb).value;
  ExpectedState* st = state.get();
  auto fresh = [st] { return st->NewValueId(); };
  auto put = [&](const std::string& k, const std::string& v) {
    if (!db->Put(WriteOptions(), k, v).ok()) std::printf("self test: Put %s failed\n", k.c_str());
  };
  const std::vector<Case> all = {
      {"the state as written", false, [] {}},
      {"a changed value id", true, [&] { st->SetValue(ka, fresh()); }},
      {"an acknowledged write lost", true, [&] { st->SetValue(kc, fresh()); }},
      {"a deleted key back", true, [&] { st->SetValue(ka, kAbsent); }},
      {"a write in flight that took effect", false,
       [&] {
         st->SetValue(ka, fresh());
         st->MarkPending(ka, va, st->NewGroupId());
       }},
      {"a write in flight that did not", false,
       [&] { st->MarkPending(ka, fresh(), st->NewGroupId()); }},
      {"neither the old nor the new value", true,
       [&] {
         st->SetValue(ka, fresh());
         st->MarkPending(ka, fresh(), st->NewGroupId());
       }},
      {"a batch applied whole", false,
       [&] {
         const uint64_t g = st->NewGroupId();
         st->SetValue(ka, fresh());
         st->MarkPending(ka, va, g);
         st->SetValue(kb, fresh());
         st->MarkPending(kb, vb, g);
       }},
      {"a batch applied in part", true,
       [&] {
         const uint64_t g = st->NewGroupId();
         st->SetValue(ka, fresh());
         st->MarkPending(ka, va, g);
         st->MarkPending(kb, fresh(), g);
       }},
      {"a range delete applied in part", true,
       [&] {
         const uint64_t g = st->NewGroupId();
         st->SetValue(kc, fresh());
         st->MarkPending(kc, kAbsent, g);  // c is absent: took the delete
         st->MarkPending(ka, kAbsent, g);  // a is present: did not
       }},
      {"a value the tool never wrote", true, [&] { put(KeyString(kc), "not a stress value"); }},
      {"a key outside the key space", true, [&] { put("zz-foreign", "x"); }},
  };
  auto restore = [&] {
    for (auto [k, v] : {std::pair{ka, va}, std::pair{kb, vb}, std::pair{kc, kAbsent}}) {
      st->SetValue(k, v);
      st->ClearPending(k);
    }
    for (const char* k : {"zz-foreign"}) {
      if (!db->Delete(WriteOptions(), k).ok()) std::printf("self test: Delete failed\n");
    }
    if (!db->Delete(WriteOptions(), KeyString(kc)).ok()) std::printf("self test: Delete failed\n");
  };
  int wrong = 0;
  for (const Case& t : all) {
    t.apply();
    VerifyResult r;
    Verify(db.get(), st, 1, /*resolve=*/false, &r);
    const bool failed = r.failures != 0;
    std::printf("self test: %-36s %s%s%s\n", t.name, failed ? "reported: " : "accepted",
                failed ? r.messages.front().c_str() : "",
                failed == t.must_fail ? "" : "   <-- WRONG");
    if (failed != t.must_fail) wrong++;
    restore();
    (*cases)++;
  }
  s = db->Close();
  if (!s.ok()) {
    std::printf("self test: close: %s\n", s.ToString().c_str());
    wrong++;
  }
  if (wrong == 0) {
    state.reset();
    std::filesystem::remove_all(config.db, ec);
    std::filesystem::remove(config.expected_state, ec);
  }
  std::printf("self test: %d cases, %d wrong\n", *cases, wrong);
  return wrong == 0 ? 0 : 1;
}

}  // namespace synapsed::stress
