#include "agent/queue/segment.h"

#include <gtest/gtest.h>

#include "agent/queue/format.h"

namespace edgerepl::queue {
namespace {

class SumReporter final : public Reporter {
 public:
  void Corruption(uint64_t p, uint64_t b, const Status& why) override {
    points += p;
    bytes += b;
    EXPECT_TRUE(why.IsCorruption());
    ++calls;
  }
  uint64_t points = 0;
  uint64_t bytes = 0;
  int calls = 0;
};

// A segment with records "a", "bb", ... of 1, 2, ... points; returns offsets of each record.
std::string Segment(int n, std::vector<uint64_t>* offsets = nullptr) {
  std::string s = EncodeSegmentHeader(7);
  for (int i = 0; i < n; ++i) {
    if (offsets) offsets->push_back(s.size());
    EncodeRecord(1000 + i, static_cast<uint32_t>(i + 1),
                 std::string(static_cast<size_t>(i + 1), static_cast<char>('a' + i)), &s);
  }
  return s;
}

TEST(SegmentTest, FileNamesSortByNumberAndParseBack) {
  EXPECT_EQ(SegmentFileName(42), "00000000000000000042.seg");
  EXPECT_EQ(ParseSegmentFileName("00000000000000000042.seg"), 42u);
  EXPECT_FALSE(ParseSegmentFileName("cursor"));
  EXPECT_FALSE(ParseSegmentFileName("0000000000000000004x.seg"));
  EXPECT_FALSE(ParseSegmentFileName("00000000000000000042.seg.tmp"));
  EXPECT_FALSE(ParseSegmentFileName("99999999999999999999.seg"));  // overflows u64
  EXPECT_LT(SegmentFileName(9), SegmentFileName(10));
}

TEST(SegmentTest, HeaderChecks) {
  std::string h = EncodeSegmentHeader(7);
  ASSERT_EQ(h.size(), kSegmentHeaderBytes);
  EXPECT_EQ(CheckSegmentHeader(h, 7), HeaderCheck::kOk);
  EXPECT_EQ(CheckSegmentHeader(h, 8), HeaderCheck::kWrongNumber);
  EXPECT_EQ(CheckSegmentHeader(h.substr(0, 10), 7), HeaderCheck::kShort);
  std::string bad = h;
  bad[9] ^= 1;
  EXPECT_EQ(CheckSegmentHeader(bad, 7), HeaderCheck::kDamaged);
  bad = h;
  bad[0] = 'X';
  EXPECT_EQ(CheckSegmentHeader(bad, 7), HeaderCheck::kDamaged);
}

TEST(SegmentTest, RecordsRoundTrip) {
  std::string s = Segment(5);
  SumReporter rep;
  ScanResult r = ScanSegment(s, kSegmentHeaderBytes, true, 7, &rep);
  ASSERT_EQ(r.records.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(r.records[i].payload, std::string(i + 1, 'a' + i));
    EXPECT_EQ(r.records[i].points, static_cast<uint32_t>(i + 1));
    EXPECT_EQ(r.records[i].enqueue_time_ns, 1000 + i);
  }
  EXPECT_EQ(r.end, s.size());
  EXPECT_FALSE(r.torn_tail);
  EXPECT_EQ(rep.calls, 0);
}

TEST(SegmentTest, EmptyPayloadIsARecord) {
  std::string s = EncodeSegmentHeader(1);
  EncodeRecord(5, 0, "", &s);
  ScanResult r = ScanSegment(s, kSegmentHeaderBytes, true, 1, nullptr);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].payload, "");
}

// Named damage cases: what survives, and what is reported.
struct DamageCase {
  const char* name;
  std::function<void(std::string&, const std::vector<uint64_t>&)> damage;
  bool last;
  std::vector<std::string> survivors;
  uint64_t reported_points;
  bool reported_bytes_nonzero;
  bool torn;
};

