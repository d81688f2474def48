#include "agent/queue/segment.h"

#include <cstring>

#include "agent/queue/format.h"
#include "common/crc32c.h"

namespace edgerepl::queue {
namespace {

void StoreU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}

void StoreU64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}

void PutU32(std::string* out, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, 4);
}

void PutU64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, 8);
}

uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

constexpr size_t kSegmentNameDigits = 20;

}  // namespace

std::string SegmentFileName(uint64_t number) {
  std::string digits = std::to_string(number);
  return std::string(kSegmentNameDigits - digits.size(), '0') + digits + kSegmentSuffix;
}

std::optional<uint64_t> ParseSegmentFileName(std::string_view name) {
  std::string_view suffix = kSegmentSuffix;
  if (name.size() != kSegmentNameDigits + suffix.size()) return std::nullopt;
  if (name.substr(kSegmentNameDigits) != suffix) return std::nullopt;
  uint64_t n = 0;
  for (size_t i = 0; i < kSegmentNameDigits; ++i) {
    char c = name[i];
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t next = n * 10 + static_cast<uint64_t>(c - '0');
    if (next / 10 != n) return std::nullopt;  // overflow
    n = next;
  }
  return n;
}

std::string EncodeSegmentHeader(uint64_t number) {
  std::string out(kSegmentMagic, sizeof(kSegmentMagic));
  PutU32(&out, kSegmentVersion);
  PutU64(&out, number);
  PutU32(&out, MaskCrc(crc32c::Value(out)));
  return out;
}

HeaderCheck CheckSegmentHeader(std::string_view bytes, uint64_t number) {
  if (bytes.size() < kSegmentHeaderBytes) return HeaderCheck::kShort;
  if (std::memcmp(bytes.data(), kSegmentMagic, sizeof(kSegmentMagic)) != 0) {
    return HeaderCheck::kDamaged;
  }
  uint32_t stored = UnmaskCrc(GetU32(bytes.data() + 16));
  if (crc32c::Value(bytes.data(), 16) != stored) return HeaderCheck::kDamaged;
  if (GetU32(bytes.data() + 4) != kSegmentVersion) return HeaderCheck::kUnsupportedVersion;
  if (GetU64(bytes.data() + 8) != number) return HeaderCheck::kWrongNumber;
  return HeaderCheck::kOk;
}

void EncodeRecordHeader(int64_t enqueue_time_ns, uint32_t points, std::string_view payload,
                        char (&out)[kRecordHeaderBytes]) {
  StoreU32(out + 4, static_cast<uint32_t>(payload.size()));
  StoreU64(out + 8, static_cast<uint64_t>(enqueue_time_ns));
  StoreU32(out + 16, points);
  uint32_t crc = crc32c::Value(out + 4, kRecordHeaderBytes - 4);
  crc = crc32c::Extend(crc, payload.data(), payload.size());
  StoreU32(out, MaskCrc(crc));
}

void EncodeRecord(int64_t enqueue_time_ns, uint32_t points, std::string_view payload,
                  std::string* out) {
  char header[kRecordHeaderBytes];
  EncodeRecordHeader(enqueue_time_ns, points, payload, header);
  out->append(header, kRecordHeaderBytes);
  out->append(payload);
}

uint64_t RecordView::size() const {
  return kRecordHeaderBytes + payload.size();
}

std::optional<RecordView> VerifyRecord(std::string_view header, std::string_view payload) {
  if (header.size() != kRecordHeaderBytes) return std::nullopt;
  const char* h = header.data();
  if (GetU32(h + 4) != payload.size()) return std::nullopt;
  uint32_t crc = crc32c::Value(h + 4, kRecordHeaderBytes - 4);
  crc = crc32c::Extend(crc, payload.data(), payload.size());
  if (crc != UnmaskCrc(GetU32(h))) return std::nullopt;
  RecordView r;
  r.enqueue_time_ns = static_cast<int64_t>(GetU64(h + 8));
  r.points = GetU32(h + 16);
  r.payload = payload;
  return r;
}

std::optional<RecordView> ParseRecord(std::string_view data, uint64_t offset) {
  if (offset > data.size() || data.size() - offset < kRecordHeaderBytes) return std::nullopt;
  const char* h = data.data() + offset;
  uint32_t length = GetU32(h + 4);
  if (length > kMaxPayloadBytes || data.size() - offset - kRecordHeaderBytes < length) {
    return std::nullopt;
  }
  std::optional<RecordView> r = VerifyRecord(data.substr(offset, kRecordHeaderBytes),
                                             data.substr(offset + kRecordHeaderBytes, length));
  if (r) r->offset = offset;
  return r;
}

ScanResult ScanSegment(std::string_view data, uint64_t start, bool tail_may_be_torn,
                       uint64_t segment_number, Reporter* reporter) {
  ScanResult result;
  uint64_t offset = start;
  while (offset < data.size()) {
    if (std::optional<RecordView> r = ParseRecord(data, offset)) {
      offset += r->size();
      result.records.push_back(*r);
      continue;
    }
    // Never follow the length of a record that failed: look for the next offset where a whole
    // record verifies.
    uint64_t next = offset + 1;
    std::optional<RecordView> found;
    for (; next + kRecordHeaderBytes <= data.size(); ++next) {
      found = ParseRecord(data, next);
      if (found) break;
    }
    if (!found) {
      result.end = offset;
      if (tail_may_be_torn) {
        // An append cut short by a crash leaves a record whose length runs past the end of the
        // file (or not even a whole header); it was never acknowledged. A record that is all
        // there and still fails its checksum was damaged after it was written, and may have been
        // acknowledged: it is truncated all the same, but counted.
        const uint64_t left = data.size() - offset;
        // A header of zeros is space the file system allocated but the crash kept unwritten.
        const bool zeros = left >= kRecordHeaderBytes &&
                           data.find_first_not_of('\0', offset) >= offset + kRecordHeaderBytes;
        if (left >= kRecordHeaderBytes && !zeros && reporter != nullptr) {
          const uint64_t claimed = kRecordHeaderBytes + uint64_t{GetU32(data.data() + offset + 4)};
          if (claimed <= left) {
            // A point takes more than one byte: a larger count is itself damage.
            uint64_t points = GetU32(data.data() + offset + 16);
            if (points > claimed - kRecordHeaderBytes) points = 0;
            reporter->Corruption(
                points, left,
                Status::Corruption("segment " + std::to_string(segment_number) + " offset " +
                                   std::to_string(offset) + ": last record fails its checksum"));
          }
        }
        result.torn_tail = true;
        return result;
      }
      if (reporter != nullptr) {
        reporter->Corruption(
            0, data.size() - offset,
            Status::Corruption("segment " + std::to_string(segment_number) + " offset " +
                               std::to_string(offset) + ": damaged tail"));
      }
      result.end = data.size();
      return result;
    }
    uint64_t points = 0;
    if (data.size() - offset >= kRecordHeaderBytes) {
      uint64_t claimed = kRecordHeaderBytes + uint64_t{GetU32(data.data() + offset + 4)};
      if (offset + claimed == next) points = GetU32(data.data() + offset + 16);
    }
    if (reporter != nullptr) {
      reporter->Corruption(
          points, next - offset,
          Status::Corruption("segment " + std::to_string(segment_number) + " offset " +
                             std::to_string(offset) + ": record fails its checksum"));
    }
    offset = next;
  }
  result.end = offset;
  return result;
}

}  // namespace edgerepl::queue
