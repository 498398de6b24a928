// DB::MultiGet: point lookups of many keys with their data-block reads in
// flight together (docs/design/io.md, "MultiGet").
//
//   1. Plan. Each key is looked up in the memtables; for the ones they do
//      not decide, every table Get would search (level 0 newest first, then
//      one per level) is prepared in order: range tombstones, filter and
//      index (TableReader::PrepareGet), all in memory. Each distinct block
//      is looked up in the block cache once; a cached (or already read)
//      block is searched at once, and a missing one is put on the read
//      queue, submitted in pairs so the device works while later keys
//      are planned. Planning of a key stops at the first table that decides
//      it, or whose tombstones cover it; a table waiting for a read does
//      not stop it, so the reads of all levels go out together (a key that
//      a shallower table then decides wastes the deeper reads: one device
//      round trip instead of one per level).
//   2. Read. Every read started is waited for; each is verified,
//      decompressed and cached as it completes, in any order.
//   3. Decide. Each key's planned tables are searched in order; the first
//      that decides answers, exactly as Get would (a failed read answers
//      with its error only if the lookup gets that far).
//
// One view and one sequence serve every key, so the answer is consistent
// while writes, flushes and compactions go on.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cache/table_cache.h"
#include "engine/db_impl.h"
#include "engine/version_set.h"
#include "memtable/memtable.h"
#include "sstable/table_reader.h"

namespace synapsed {

namespace {

// One table of a key's plan.
struct Probe {
  std::shared_ptr<const TableReader> table;
  TableLookup lookup;
  size_t block = SIZE_MAX;  // index into the batch's blocks, when !lookup.done
  Status status;            // a failure while planning: the answer if reached
};

struct KeyPlan {
  size_t index;  // into the caller's keys
  std::string internal_key;
  std::vector<Probe> probes;
};

// A distinct data block some lookups need: cached, or read by the batch.
// The slot owns a reference to its table: distinct_ is keyed by the
// reader's address, which must not be reused by another table (opened after
// the table cache evicted this one) while the batch runs.
struct BlockSlot {
  std::shared_ptr<const TableReader> table;
  BlockRead read;
  std::shared_ptr<const Block> block;  // set once cached or read
  Status status;
};

class MultiGetBatch {
 public:
  MultiGetBatch(TableCache* tables, const Version& version, const ReadBlockOptions& options,
                ReadQueuePool* queues)
      : tables_(tables), version_(version), options_(options), queues_(queues) {}

  // Step 1 for one key: plans the table lookups, starting the reads of
  // blocks not cached as it finds them. covering: the memtables'.
  void Plan(SequenceNumber covering, KeyPlan* plan);
  // Step 2: waits for every read started.
  void FinishReads();
  // Step 3: the answer for a planned key, as Get's.
  Status Decide(KeyPlan* plan, std::string* value);

 private:
  // Reads started are submitted in groups of this many, so the device
  // works on the first keys' blocks while later keys are planned. Smaller
  // groups start reads sooner for a submission syscall each: against 8,
  // groups of 2 gave +5% keys/s (median of 5 alternating pairs at QD32,
  // 2% more CPU per key); groups of 1 were no better than 2.
  static constexpr size_t kSubmitEvery = 2;

  // The slot of the block lookup names (the cache looked up once per block).
  size_t SlotFor(const std::shared_ptr<const TableReader>& table, const TableLookup& lookup);
  // Puts the read of slot's block on the queue.
  void StartRead(BlockSlot* slot);
  // Submits what was added; takes whatever has completed meanwhile.
  void Submit();
  // Verifies, decompresses and caches a completed read.
  void Complete(ReadRequest* req);
  // Searches the probe's block; kAbsent if it is not there yet.
  Status Search(const KeyPlan& plan, Probe* probe, TableGet* got, std::string* value);

