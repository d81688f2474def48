// Segment framing (format.h): encode a segment header and records, and scan a segment's bytes back
// into records, reporting what does not verify. No I/O here; segment_writer.h writes, queue.cc
// reads files and hands their bytes to ScanSegment.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/queue/format.h"
#include "common/status.h"

namespace edgerepl::queue {

// "00000000000000000042.seg": zero-padded so names sort in number order.
std::string SegmentFileName(uint64_t number);
// The number of a segment file name, nullopt for any other file.
std::optional<uint64_t> ParseSegmentFileName(std::string_view name);

std::string EncodeSegmentHeader(uint64_t number);

enum class HeaderCheck {
  kOk,
  kShort,               // fewer bytes than a header: the file was being created
  kDamaged,             // bad magic or CRC
  kWrongNumber,         // verifies, but names another segment (a copied or renamed file)
  kUnsupportedVersion,  // verifies, written by another format version
};
HeaderCheck CheckSegmentHeader(std::string_view bytes, uint64_t number);

// The header of one framed record (its CRC covers `payload`): what precedes the payload on disk.
// Writers build it themselves before queueing, so the group's write is only a gather.
void EncodeRecordHeader(int64_t enqueue_time_ns, uint32_t points, std::string_view payload,
                        char (&out)[kRecordHeaderBytes]);
// Appends one framed record to `out`.
void EncodeRecord(int64_t enqueue_time_ns, uint32_t points, std::string_view payload,
                  std::string* out);

struct RecordView {
  uint64_t offset = 0;  // of the record header within the segment
  int64_t enqueue_time_ns = 0;
  uint32_t points = 0;
  std::string_view payload;  // into the scanned bytes
  uint64_t size() const;     // header + payload
};

// The record whose header starts at `offset` in `data`, if it is complete and its CRC verifies.
std::optional<RecordView> ParseRecord(std::string_view data, uint64_t offset);
// The record framed by `header` (kRecordHeaderBytes) and `payload` when they were read into
// separate buffers: its length must be the payload's and its CRC must verify. `offset` is 0.
std::optional<RecordView> VerifyRecord(std::string_view header, std::string_view payload);

// Receives what a scan drops: `points` is the damaged record's point count when its length still
// led exactly to the next valid record (only the payload was hit), otherwise 0.
class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual void Corruption(uint64_t points, uint64_t bytes, const Status& why) = 0;
};

struct ScanResult {
  std::vector<RecordView> records;
  // First byte after the last valid record, or after the dropped region that follows it. For a
  // torn tail, where the queue truncates.
  uint64_t end = 0;
  bool torn_tail = false;  // bytes after `end` failed to verify and no valid record follows
};

// Scans `data` (a whole segment) from `start`. Bytes that fail to verify are skipped to the next
// offset where a whole record verifies and reported as corruption. When no valid record follows
// them they are a torn tail: with `tail_may_be_torn` (the last segment, where a crash can cut an
// append short) they are left for the caller to truncate and not reported; otherwise reported.
ScanResult ScanSegment(std::string_view data, uint64_t start, bool tail_may_be_torn,
                       uint64_t segment_number, Reporter* reporter);

}  // namespace edgerepl::queue
