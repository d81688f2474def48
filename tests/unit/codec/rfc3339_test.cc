#include <gtest/gtest.h>

#include <chrono>

#include "common/codec/rfc3339.h"

namespace edgerepl::codec {
namespace {

constexpr int64_t kT = 1'764'078'092'123'456'789;  // 2025-11-25T13:41:32.123456789Z

TEST(Rfc3339Test, EachFractionCutsWithoutRounding) {
  EXPECT_EQ(FormatRfc3339(kT, Fraction::kNone), "2025-11-25T13:41:32Z");
  EXPECT_EQ(FormatRfc3339(kT, Fraction::kMillis), "2025-11-25T13:41:32.123Z");
  EXPECT_EQ(FormatRfc3339(kT, Fraction::kMicros), "2025-11-25T13:41:32.123456Z");
  EXPECT_EQ(FormatRfc3339(kT, Fraction::kTrimmed), "2025-11-25T13:41:32.123456789Z");
  EXPECT_EQ(FormatRfc3339(int64_t{999'999'999}, Fraction::kMillis), "1970-01-01T00:00:00.999Z");
}

TEST(Rfc3339Test, TrimmedWritesOnlyTheDigitsNeeded) {
  EXPECT_EQ(FormatRfc3339(int64_t{0}, Fraction::kTrimmed), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(int64_t{1'500'000'000}, Fraction::kTrimmed), "1970-01-01T00:00:01.5Z");
  EXPECT_EQ(FormatRfc3339(int64_t{1}, Fraction::kTrimmed), "1970-01-01T00:00:00.000000001Z");
  EXPECT_EQ(FormatRfc3339(int64_t{0}, Fraction::kMicros), "1970-01-01T00:00:00.000000Z");
}

TEST(Rfc3339Test, TimesBeforeTheEpochAndAtInfluxDbsLimits) {
  EXPECT_EQ(FormatRfc3339(int64_t{-1}, Fraction::kTrimmed), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(FormatRfc3339(int64_t{-1'000'000'000}, Fraction::kNone), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(int64_t{-1}, Fraction::kMillis), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339(INT64_MIN + 2, Fraction::kTrimmed), "1677-09-21T00:12:43.145224194Z");
  EXPECT_EQ(FormatRfc3339(INT64_MAX - 1, Fraction::kTrimmed), "2262-04-11T23:47:16.854775806Z");
}

TEST(Rfc3339Test, CalendarEdges) {
  // 2024-02-29 (a leap day), 2000-03-01 (after a leap century), 2100-03-01 (2100 is no leap year).
  EXPECT_EQ(FormatRfc3339(int64_t{1'709'164'800} * 1'000'000'000, Fraction::kNone),
            "2024-02-29T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(int64_t{951'868'800} * 1'000'000'000, Fraction::kNone),
            "2000-03-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(int64_t{4'107'542'400} * 1'000'000'000, Fraction::kNone),
            "2100-03-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(int64_t{86'399} * 1'000'000'000, Fraction::kNone),
            "1970-01-01T23:59:59Z");
}

TEST(Rfc3339Test, TimePointsFormatAsTheirNanoseconds) {
  const auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764078092123));
  EXPECT_EQ(FormatRfc3339(t, Fraction::kMillis), "2025-11-25T13:41:32.123Z");
  EXPECT_EQ(FormatRfc3339(t, Fraction::kNone), "2025-11-25T13:41:32Z");
}

}  // namespace
}  // namespace edgerepl::codec
