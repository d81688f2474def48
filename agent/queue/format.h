// The on-disk format of a replication queue. docs/queue-format.md is the long form.
//
// A queue directory holds numbered segment files and one cursor file:
//   <dir>/00000000000000000001.seg  ...  segments, appended in number order
//   <dir>/cursor                         first unacknowledged position, replaced atomically
//   <dir>/orphaned                       only in a queue whose replication left the config
//
// Segment = header, then records back to back; a record never spans two segments.
//   header: magic "EQSG" | version u32 | segment number u64 | masked crc32c of the 16 bytes before
//   record: masked crc32c | length u32 | enqueue time ns i64 | point count u32 | payload[length]
// Integers are little-endian. A record's CRC covers its header after the CRC field and the payload,
// so a damaged length is caught as surely as a damaged payload.
//
// CRCs are masked as in LevelDB: a CRC over bytes that themselves contain CRCs (a queue file copied
// into a payload) is then no more likely to verify by accident than over random bytes.
//
// Resync: with no blocks, a reader that meets a record failing its CRC never follows its length
// (the length itself may be the damaged field). It scans forward byte by byte for the next offset
// where a whole record verifies; what lies between is dropped and reported.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgerepl::queue {

inline constexpr char kSegmentMagic[4] = {'E', 'Q', 'S', 'G'};
inline constexpr uint32_t kSegmentVersion = 1;
// magic, version, segment number, masked crc of the three before
inline constexpr size_t kSegmentHeaderBytes = 4 + 4 + 8 + 4;
static_assert(kSegmentHeaderBytes == 20);

// crc, length, enqueue time, point count
inline constexpr size_t kRecordHeaderBytes = 4 + 4 + 8 + 4;
static_assert(kRecordHeaderBytes == 20);

inline constexpr char kCursorMagic[4] = {'E', 'Q', 'C', 'R'};
inline constexpr uint32_t kCursorVersion = 1;
// magic, version, segment number, offset in that segment, masked crc of the four before
inline constexpr size_t kCursorBytes = 4 + 4 + 8 + 8 + 4;
static_assert(kCursorBytes == 28);

inline constexpr char kCursorFileName[] = "cursor";
inline constexpr char kCursorTempFileName[] = "cursor.tmp";
inline constexpr char kSegmentSuffix[] = ".seg";
inline constexpr char kOrphanMarkerFileName[] = "orphaned";

inline constexpr uint64_t kDefaultSegmentBytes = 16 << 20;
// Positions handed to the sender pack (segment << 32 | offset), so a segment stays below 4 GiB;
// 1 GiB leaves room for one oversized record past the limit.
inline constexpr uint64_t kMaxSegmentBytes = 1ull << 30;
// The largest payload accepted: a write body is at most 32 MiB by default (DESIGN §2); this
// also bounds what a reader allocates for a length it has not yet verified.
inline constexpr uint32_t kMaxPayloadBytes = 256u << 20;

inline constexpr uint32_t kCrcMaskDelta = 0xa282ead8u;
inline uint32_t MaskCrc(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + kCrcMaskDelta;
}
inline uint32_t UnmaskCrc(uint32_t masked) {
  uint32_t rot = masked - kCrcMaskDelta;
  return (rot >> 17) | (rot << 15);
}

inline uint64_t PackPosition(uint64_t segment, uint64_t offset) {
  return (segment << 32) | offset;
}
inline uint64_t PositionSegment(uint64_t position) {
  return position >> 32;
}
inline uint64_t PositionOffset(uint64_t position) {
  return position & 0xffffffffu;
}

}  // namespace edgerepl::queue
