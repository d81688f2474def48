#include "agent/lineprotocol/precision.h"

#include <gtest/gtest.h>

namespace edgerepl::lp {
namespace {

TEST(PrecisionTest, ParseV2) {
  EXPECT_EQ(ParsePrecisionV2(""), Precision::kNanoseconds);
  EXPECT_EQ(ParsePrecisionV2("ns"), Precision::kNanoseconds);
  EXPECT_EQ(ParsePrecisionV2("us"), Precision::kMicroseconds);
  EXPECT_EQ(ParsePrecisionV2("ms"), Precision::kMilliseconds);
  EXPECT_EQ(ParsePrecisionV2("s"), Precision::kSeconds);
  for (const char* bad : {"n", "u", "m", "h", "S", "sec", " ns"}) {
    EXPECT_EQ(ParsePrecisionV2(bad), std::nullopt) << bad;
  }
}

TEST(PrecisionTest, ParseV1) {
  EXPECT_EQ(ParsePrecisionV1(""), Precision::kNanoseconds);
  EXPECT_EQ(ParsePrecisionV1("n"), Precision::kNanoseconds);
  EXPECT_EQ(ParsePrecisionV1("ns"), Precision::kNanoseconds);
  EXPECT_EQ(ParsePrecisionV1("u"), Precision::kMicroseconds);
  EXPECT_EQ(ParsePrecisionV1("us"), Precision::kMicroseconds);
  EXPECT_EQ(ParsePrecisionV1("ms"), Precision::kMilliseconds);
  EXPECT_EQ(ParsePrecisionV1("s"), Precision::kSeconds);
  EXPECT_EQ(ParsePrecisionV1("m"), Precision::kMinutes);
  EXPECT_EQ(ParsePrecisionV1("h"), Precision::kHours);
  for (const char* bad : {"d", "M", "H", "mss", "x"}) {
    EXPECT_EQ(ParsePrecisionV1(bad), std::nullopt) << bad;
  }
}

TEST(PrecisionTest, ToNanosScales) {
  EXPECT_EQ(ToNanos(5, Precision::kNanoseconds), 5);
  EXPECT_EQ(ToNanos(5, Precision::kMicroseconds), 5'000);
  EXPECT_EQ(ToNanos(5, Precision::kMilliseconds), 5'000'000);
  EXPECT_EQ(ToNanos(5, Precision::kSeconds), 5'000'000'000);
  EXPECT_EQ(ToNanos(5, Precision::kMinutes), 300'000'000'000);
  EXPECT_EQ(ToNanos(5, Precision::kHours), 18'000'000'000'000);
  EXPECT_EQ(ToNanos(-5, Precision::kSeconds), -5'000'000'000);
  EXPECT_EQ(ToNanos(0, Precision::kHours), 0);
}

TEST(PrecisionTest, ToNanosRange) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  const int64_t min = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(ToNanos(max - 1, Precision::kNanoseconds), max - 1);
  EXPECT_EQ(ToNanos(max, Precision::kNanoseconds), std::nullopt);  // sentinel
  EXPECT_EQ(ToNanos(min + 2, Precision::kNanoseconds), min + 2);
  EXPECT_EQ(ToNanos(min + 1, Precision::kNanoseconds), std::nullopt);
  EXPECT_EQ(ToNanos(min, Precision::kNanoseconds), std::nullopt);
  // Overflow of the multiplication, on both sides, for every unit.
  for (Precision p : {Precision::kMicroseconds, Precision::kMilliseconds, Precision::kSeconds,
                      Precision::kMinutes, Precision::kHours}) {
    const int64_t unit = NanosPerUnit(p);
    EXPECT_EQ(ToNanos(max / unit, p), (max / unit) * unit);
    EXPECT_EQ(ToNanos(max / unit + 1, p), std::nullopt);
    EXPECT_EQ(ToNanos(min / unit, p), (min / unit) * unit);
    EXPECT_EQ(ToNanos(min / unit - 1, p), std::nullopt);
    EXPECT_EQ(ToNanos(max, p), std::nullopt);
    EXPECT_EQ(ToNanos(min, p), std::nullopt);
  }
}

TEST(PrecisionTest, TruncateToPrecision) {
  EXPECT_EQ(TruncateToPrecision(1'234'567'891, Precision::kNanoseconds), 1'234'567'891);
  EXPECT_EQ(TruncateToPrecision(1'234'567'891, Precision::kMicroseconds), 1'234'567'000);
  EXPECT_EQ(TruncateToPrecision(1'234'567'891, Precision::kMilliseconds), 1'234'000'000);
  EXPECT_EQ(TruncateToPrecision(1'234'567'891, Precision::kSeconds), 1'000'000'000);
  EXPECT_EQ(TruncateToPrecision(61'000'000'001, Precision::kMinutes), 60'000'000'000);
  EXPECT_EQ(TruncateToPrecision(-1, Precision::kSeconds), -1'000'000'000);
}

}  // namespace
}  // namespace edgerepl::lp
