#include "agent/deletes/delete_spec.h"

#include <gtest/gtest.h>

#include "tests/unit/deletes/spec_printer.h"

namespace edgerepl::deletes {
namespace {

DeleteSpec Spec(DeleteSpec::Kind kind, std::optional<std::string> m,
                std::vector<std::pair<std::string, std::string>> tags, int64_t start,
                int64_t stop) {
  DeleteSpec s;
  s.kind = kind;
  s.measurement = std::move(m);
  s.tags = std::move(tags);
  s.start_ns = start;
  s.stop_ns = stop;
  return s;
}

std::vector<DeleteSpec> Specs() {
  using K = DeleteSpec::Kind;
  return {
      DeleteSpec{},
      Spec(K::kDropSeries, std::nullopt, {}, kMinTimeNs, kMaxTimeNs),
      Spec(K::kDropSeries, "cpu", {{"host", "a"}}, kMinTimeNs, kMaxTimeNs),
      Spec(K::kDelete, "cpu", {}, 0, 0),
      Spec(K::kDelete, std::nullopt, {{"host", "a"}, {"host", "b"}}, -1, 1),
      Spec(K::kDelete, "", {{"", ""}}, kMinTimeNs, kMinTimeNs),
      Spec(K::kDelete, "m", {}, kMaxTimeNs, kMaxTimeNs),
      Spec(K::kDelete, "m", {}, 1'767'225'600'123'456'789, 1'767'225'600'123'456'790),
      Spec(K::kDelete,
           "we\"ird\\ \n\t'm,=", {{"k \"q\"", "v\\'\n"}, {"\x01\x7f", "\xc2\xb5\xf4\x8f\xbf\xbf"}},
           kMinTimeNs + 1, kMaxTimeNs - 1),
      Spec(K::kDelete, "température", {{"région", "東京"}}, -9'000'000'000'000'000'000,
           9'000'000'000'000'000'000),
  };
}

TEST(DeleteRecordTest, RoundTripsExactly) {
  for (const DeleteSpec& s : Specs()) {
    std::string record = EncodeRecord(s);
    EXPECT_TRUE(IsDeleteRecord(record)) << record;
    EXPECT_EQ(record.back(), '\n');
    EXPECT_EQ(record.find('\n'), record.size() - 1) << "one line: " << record;
    Result<DeleteSpec> back = DecodeRecord(record);
    ASSERT_TRUE(back.ok()) << back.status().ToString() << " for "
                           << ::testing::PrintToString(record);
    EXPECT_EQ(*back, s) << record;
  }
}

TEST(DeleteRecordTest, FormatIsTheDocumentedOne) {
  DeleteSpec s;
  s.measurement = "cpu";
  s.tags = {{"host", "a"}};
  s.start_ns = 1000;
  s.stop_ns = 2000;
  EXPECT_EQ(EncodeRecord(s),
            "#edgerepl-delete "
            "{\"kind\":\"delete\",\"measurement\":\"cpu\",\"tags\":[[\"host\",\"a\"]],"
            "\"start\":1000,\"stop\":2000}\n");
  DeleteSpec all;
  all.kind = DeleteSpec::Kind::kDropSeries;
  EXPECT_EQ(EncodeRecord(all),
            "#edgerepl-delete {\"kind\":\"dropSeries\",\"tags\":[],"
            "\"start\":-9223372036854775806,\"stop\":9223372036854775806}\n");
}

TEST(DeleteRecordTest, IsDeleteRecordLooksAtTheMarkerOnly) {
  EXPECT_TRUE(IsDeleteRecord("#edgerepl-delete {}\n"));
  EXPECT_FALSE(IsDeleteRecord("#edgerepl-delete"));
  EXPECT_FALSE(IsDeleteRecord("cpu,host=a v=1 1000\n"));
  EXPECT_FALSE(IsDeleteRecord("# edgerepl-delete {}\n"));
  EXPECT_FALSE(IsDeleteRecord(""));
}

TEST(DeleteRecordTest, RefusesMalformedRecords) {
  const std::string ok_body = R"({"kind":"delete","tags":[],"start":1,"stop":2})";
  ASSERT_TRUE(DecodeRecord("#edgerepl-delete " + ok_body + "\n").ok());
  struct Case {
    std::string payload;
    std::string message;
  };
  const std::string p = "#edgerepl-delete ";
  const Case cases[] = {
      {"cpu v=1\n", "delete record: does not start with the delete marker"},
      {p + ok_body, "delete record: does not end with a newline"},
      {p + ok_body + "\n\n", "delete record: is more than one line"},
      {p + "\n", "delete record: is not JSON"},
      {p + R"({"kind":"delete","measurement":")"
           "\xc0\x80"
           R"(","tags":[],"start":1,"stop":2})"
           "\n",
       "delete record: is not valid UTF-8"},
      {p + "[1]\n", "delete record: is not a JSON object"},
      {p + R"({"kind":"delete","tags":[],"start":1,"stop":2,"x":1})"
           "\n",
       "delete record: has an unknown member \"x\""},
      {p + R"({"tags":[],"start":1,"stop":2})"
           "\n",
       "delete record: has no string \"kind\""},
      {p + R"({"kind":"drop","tags":[],"start":1,"stop":2})"
           "\n",
       "delete record: has an unknown \"kind\""},
      {p + R"({"kind":"delete","measurement":5,"tags":[],"start":1,"stop":2})"
           "\n",
       "delete record: \"measurement\" is not a string"},
      {p + R"({"kind":"delete","measurement":null,"tags":[],"start":1,"stop":2})"
           "\n",
       "delete record: \"measurement\" is not a string"},
      {p + R"({"kind":"delete","start":1,"stop":2})"
           "\n",
       "delete record: has no array \"tags\""},
      {p + R"({"kind":"delete","tags":[["a"]],"start":1,"stop":2})"
           "\n",
       "delete record: \"tags\" holds something other than [key, value] string pairs"},
      {p + R"({"kind":"delete","tags":[["a","b","c"]],"start":1,"stop":2})"
           "\n",
       "delete record: \"tags\" holds something other than [key, value] string pairs"},
      {p + R"({"kind":"delete","tags":[["a",1]],"start":1,"stop":2})"
           "\n",
       "delete record: \"tags\" holds something other than [key, value] string pairs"},
      {p + R"({"kind":"delete","tags":["a"],"start":1,"stop":2})"
           "\n",
       "delete record: \"tags\" holds something other than [key, value] string pairs"},
      {p + R"({"kind":"delete","tags":[["time","x"]],"start":1,"stop":2})"
           "\n",
       "delete record: names a tag key the parsers refuse (\"time\")"},
      {p + R"({"kind":"delete","tags":[["_measurement","x"]],"start":1,"stop":2})"
           "\n",
       "delete record: names a tag key the parsers refuse (\"_measurement\")"},
      {p + R"({"kind":"delete","tags":[],"stop":2})"
           "\n",
       "delete record: \"start\" and \"stop\" must be integers of nanoseconds"},
      {p + R"({"kind":"delete","tags":[],"start":1.5,"stop":2})"
           "\n",
       "delete record: \"start\" and \"stop\" must be integers of nanoseconds"},
      {p + R"({"kind":"delete","tags":[],"start":1,"stop":"2"})"
           "\n",
       "delete record: \"start\" and \"stop\" must be integers of nanoseconds"},
      {p + R"({"kind":"delete","tags":[],"start":1,"stop":18446744073709551615})"
           "\n",
       "delete record: \"start\" and \"stop\" must be integers of nanoseconds"},
      {p + R"({"kind":"delete","tags":[],"start":1,"stop":9223372036854775807})"
           "\n",
       "delete record: [start, stop] is empty or outside InfluxDB's time range"},
      {p + R"({"kind":"delete","tags":[],"start":-9223372036854775808,"stop":0})"
           "\n",
       "delete record: [start, stop] is empty or outside InfluxDB's time range"},
      {p + R"({"kind":"delete","tags":[],"start":3,"stop":2})"
           "\n",
       "delete record: [start, stop] is empty or outside InfluxDB's time range"},
      {p + R"({"kind":"dropSeries","tags":[],"start":1,"stop":2})"
           "\n",
       "delete record: a dropSeries covers all time"},
  };
  for (const Case& c : cases) {
    Result<DeleteSpec> r = DecodeRecord(c.payload);
    ASSERT_FALSE(r.ok()) << c.payload;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message().substr(0, c.message.size()), c.message) << c.payload;
  }
}

TEST(DeleteRecordTest, DeepNestingIsRefusedNotACrash) {
  std::string nested = "#edgerepl-delete " + std::string(100000, '[') + "\n";
  EXPECT_FALSE(DecodeRecord(nested).ok());
  std::string deep_tags =
      "#edgerepl-delete {\"kind\":\"delete\",\"tags\":" + std::string(100000, '[') +
      std::string(100000, ']') + ",\"start\":1,\"stop\":2}\n";
  EXPECT_FALSE(DecodeRecord(deep_tags).ok());
}

}  // namespace
}  // namespace edgerepl::deletes