  TableCache* const tables_;
  const Version& version_;
  const ReadBlockOptions options_;
  ReadQueuePool* const queues_;
  std::map<std::pair<const TableReader*, uint64_t>, size_t> distinct_;
  std::deque<BlockSlot> slots_;  // stable addresses: requests point into them
  // Declared after slots_, so it goes first: a lease given back reaps what
  // is still pending, and those requests live in slots_.
  ReadQueuePool::Lease queue_;  // taken at the first read
  Status queue_status_;         // why there is no queue, if taking one failed
  size_t unsubmitted_ = 0;
};

void MultiGetBatch::StartRead(BlockSlot* slot) {
  if (!queue_ && queue_status_.ok()) queue_ = queues_->Acquire(&queue_status_);
  if (!queue_) {
    slot->status = queue_status_;
    return;
  }
  if (queue_->pending() == queue_->depth()) {
    Submit();
    if (queue_->pending() == queue_->depth()) Complete(queue_->Reap(/*wait=*/true));
  }
  slot->table->PrepareBlockRead(slot->read.handle, &slot->read);
  slot->read.req.tag = slot;
  queue_->Add(&slot->read.req);
  if (++unsubmitted_ >= kSubmitEvery) Submit();
}

void MultiGetBatch::Submit() {
  queue_->Submit();
  unsubmitted_ = 0;
  while (ReadRequest* done = queue_->Reap(/*wait=*/false)) Complete(done);
}

void MultiGetBatch::Complete(ReadRequest* req) {
  auto* slot = static_cast<BlockSlot*>(req->tag);
  slot->status = slot->table->FinishBlockRead(options_, &slot->read, &slot->block);
}

void MultiGetBatch::FinishReads() {
  if (!queue_) return;
  queue_->Submit();
  // The device takes hundreds of microseconds to answer a batch: load the
  // buffers the blocks decompress into meanwhile (not while planning, where
  // the prefetches would delay the submissions).
  for (const BlockSlot& slot : slots_) {
    if (slot.block == nullptr) slot.read.dest.PrefetchForWrite();
  }
  while (ReadRequest* done = queue_->Reap(/*wait=*/true)) Complete(done);
}

size_t MultiGetBatch::SlotFor(const std::shared_ptr<const TableReader>& table,
                              const TableLookup& lookup) {
  auto [it, added] =
      distinct_.emplace(std::make_pair(table.get(), lookup.handle.offset), slots_.size());
  if (added) {
    BlockSlot& slot = slots_.emplace_back();
    slot.table = table;
    slot.read.handle = lookup.handle;
    slot.block = table->CachedBlock(lookup.handle);
    if (slot.block == nullptr) StartRead(&slot);
  }
  return it->second;
}

Status MultiGetBatch::Search(const KeyPlan& plan, Probe* probe, TableGet* got, std::string* value) {
  *got = TableGet::kAbsent;
  if (!probe->status.ok()) return probe->status;
  if (probe->lookup.done) {
    *got = probe->lookup.result;
    return Status::OK();
  }
  BlockSlot& slot = slots_[probe->block];
  if (!slot.status.ok()) return slot.status;
  probe->lookup.block = slot.block;
  return probe->table->FinishGet(probe->lookup, plan.internal_key, got, value);
}

void MultiGetBatch::Plan(SequenceNumber covering, KeyPlan* plan) {
  version_.ForEachCandidateTable(plan->internal_key, [&](const FileMetaData& f) {
    Probe& probe = plan->probes.emplace_back();
    probe.status = tables_->FindTable(f.number, f.file_size, &probe.table, &f.table);
    if (probe.status.ok()) {
      probe.status = probe.table->PrepareGet(plan->internal_key, covering, &probe.lookup);
    }
    if (!probe.status.ok()) return false;
    covering = probe.lookup.covering;
    if (probe.lookup.done) {
      if (probe.lookup.result != TableGet::kAbsent) return false;
      plan->probes.pop_back();  // nothing here
      return true;
    }
    probe.block = SlotFor(probe.table, probe.lookup);
    if (slots_[probe.block].block != nullptr) {
      // Cached: search it now. Nothing here (kAbsent, which also means no
      // covering tombstone) lets the plan go on; anything else decides.
      TableGet got;
      std::string ignored;
      Status s = Search(*plan, &probe, &got, &ignored);
      if (s.ok() && got == TableGet::kAbsent) {
        plan->probes.pop_back();
        return true;
      }
      return false;
    }
    // A read is needed. Deeper tables are planned too (their reads go out
    // with this one), unless this table's tombstones cover the key: then
    // it decides, whatever it holds.
    return covering == 0;
  });
}

Status MultiGetBatch::Decide(KeyPlan* plan, std::string* value) {
  for (Probe& probe : plan->probes) {
    TableGet got;
    Status s = Search(*plan, &probe, &got, value);
    if (!s.ok()) return s;
    if (got == TableGet::kValue) return Status::OK();
    if (got == TableGet::kDeletion) break;
  }
  return Status::NotFound(std::string_view());
}

}  // namespace

std::vector<Status> DBImpl::MultiGet(const ReadOptions& options,
                                     const std::vector<std::string_view>& keys,
                                     std::vector<std::string>* values) {
  values->assign(keys.size(), std::string());
  std::vector<Status> result(keys.size());
  Status s = CheckOpen();
  if (!s.ok()) {
    for (auto& r : result) r = s;
    return result;
  }
  const std::shared_ptr<const ReadView> view = GetView();
  const SequenceNumber seq = ReadSequence(options);
  ReadBlockOptions block_options;
  block_options.verify_checksum = options.verify_checksums;
  block_options.fill_cache = options.fill_cache;
  MultiGetBatch batch(table_cache_.get(), *view->version, block_options, &read_queues_);

  std::vector<KeyPlan> plans;
  for (size_t i = 0; i < keys.size(); i++) {
    LookupKey lkey(keys[i], seq);
    bool found_value = false;
    SequenceNumber covering = 0;
    bool decided = view->mem->Get(lkey, &(*values)[i], &found_value, &covering);
    for (size_t m = 0; !decided && m < view->imm.size(); m++) {
      decided = view->imm[m]->Get(lkey, &(*values)[i], &found_value, &covering);
    }
    if (decided) {
      if (!found_value) result[i] = Status::NotFound(std::string_view());
      continue;
    }
    KeyPlan& plan = plans.emplace_back();
    plan.index = i;
    plan.internal_key.assign(lkey.internal_key());
    batch.Plan(covering, &plan);
  }
  batch.FinishReads();
  for (KeyPlan& plan : plans) {
    result[plan.index] = batch.Decide(&plan, &(*values)[plan.index]);
    if (!result[plan.index].ok()) (*values)[plan.index].clear();
  }
  return result;
}

}  // namespace synapsed
