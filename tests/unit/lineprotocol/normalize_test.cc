#include "agent/lineprotocol/normalize.h"

#include <gtest/gtest.h>

namespace edgerepl::lp {
namespace {

constexpr int64_t kNow = 1'700'000'000'123'456'789;

NormalizeOptions WithPrecision(Precision p) {
  NormalizeOptions o;
  o.precision = p;
  return o;
}

NormalizeOptions WithTag(std::string_view key, std::string_view value) {
  NormalizeOptions o;
  o.extra_tag_key = key;
  o.extra_tag_value = value;
  return o;
}

std::string Norm(std::string_view body, NormalizeOptions o = {}) {
  if (o.now_ns == 0) o.now_ns = kNow;
  std::string out;
  auto r = Normalize(body, o, &out);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return out;
}

std::string NormError(std::string_view body, NormalizeOptions o = {}) {
  std::string out;
  auto r = Normalize(body, o, &out);
  EXPECT_FALSE(r.ok()) << body;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

TEST(NormalizeTest, KeepsBytesAndAddsMissingTimestamps) {
  EXPECT_EQ(Norm("cpu,host=a usage=1.5 1600000000000000000\n"),
            "cpu,host=a usage=1.5 1600000000000000000\n");
  EXPECT_EQ(Norm("cpu,host=a usage=1.5"), "cpu,host=a usage=1.5 1700000000123456789\n");
  EXPECT_EQ(Norm("m f=1 -5\nm f=2\n"), "m f=1 -5\nm f=2 1700000000123456789\n");
  // Escapes, quotes and type suffixes are kept as written.
  EXPECT_EQ(Norm("m\\ x,t\\=1=a\\,b s=\"q\\\"r\",i=1i,u=2u,b=TRUE 1"),
            "m\\ x,t\\=1=a\\,b s=\"q\\\"r\",i=1i,u=2u,b=TRUE 1\n");
}

TEST(NormalizeTest, DropsCommentsBlankLinesAndExtraWhitespace) {
  // Leading whitespace stays: InfluxDB's line splitting can depend on it.
  EXPECT_EQ(Norm("# a comment\n\n   \n\t# indented comment\n  m f=1  2  \n\n"), "  m f=1 2\n");
  EXPECT_EQ(Norm("m f=1 \t 2"), "m f=1 2\n");
  EXPECT_EQ(Norm("m f=1   "), "m f=1 1700000000123456789\n");
  EXPECT_EQ(Norm(""), "");
  EXPECT_EQ(Norm("\n\n#x\n"), "");
}

TEST(NormalizeTest, Stats) {
  std::string out;
  auto r = Normalize("# c\nm f=1\n\nm f=2\n", NormalizeOptions(), &out);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->points, 2u);
  EXPECT_EQ(r->lines, 4u);
}

TEST(NormalizeTest, ConvertsPrecision) {
  EXPECT_EQ(Norm("m f=1 1600000000", WithPrecision(Precision::kSeconds)),
            "m f=1 1600000000000000000\n");
  EXPECT_EQ(Norm("m f=1 1600000000123", WithPrecision(Precision::kMilliseconds)),
            "m f=1 1600000000123000000\n");
  EXPECT_EQ(Norm("m f=1 1600000000123456", WithPrecision(Precision::kMicroseconds)),
            "m f=1 1600000000123456000\n");
  EXPECT_EQ(Norm("m f=1 2", WithPrecision(Precision::kMinutes)), "m f=1 120000000000\n");
  EXPECT_EQ(Norm("m f=1 -2", WithPrecision(Precision::kHours)), "m f=1 -7200000000000\n");
  // Server time is truncated to the request's precision, as InfluxDB does.
  EXPECT_EQ(Norm("m f=1", WithPrecision(Precision::kSeconds)), "m f=1 1700000000000000000\n");
  EXPECT_EQ(Norm("m f=1", WithPrecision(Precision::kMilliseconds)), "m f=1 1700000000123000000\n");
}

TEST(NormalizeTest, InsertsExtraTagInSortedPosition) {
  NormalizeOptions o = WithTag("_instance_id", "edge-1");
  EXPECT_EQ(Norm("m f=1 1", o), "m,_instance_id=edge-1 f=1 1\n");
  EXPECT_EQ(Norm("m,host=a f=1 1", o), "m,_instance_id=edge-1,host=a f=1 1\n");
  EXPECT_EQ(Norm("m,A=1,Z=2 f=1 1", o), "m,A=1,Z=2,_instance_id=edge-1 f=1 1\n");
  EXPECT_EQ(Norm("m,A=1,b=2 f=1 1", o), "m,A=1,_instance_id=edge-1,b=2 f=1 1\n");
  // Unsorted tags: before the first key that sorts after it.
  EXPECT_EQ(Norm("m,z=1,a=2 f=1 1", o), "m,_instance_id=edge-1,z=1,a=2 f=1 1\n");
  // Key and value are escaped.
  NormalizeOptions e = WithTag("k y", "a,b=c d");
  EXPECT_EQ(Norm("m,a=1,z=2 f=1 1", e), "m,a=1,k\\ y=a\\,b\\=c\\ d,z=2 f=1 1\n");
  EXPECT_EQ(Norm("m  f=1 1", o), "m,_instance_id=edge-1  f=1 1\n");
}

TEST(NormalizeTest, ExtraTagAlreadyPresentIsAnError) {
  NormalizeOptions o = WithTag("_instance_id", "edge-1");
  EXPECT_EQ(NormError("m f=1\nm,_instance_id=x f=1", o),
            "unable to parse 'm,_instance_id=x f=1': line 2: tag key _instance_id is reserved: "
            "the agent sets it on every point");
}

TEST(NormalizeTest, ErrorNamesLineNumberAndReason) {
  EXPECT_EQ(NormError("m f=1\n# c\n\ncpu value="),
            "unable to parse 'cpu value=': line 4: missing field value");
  EXPECT_EQ(NormError("bad"), "unable to parse 'bad': line 1: missing fields");
  // Leading whitespace is not echoed (InfluxDB echoes the line from its first byte).
  EXPECT_EQ(NormError("  m,t=a,t=b f=1"),
            "unable to parse 'm,t=a,t=b f=1': line 1: duplicate tags");
  // A quoted newline keeps the physical line count right for the lines after it.
  EXPECT_EQ(NormError("m s=\"a\nb\"\nm f=x"), "unable to parse 'm f=x': line 3: invalid boolean");
}

TEST(NormalizeTest, CrlfIsRejectedWithAHint) {
  EXPECT_EQ(NormError("m f=1\r\n"),
            "unable to parse 'm f=1\r': line 1: invalid number (the line ends with \\r: CRLF "
            "line ends are not accepted, as in InfluxDB)");
  EXPECT_EQ(NormError("m f=1 5\r\n"),
            "unable to parse 'm f=1 5\r': line 1: bad timestamp (the line ends with \\r: CRLF "
            "line ends are not accepted, as in InfluxDB)");
}

TEST(NormalizeTest, RefusesLinesWhoseMeaningATimestampWouldChange) {
  // InfluxDB keeps bytes after a closing quote; a lone trailing backslash would escape the space
  // before an inserted timestamp.
  EXPECT_EQ(NormError("m s=\"a\"\\"),
            "unable to parse 'm s=\"a\"\\': line 1: the field set ends with a backslash, so no "
            "timestamp can follow it");
  EXPECT_EQ(Norm("m s=\"a\"\\\\"), "m s=\"a\"\\\\ 1700000000123456789\n");
  EXPECT_EQ(Norm("m s=\"a\"\\ 5"), "m s=\"a\"\\ 5 1700000000123456789\n");  // "\ 5" is field text
  // A leading space makes InfluxDB's splitter see the '"' as opening a string, so the newline
  // belongs to the line, and InfluxDB silently ignores everything after it.
  EXPECT_EQ(NormError(" s=\"m f=1 \njunk\n"),
            "unable to parse 's=\"m f=1 \njunk': line 1: newline inside the line after the field "
            "set (an unclosed quote in the key makes InfluxDB ignore the rest)");
}

TEST(NormalizeTest, LongLinesAreCutInTheMessage) {
  std::string line = "m f=" + std::string(5000, 'x');
  std::string msg = NormError(line);
  EXPECT_EQ(msg, "unable to parse '" + line.substr(0, 1024) + "...': line 1: invalid boolean");
}

TEST(NormalizeTest, TimestampOutOfRangeAfterScaling) {
  EXPECT_EQ(NormError("m f=1 9223372037", WithPrecision(Precision::kSeconds)),
            "unable to parse 'm f=1 9223372037': line 1: time outside range "
            "-9223372036854775806 - 9223372036854775806");
}

TEST(NormalizeTest, AppendsToExistingOutput) {
  std::string out = "x";
  ASSERT_TRUE(Normalize("m f=1 1", NormalizeOptions(), &out).ok());
  EXPECT_EQ(out, "xm f=1 1\n");
}

TEST(NormalizeTest, ReservesOnceForTheWholeBody) {
  std::string body;
  for (int i = 0; i < 1000; ++i) body += "m,host=h" + std::to_string(i) + " f=1\n";
  std::string out;
  NormalizeOptions o = WithTag("_instance_id", "e");
  o.now_ns = kNow;
  ASSERT_TRUE(Normalize(body, o, &out).ok());
  const size_t capacity = out.capacity();
  // The capacity reserved up front held the whole output: no reallocation happened.
  std::string again;
  again.reserve(capacity);
  const char* data = again.data();
  ASSERT_TRUE(Normalize(body, o, &again).ok());
  EXPECT_EQ(again.data(), data);
  EXPECT_EQ(again, out);
}

TEST(NormalizeTest, OutputRenormalizesToItself) {
  const std::string body =
      "  cpu,b=2,a=1 x=1,y=\"s p\" 123\n# c\nm f=t\nm s=\"a\nb\"\nm\\ x f=1e5 \t 7  \n";
  std::string once = Norm(body);
  EXPECT_EQ(Norm(once), once);
}

}  // namespace
}  // namespace edgerepl::lp
