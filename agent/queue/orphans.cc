#include "agent/queue/orphans.h"

#include <spdlog/spdlog.h>

#include <charconv>

#include "agent/queue/format.h"

namespace edgerepl::queue {
namespace {

// The marker holds the wall-clock time in nanoseconds as decimal text and a newline, so an
// operator can read it with cat.
std::optional<int64_t> ParseMarker(const std::string& text) {
  std::string_view v = text;
  if (v.empty() || v.back() != '\n') return std::nullopt;
  v.remove_suffix(1);
  int64_t ns = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), ns);
  if (ec != std::errc() || ptr != v.data() + v.size() || v.empty()) return std::nullopt;
  return ns;
}

Status SweepOne(const std::string& dir, std::chrono::seconds grace, FileSystem& fs,
                const Clock& clock) {
  const std::string marker = dir + "/" + kOrphanMarkerFileName;
  int64_t now = clock.WallNowNanos();
  Result<std::string> text = ReadWholeFile(fs, marker);
  std::optional<int64_t> since;
  if (text.ok())
    since = ParseMarker(*text);
  else if (!text.status().IsNotFound())
    return text.status();
  if (!since) {
    spdlog::warn("queue {}: no replication uses it; removing it after {}s unless one does", dir,
                 grace.count());
    return WriteFileAtomically(fs, dir, kOrphanMarkerFileName, std::to_string(now) + "\n");
  }
  int64_t grace_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(grace).count();
  if (now - *since < grace_ns) return Status::Ok();
  spdlog::warn("queue {}: orphaned for over {}s; removing it", dir, grace.count());
  return fs.RemoveAll(dir);
}

}  // namespace

Status SweepOrphans(const std::string& queues_dir, const std::set<std::string>& live_ids,
                    std::chrono::seconds grace, FileSystem& fs, const Clock& clock) {
  Result<std::vector<DirEntry>> entries = fs.List(queues_dir);
  if (!entries.ok()) return entries.status().IsNotFound() ? Status::Ok() : entries.status();
  Status first;
  for (const DirEntry& e : *entries) {
    if (!e.is_dir) continue;
    std::string dir = queues_dir + "/" + e.name;
    Status st;
    if (live_ids.count(e.name) > 0) {
      st = fs.Unlink(dir + "/" + kOrphanMarkerFileName);
    } else {
      st = SweepOne(dir, grace, fs, clock);
    }
    if (!st.ok() && first.ok()) first = st;
  }
  return first;
}

}  // namespace edgerepl::queue
