#include "agent/queue/cursor.h"

#include <cstring>

#include "agent/queue/format.h"
#include "common/crc32c.h"

namespace edgerepl::queue {
namespace {

void Put(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t Get(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

}  // namespace

std::string EncodeCursor(const Cursor& cursor) {
  std::string out(kCursorMagic, sizeof(kCursorMagic));
  Put(&out, kCursorVersion, 4);
  Put(&out, cursor.segment, 8);
  Put(&out, cursor.offset, 8);
  Put(&out, MaskCrc(crc32c::Value(out)), 4);
  return out;
}

Result<Cursor> DecodeCursor(std::string_view bytes) {
  if (bytes.size() != kCursorBytes) {
    return Status::Corruption("cursor has " + std::to_string(bytes.size()) + " bytes, want " +
                              std::to_string(kCursorBytes));
  }
  if (std::memcmp(bytes.data(), kCursorMagic, sizeof(kCursorMagic)) != 0) {
    return Status::Corruption("cursor has a bad magic");
  }
  uint32_t stored = UnmaskCrc(static_cast<uint32_t>(Get(bytes.data() + 24, 4)));
  if (crc32c::Value(bytes.data(), 24) != stored) {
    return Status::Corruption("cursor fails its checksum");
  }
  uint64_t version = Get(bytes.data() + 4, 4);
  if (version != kCursorVersion) {
    return Status::Corruption("cursor format version " + std::to_string(version));
  }
  return Cursor{Get(bytes.data() + 8, 8), Get(bytes.data() + 16, 8)};
}

Result<Cursor> LoadCursor(FileSystem& fs, const std::string& dir) {
  Result<std::string> bytes = ReadWholeFile(fs, dir + "/" + kCursorFileName);
  if (!bytes.ok()) return bytes.status();
  return DecodeCursor(*bytes);
}

Status StoreCursor(FileSystem& fs, const std::string& dir, const Cursor& cursor) {
  return WriteFileAtomically(fs, dir, kCursorFileName, EncodeCursor(cursor));
}

}  // namespace edgerepl::queue
