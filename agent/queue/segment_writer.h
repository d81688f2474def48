// Appends framed bytes to one segment file. It never decides when to sync (that is group commit's
// policy in queue.cc) and it leaves the file as it was when a write fails.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/queue/fs.h"
#include "common/status.h"

namespace edgerepl::queue {

class SegmentWriter {
 public:
  // Creates segment `number` in `dir` with its header, synced, and its directory entry synced.
  // A file left half-made by a failure is removed.
  static Result<std::unique_ptr<SegmentWriter>> Create(FileSystem& fs, const std::string& dir,
                                                       uint64_t number);
  // Continues an existing, already verified segment whose valid bytes end at `end`.
  static Result<std::unique_ptr<SegmentWriter>> Reopen(FileSystem& fs, const std::string& dir,
                                                       uint64_t number, uint64_t end);

  // Writes `bytes` (whole records) at the end. On failure the file is cut back to its previous
  // end, so every byte on disk is still a whole record; if even that fails, `*damaged` is set and
  // the segment must not be appended to again.
  Status Append(std::string_view bytes, bool* damaged);
  // Append of `parts` (whole records, `bytes` in all) joined, written with one gather.
  Status AppendV(const std::vector<std::string_view>& parts, uint64_t bytes, bool* damaged);
  // Safe alongside an Append from another thread: the file's bytes written before the call are
  // durable when it returns; end() is the appender's.
  Status Sync() { return file_->Sync(); }
  // Cuts the file back to `end` (bytes written since a failed sync) and syncs.
  Status TruncateTo(uint64_t end);

  uint64_t number() const { return number_; }
  uint64_t end() const { return end_; }

 private:
  SegmentWriter(FilePtr file, uint64_t number, uint64_t end)
      : file_(std::move(file)), number_(number), end_(end) {}

  FilePtr file_;
  uint64_t number_;
  uint64_t end_;
};

}  // namespace edgerepl::queue
