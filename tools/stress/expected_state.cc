#include "tools/stress/expected_state.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "util/random.h"

namespace synapsed::stress {

namespace {

constexpr uint64_t kMagic = 0x73796e7374726573ull;  // "synstres"
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 4096;
constexpr size_t kMessageBytes = 2048;

uint64_t Load(const uint64_t& field) {
  return std::atomic_ref<uint64_t>(const_cast<uint64_t&>(field)).load(std::memory_order_acquire);
}
void Store(uint64_t& field, uint64_t v) {
  std::atomic_ref<uint64_t>(field).store(v, std::memory_order_release);
}
uint64_t FetchAdd(uint64_t& field, uint64_t n) {
  return std::atomic_ref<uint64_t>(field).fetch_add(n, std::memory_order_acq_rel);
}

uint64_t Mix(uint64_t a, uint64_t b) {
  uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull + (a << 6) + (a >> 2));
  h ^= h >> 31;
  return h * 0xBF58476D1CE4E5B9ull;
}

}  // namespace

struct ExpectedState::Header {
  uint64_t magic;
  uint64_t version;
  uint64_t num_keys;
  uint64_t next_value_id;
  uint64_t next_group_id;
  uint64_t verifications;
  uint64_t keys_checked;
  uint64_t ops;
  uint64_t failures;
  uint64_t pending_keys;
  char first_failure[kMessageBytes];
};
static_assert(sizeof(ExpectedState::Slot) == 32);

std::string KeyString(uint32_t key) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "k%08u", key);
  return buf;
}

bool ParseKey(std::string_view s, uint32_t* key) {
  if (s.size() != 9 || s[0] != 'k') return false;
  uint32_t k = 0;
  for (char c : s.substr(1)) {
    if (c < '0' || c > '9') return false;
    k = k * 10 + static_cast<uint32_t>(c - '0');
  }
  *key = k;
  return true;
}

std::string ValueString(uint32_t key, uint64_t id) {
  char head[32];
  std::snprintf(head, sizeof(head), "%016llx:", static_cast<unsigned long long>(id));
  Random rnd(Mix(key, id));
  const size_t len = rnd.OneIn(64) ? 2000 + rnd.Uniform(6000) : rnd.Uniform(300);
  // A repeated random chunk: compressible, and different for every (key, id).
  char chunk[16];
  for (char& c : chunk) c = static_cast<char>('a' + rnd.Uniform(26));
  std::string v(head);
  v.reserve(v.size() + len);
  for (size_t i = 0; i < len; i++) v.push_back(chunk[i % sizeof(chunk)]);
  return v;
}

bool ParseValue(uint32_t key, std::string_view value, uint64_t* id) {
  if (value.size() < 17 || value[16] != ':') return false;
  uint64_t v = 0;
  for (char c : value.substr(0, 16)) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    v = v << 4 | static_cast<uint64_t>(d);
  }
  if (v == kAbsent || value != ValueString(key, v)) return false;
  *id = v;
  return true;
}

Status ExpectedState::Open(const std::string& path, uint32_t num_keys,
                           std::unique_ptr<ExpectedState>* state) {
  const size_t size = kHeaderBytes + sizeof(Slot) * static_cast<size_t>(num_keys);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(path, std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    Status s = Status::IOError(path, std::strerror(errno));
    ::close(fd);
    return s;
  }
  if (st.st_size == 0 && ftruncate(fd, static_cast<off_t>(size)) != 0) {
    Status s = Status::IOError(path, std::strerror(errno));
    ::close(fd);
    return s;
  }
  if (st.st_size != 0 && static_cast<size_t>(st.st_size) != size) {
    ::close(fd);
    return Status::InvalidArgument(path, "expected-state file is for another --max_key");
  }
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  if (base == MAP_FAILED) return Status::IOError(path, std::strerror(errno));
  Header* h = static_cast<Header*>(base);
  // A zero header is a new file (or one whose creator died before this).
  if (Load(h->magic) == 0) {
    h->version = kVersion;
    h->num_keys = num_keys;
    Store(h->magic, kMagic);
  }
  if (Load(h->magic) != kMagic || h->version != kVersion || h->num_keys != num_keys) {
    munmap(base, size);
    return Status::InvalidArgument(path, "not an expected-state file for this key space");
  }
  state->reset(new ExpectedState(base, size, num_keys));
  return Status::OK();
}

