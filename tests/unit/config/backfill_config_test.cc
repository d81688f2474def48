// The replication's `backfill` section: RFC 3339 bounds, defaults, errors that name the field, and
// the render/parse round trip the operator relies on.
#include <gtest/gtest.h>

#include "common/config/parse.h"
#include "common/config/render.h"
#include "common/config/timestamp.h"
#include "common/config/validate.h"

namespace edgerepl::config {
namespace {

std::string WithBackfill(const std::string& backfill) {
  return R"(
remotes:
  - {name: cloud, url: "https://example.com", orgID: o, token: t}
replications:
  - id: r1
    name: r1
    remote: cloud
    localBucket: db
    remoteBucket: edge
)" + backfill;
}

std::string FirstError(const std::string& yaml) {
  ParseOutput out = ParseConfigDetailed(yaml, {});
  return out.errors.empty() ? "" : out.errors[0];
}

TEST(TimestampTest, ParsesRfc3339WithFractionAndOffset) {
  EXPECT_EQ(ParseTimestamp("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseTimestamp("1970-01-01T00:00:01.5Z"), 1'500'000'000);
  EXPECT_EQ(ParseTimestamp("1970-01-01T00:00:00.000000001Z"), 1);
  EXPECT_EQ(ParseTimestamp("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(ParseTimestamp("1969-12-31T23:00:00-01:00"), 0);
  EXPECT_EQ(ParseTimestamp("1969-12-31T23:59:59.999999999Z"), -1);
  EXPECT_EQ(ParseTimestamp("2026-01-01T00:00:00Z"), 1767225600LL * 1'000'000'000);
  for (const char* bad :
       {"", "2026-01-01", "2026-01-01T00:00:00", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
        "2026-01-01T24:00:00Z", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00.0000000001Z",
        "2026-01-01T00:00:00Zx", "2263-01-01T00:00:00Z", "1677-01-01T00:00:00Z", "now"}) {
    EXPECT_FALSE(ParseTimestamp(bad)) << bad;
  }
}

TEST(TimestampTest, FormatReadsBack) {
  for (int64_t t : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{1'500'000'000},
                    int64_t{1767225600LL * 1'000'000'000 + 123}, int64_t{-86'400'000'000'001}}) {
    std::string s = FormatTimestamp(t);
    EXPECT_EQ(ParseTimestamp(s), t) << s;
  }
  EXPECT_EQ(FormatTimestamp(1'500'000'000), "1970-01-01T00:00:01.5Z");
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00Z");
}

TEST(BackfillConfigTest, AbsentMeansNoBackfill) {
  Result<Config> c = ParseConfig(WithBackfill(""));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->replications[0].backfill.has_value());
}

TEST(BackfillConfigTest, ParsesRangeAndDefaultRate) {
  Result<Config> c = ParseConfig(
      WithBackfill("    backfill: {from: \"2026-01-01T00:00:00Z\", to: 2026-01-02T00:00:00Z}\n"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(c->replications[0].backfill.has_value());
  const BackfillConfig& b = *c->replications[0].backfill;
  EXPECT_EQ(b.from_ns, 1767225600LL * 1'000'000'000);
  EXPECT_EQ(b.to_ns, (1767225600LL + 86400) * 1'000'000'000);
  EXPECT_EQ(b.max_points_per_second, kDefaultBackfillMaxPointsPerSecond);
}

TEST(BackfillConfigTest, RoundTripsThroughRender) {
  Result<Config> c = ParseConfig(WithBackfill(
      "    backfill: {from: \"2026-01-01T00:00:00.000000007Z\", to: \"2026-01-01T02:00:00+01:00\", "
      "maxPointsPerSecond: 1234}\n"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Result<Config> again = ParseConfig(Render(*c));
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << Render(*c);
  EXPECT_EQ(*again, *c);
  EXPECT_EQ(again->replications[0].backfill->max_points_per_second, 1234u);
  EXPECT_TRUE(Validate(*c).empty());
}

TEST(BackfillConfigTest, ErrorsNameTheField) {
  EXPECT_EQ(FirstError(WithBackfill("    backfill: {to: \"2026-01-02T00:00:00Z\"}\n")),
            "replications[0].backfill.from: required");
  EXPECT_EQ(FirstError(WithBackfill("    backfill: {from: \"2026-01-02T00:00:00Z\"}\n")),
            "replications[0].backfill.to: required");
  EXPECT_EQ(
      FirstError(WithBackfill("    backfill: {from: yesterday, to: \"2026-01-02T00:00:00Z\"}\n")),
      "replications[0].backfill.from: invalid time, got \"yesterday\" (expected RFC 3339, "
      "e.g. 2026-01-01T00:00:00Z)");
  EXPECT_EQ(FirstError(WithBackfill("    backfill: {from: \"2026-01-02T00:00:00Z\", to: "
                                    "\"2026-01-01T00:00:00Z\"}\n")),
            "replications[0].backfill.to: must be after from (2026-01-02T00:00:00Z), got "
            "2026-01-01T00:00:00Z");
  EXPECT_EQ(FirstError(WithBackfill("    backfill: {from: \"2026-01-01T00:00:00Z\", to: "
                                    "\"2026-01-01T00:00:00Z\"}\n")),
            "replications[0].backfill.to: must be after from (2026-01-01T00:00:00Z), got "
            "2026-01-01T00:00:00Z");
  EXPECT_EQ(FirstError(WithBackfill("    backfill: {from: \"2026-01-01T00:00:00Z\", to: "
                                    "\"2026-01-02T00:00:00Z\", maxPointsPerSecond: 0}\n")),
            "replications[0].backfill.maxPointsPerSecond: must be at least 1, got 0");
  EXPECT_EQ(FirstError(WithBackfill("    backfill: {from: \"2026-01-01T00:00:00Z\", to: "
                                    "\"2026-01-02T00:00:00Z\", rate: 5}\n")),
            "replications[0].backfill.rate: unknown field");
  EXPECT_EQ(FirstError(WithBackfill("    backfill: [1]\n")),
            "replications[0].backfill: expected a map, got a list");
}

}  // namespace
}  // namespace edgerepl::config
