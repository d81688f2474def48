// The cursor file: segment and offset of the first unacknowledged record (format.h). Replaced
// atomically, so a crash leaves the old or the new cursor, never a mix.
#pragma once

#include <cstdint>
#include <string>

#include "agent/queue/fs.h"
#include "common/status.h"

namespace edgerepl::queue {

struct Cursor {
  uint64_t segment = 0;
  uint64_t offset = 0;
  bool operator==(const Cursor&) const = default;
};

std::string EncodeCursor(const Cursor& cursor);
// Corruption for a wrong size, magic, version or CRC.
Result<Cursor> DecodeCursor(std::string_view bytes);

// NotFound when the queue has no cursor yet.
Result<Cursor> LoadCursor(FileSystem& fs, const std::string& dir);
// Temp file, fsync, rename, directory fsync.
Status StoreCursor(FileSystem& fs, const std::string& dir, const Cursor& cursor);

}  // namespace edgerepl::queue