ExpectedState::ExpectedState(void* base, size_t size, uint32_t num_keys)
    : base_(base),
      size_(size),
      num_keys_(num_keys),
      header_(static_cast<Header*>(base)),
      slots_(reinterpret_cast<Slot*>(static_cast<char*>(base) + kHeaderBytes)) {
  static_assert(sizeof(Header) <= kHeaderBytes);
}

ExpectedState::~ExpectedState() { munmap(base_, size_); }

ExpectedState::Slot& ExpectedState::slot(uint32_t key) const { return slots_[key]; }

uint64_t ExpectedState::NewValueId() { return FetchAdd(header_->next_value_id, 1) + 1; }
uint64_t ExpectedState::NewGroupId() { return FetchAdd(header_->next_group_id, 1) + 1; }

ExpectedState::KeyView ExpectedState::View(uint32_t key) const {
  const Slot& s = slot(key);
  KeyView v;
  v.pending_group = Load(s.pending_group);
  v.pending = v.pending_group != 0;
  v.pending_value = Load(s.pending_value);
  v.value = Load(s.value);
  return v;
}

void ExpectedState::MarkPending(uint32_t key, uint64_t new_value, uint64_t group) {
  Slot& s = slot(key);
  Store(s.pending_value, new_value);
  Store(s.pending_group, group);
}

void ExpectedState::SetValue(uint32_t key, uint64_t value) { Store(slot(key).value, value); }

void ExpectedState::ClearPending(uint32_t key) { Store(slot(key).pending_group, 0); }

ExpectedState::StripeGuard::StripeGuard(ExpectedState* state, std::vector<uint32_t> keys)
    : state_(state), stripes_(std::move(keys)) {
  for (uint32_t& k : stripes_) k %= kStripes;
  std::sort(stripes_.begin(), stripes_.end());
  stripes_.erase(std::unique(stripes_.begin(), stripes_.end()), stripes_.end());
  for (uint32_t s : stripes_) state_->stripes_[s].lock();
}

ExpectedState::StripeGuard::~StripeGuard() {
  for (auto it = stripes_.rbegin(); it != stripes_.rend(); ++it) state_->stripes_[*it].unlock();
}

void ExpectedState::AddVerification(uint64_t keys_checked, uint64_t pending_keys) {
  FetchAdd(header_->keys_checked, keys_checked);
  FetchAdd(header_->pending_keys, pending_keys);
  FetchAdd(header_->verifications, 1);
}

void ExpectedState::AddOps(uint64_t n) { FetchAdd(header_->ops, n); }

void ExpectedState::RecordFailure(std::string_view message) {
  if (FetchAdd(header_->failures, 1) != 0) return;
  const size_t n = std::min(message.size(), kMessageBytes - 1);
  std::memcpy(header_->first_failure, message.data(), n);
  header_->first_failure[n] = '\0';
}

uint64_t ExpectedState::verifications() const { return Load(header_->verifications); }
uint64_t ExpectedState::keys_checked() const { return Load(header_->keys_checked); }
uint64_t ExpectedState::pending_keys_checked() const { return Load(header_->pending_keys); }
uint64_t ExpectedState::ops() const { return Load(header_->ops); }
uint64_t ExpectedState::failures() const { return Load(header_->failures); }

std::string ExpectedState::first_failure() const {
  return std::string(header_->first_failure, strnlen(header_->first_failure, kMessageBytes));
}

}  // namespace synapsed::stress