TEST(SegmentTest, DamageTable) {
  std::vector<DamageCase> cases = {
      {"torn_last_record",
       [](std::string& s, auto&) { s.resize(s.size() - 3); },
       true,
       {"a", "bb", "ccc"},
       0,
       false,
       true},
      {"torn_inside_header",
       [](std::string& s, auto& o) { s.resize(o[3] + 7); },
       true,
       {"a", "bb", "ccc"},
       0,
       false,
       true},
      {"bad_checksum_in_middle",
       [](std::string& s, auto& o) { s[o[1] + kRecordHeaderBytes] ^= 1; },
       true,
       {"a", "ccc", "dddd"},
       2,
       true,
       false},
      {"bad_length_in_middle",
       [](std::string& s, auto& o) { s[o[1] + 4] = 100; },
       true,
       {"a", "ccc", "dddd"},
       0,
       true,
       false},
      {"bad_crc_field",
       [](std::string& s, auto& o) { s[o[2]] ^= 0x80; },
       true,
       {"a", "bb", "dddd"},
       3,
       true,
       false},
      // Whole but failing: damaged after it was written (maybe acknowledged), so counted; still
      // cut off so that appends continue from a clean end.
      {"bad_last_record_is_counted_and_cut",
       [](std::string& s, auto& o) { s[o[3] + 22] ^= 1; },
       true,
       {"a", "bb", "ccc"},
       4,
       true,
       true},
      {"bad_last_record_of_older_segment",
       [](std::string& s, auto& o) { s[o[3] + 22] ^= 1; },
       false,
       {"a", "bb", "ccc"},
       0,
       true,
       false},
      {"zeros_appended",
       [](std::string& s, auto&) { s.append(64, '\0'); },
       true,
       {"a", "bb", "ccc", "dddd"},
       0,
       false,
       true},
  };
  for (const DamageCase& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<uint64_t> offsets;
    std::string s = Segment(4, &offsets);
    c.damage(s, offsets);
    SumReporter rep;
    ScanResult r = ScanSegment(s, kSegmentHeaderBytes, c.last, 7, &rep);
    std::vector<std::string> got;
    for (auto& rec : r.records) got.emplace_back(rec.payload);
    EXPECT_EQ(got, c.survivors);
    EXPECT_EQ(rep.points, c.reported_points);
    EXPECT_EQ(rep.bytes > 0, c.reported_bytes_nonzero);
    EXPECT_EQ(r.torn_tail, c.torn);
    if (c.torn) {
      EXPECT_EQ(r.end, r.records.back().offset + r.records.back().size());
    }
  }
}

TEST(SegmentTest, ReportedBytesCoverExactlyTheDamagedRecord) {
  std::vector<uint64_t> o;
  std::string s = Segment(4, &o);
  s[o[1] + kRecordHeaderBytes] ^= 1;
  SumReporter rep;
  ScanSegment(s, kSegmentHeaderBytes, true, 7, &rep);
  EXPECT_EQ(rep.bytes, o[2] - o[1]);
}

TEST(SegmentTest, ScanStartsAtTheGivenOffset) {
  std::vector<uint64_t> o;
  std::string s = Segment(4, &o);
  ScanResult r = ScanSegment(s, o[2], true, 7, nullptr);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].offset, o[2]);
}

// The example in docs/queue-format.md, byte for byte.
TEST(SegmentTest, DocumentedExampleRecord) {
  std::string out;
  EncodeRecord(1700000000000000000, 1, "m v=1i 1\n", &out);
  const unsigned char want[] = {0xb7, 0xe9, 0xf3, 0x48, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00,
                                0x2a, 0x36, 0xfe, 0x9c, 0x97, 0x17, 0x01, 0x00, 0x00, 0x00,
                                0x6d, 0x20, 0x76, 0x3d, 0x31, 0x69, 0x20, 0x31, 0x0a};
  EXPECT_EQ(out, std::string(reinterpret_cast<const char*>(want), sizeof(want)));
  std::string header = EncodeSegmentHeader(1);
  EXPECT_EQ(header.substr(0, 16), std::string("EQSG\x01\0\0\0\x01\0\0\0\0\0\0\0", 16));
}

TEST(SegmentTest, VerifyRecordChecksHeaderAgainstASeparatePayload) {
  std::string framed;
  EncodeRecord(1234, 2, "m f=1 1\nm f=2 2\n", &framed);
  std::string_view header(framed.data(), kRecordHeaderBytes);
  std::string payload = framed.substr(kRecordHeaderBytes);
  std::optional<RecordView> r = VerifyRecord(header, payload);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->enqueue_time_ns, 1234);
  EXPECT_EQ(r->points, 2u);
  EXPECT_EQ(r->payload, payload);

  std::string damaged = payload;
  damaged[3] ^= 0x10;
  EXPECT_FALSE(VerifyRecord(header, damaged));
  // A payload of another length never verifies, even before its bytes are looked at.
  EXPECT_FALSE(VerifyRecord(header, payload.substr(1)));
  EXPECT_FALSE(VerifyRecord(header.substr(1), payload));
  std::string bad_header(header);
  bad_header[10] ^= 0x01;  // the enqueue time is covered by the CRC
  EXPECT_FALSE(VerifyRecord(bad_header, payload));
}

TEST(SegmentTest, MaskedCrcRoundTrips) {
  for (uint32_t v : {0u, 1u, 0xffffffffu, 0x12345678u}) EXPECT_EQ(UnmaskCrc(MaskCrc(v)), v);
  EXPECT_NE(MaskCrc(0x12345678u), 0x12345678u);
}

}  // namespace
}  // namespace edgerepl::queue
