#include "sstable/block_prefetcher.h"

#include <algorithm>
#include <cstring>

namespace synapsed {

BlockPrefetcher::BlockPrefetcher(const RandomAccessFile* file, uint64_t limit,
                                 const ReadBlockOptions& options)
    : file_(file),
      limit_(limit),
      options_(options),
      window_bytes_(std::max<size_t>(options.readahead_initial_bytes, 4096)) {}

BlockPrefetcher::~BlockPrefetcher() { DropAll(); }

void BlockPrefetcher::Wait(Window* w) {
  while (w->in_flight) {
    ReadRequest* done = queue_->Reap(/*wait=*/true);
    if (done == nullptr) break;  // cannot happen while w is pending
    static_cast<Window*>(done->tag)->in_flight = false;
  }
}

void BlockPrefetcher::DropAll() {
  // The kernel may still write into a window's buffer: wait before freeing.
  for (auto& w : windows_) Wait(w.get());
  windows_.clear();
}

void BlockPrefetcher::Issue(uint64_t offset) {
  if (offset >= limit_ || no_queue_) return;
  if (!queue_) {
    Status s;
    queue_ = options_.read_queues->Acquire(&s);
    if (!queue_) {
      no_queue_ = true;
      return;
    }
  }
  if (queue_->pending() >= queue_->depth()) return;
  auto w = std::make_unique<Window>();
  w->offset = offset;
  w->buf.resize(static_cast<size_t>(std::min<uint64_t>(window_bytes_, limit_ - offset)));
  w->req.file = file_;
  w->req.offset = offset;
  w->req.size = w->buf.size();
  w->req.scratch = w->buf.data();
  w->req.tag = w.get();
  w->in_flight = true;
  queue_->Add(&w->req);
  queue_->Submit();
  windows_.push_back(std::move(w));
  windows_issued_++;
  window_bytes_ = std::min(window_bytes_ * 2, std::max(options_.readahead_max_bytes, size_t{4096}));
}

Status BlockPrefetcher::Read(uint64_t offset, size_t n, std::string* out) {
  // Windows wholly before the request are done with.
  while (!windows_.empty() && windows_.front()->end() <= offset) {
    Wait(windows_.front().get());
    windows_.pop_front();
  }
  for (auto& w : windows_) {
    if (offset < w->offset || offset + n > w->end()) continue;
    Wait(w.get());
    if (!w->req.status.ok()) {
      Status s = w->req.status;
      DropAll();
      return s;
    }
    // A window cut short by end of file serves what it has.
    const uint64_t have_end = w->offset + w->req.result.size();
    const size_t got =
        offset >= have_end ? 0 : static_cast<size_t>(std::min<uint64_t>(n, have_end - offset));
    out->assign(w->req.result.data() + (offset - w->offset), got);
    window_hits_++;
    last_end_ = offset + n;
    // Keep one window ahead of the one being read.
    if (windows_.back().get() == w.get()) Issue(w->end());
    return Status::OK();
  }
  // Not in a window: read it now, and look at the pattern.
  if (offset == last_end_) {
    run_++;
  } else {
    run_ = 0;
    window_bytes_ = std::max<size_t>(options_.readahead_initial_bytes, 4096);
    DropAll();
  }
  last_end_ = offset + n;
  out->resize(n);
  std::string_view got;
  Status s = file_->Read(offset, n, &got, out->data());
  if (!s.ok()) return s;
  if (got.data() != out->data()) std::memmove(out->data(), got.data(), got.size());
  out->resize(got.size());
  if (run_ >= options_.readahead_after_blocks && windows_.empty()) Issue(offset + n);
  return Status::OK();
}

}  // namespace synapsed
