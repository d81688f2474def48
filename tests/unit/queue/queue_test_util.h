// Fixture helpers for queue tests: each fault or damage is a one-liner.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "agent/queue/format.h"
#include "agent/queue/queue.h"
#include "agent/queue/segment.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/queue/fault_fs.h"

namespace edgerepl::queue::testing {

// Segment file names in `dir`, in order.
inline std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> out;
  Result<std::vector<DirEntry>> entries = PosixFileSystem().List(dir);
  if (!entries.ok()) return out;
  for (const DirEntry& e : *entries) {
    if (ParseSegmentFileName(e.name)) out.push_back(dir + "/" + e.name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline void FlipByte(const std::string& path, uint64_t offset, char mask = 0x01) {
  std::string s = edgerepl::testing::ReadFileOrDie(path);
  ASSERT_LT(offset, s.size());
  s[offset] ^= mask;
  edgerepl::testing::WriteFileOrDie(path, s);
}

inline void ShrinkBy(const std::string& path, uint64_t bytes) {
  std::string s = edgerepl::testing::ReadFileOrDie(path);
  s.resize(s.size() - std::min<uint64_t>(bytes, s.size()));
  edgerepl::testing::WriteFileOrDie(path, s);
}

inline void AppendBytes(const std::string& path, const std::string& bytes) {
  edgerepl::testing::WriteFileOrDie(path, edgerepl::testing::ReadFileOrDie(path) + bytes);
}

inline uint64_t FileSize(const std::string& path) {
  return edgerepl::testing::ReadFileOrDie(path).size();
}

// Reads everything pending (without acknowledging) and returns the payloads.
inline std::vector<std::string> Drain(Queue& q, size_t batch = 1 << 20) {
  std::vector<std::string> out;
  for (;;) {
    Result<std::vector<Record>> r = q.ReadNext(batch);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || r->empty()) return out;
    for (Record& rec : *r) out.push_back(std::move(rec.payload));
  }
}

inline uint64_t Dropped(const QueueStats& s, const std::string& reason) {
  auto it = s.dropped.find(reason);
  return it == s.dropped.end() ? 0 : it->second.first;
}

inline uint64_t DroppedBytes(const QueueStats& s, const std::string& reason) {
  auto it = s.dropped.find(reason);
  return it == s.dropped.end() ? 0 : it->second.second;
}

}  // namespace edgerepl::queue::testing
