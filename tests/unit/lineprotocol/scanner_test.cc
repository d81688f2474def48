// Every acceptance rule of the scanner, each with the reason InfluxDB 2.x gives when it refuses.
#include "agent/lineprotocol/scanner.h"

#include <gtest/gtest.h>

#include <string>

namespace edgerepl::lp {
namespace {

struct Case {
  std::string line;
  std::string error;  // empty: valid
};

std::string ScanError(const std::string& line, Precision p = Precision::kNanoseconds) {
  Scanner s;
  ScannedPoint point;
  std::string error;
  bool ok = s.Scan(line, p, &point, &error);
  EXPECT_EQ(ok, error.empty()) << line;
  return error;
}

void ExpectAll(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    EXPECT_EQ(ScanError(c.line), c.error) << "line: " << c.line;
  }
}

TEST(ScannerTest, MeasurementRules) {
  ExpectAll({
      {"m f=1", ""},
      {"m", "missing fields"},
      {"m ", "invalid field format"},
      {",t=1 f=1", "missing measurement"},
      {"m\\ x f=1", ""},          // escaped space
      {"m\\,x f=1", ""},          // escaped comma
      {"m=x f=1", ""},            // '=' needs no escape in a measurement
      {"m\\\\,x f=1", ""},        // a backslash escapes whatever follows, even a backslash
      {"\"m\" f=1", ""},          // quotes are ordinary bytes here
      {"m\\", "missing fields"},  // trailing backslash
      {"ü f=1", ""},
  });
}

TEST(ScannerTest, TagRules) {
  ExpectAll({
      {"m,t=a f=1", ""},
      {"m,t=a,u=b f=1", ""},
      {"m,u=b,t=a f=1", ""},  // unsorted tags are fine
      {"m, f=1", "missing tag key"},
      {"m,=a f=1", "missing tag key"},
      {"m,,t=a f=1", "missing tag key"},
      {"m,t f=1", "missing tag value"},
      {"m,t,u=b f=1", "missing tag value"},
      {"m,t", "missing tag value"},
      {"m,t= f=1", "missing tag value"},
      {"m,t=,u=b f=1", "missing tag value"},
      {"m,t=a", "missing fields"},
      {"m,t=a=b f=1", "invalid tag format"},
      {"m,t=a\\=b f=1", ""},
      {"m,t\\=x=a f=1", ""},
      {"m,t\\ x=a\\ b f=1", ""},
      {"m,t\\,x=a\\,b f=1", ""},
      {"m,t==a f=1", ""},  // InfluxDB does not check the value's first byte for '='
      {"m,t=a,t=b f=1", "duplicate tags"},
      {"m,t=a,u=c,t=b f=1", "duplicate tags"},  // unsorted duplicate
      {"m,b=1,a=2,b=3 f=1", "duplicate tags"},
      {"m,t=a,T=b f=1", ""},                        // keys are case-sensitive
      {"m,t=\"a b\" f=1", "invalid field format"},  // quotes do not protect a tag value
  });
}

TEST(ScannerTest, FieldKeyRules) {
  ExpectAll({
      {"m =1", "missing field key"},
      {"m f=1,=2", "missing field key"},
      {"m f\\ x=1", ""},
      {"m f\\,x=1", ""},
      {"m f\\=x=1", ""},
      {"m \"f\"=1", ""},  // a quote in a key is an ordinary byte
      {"m f=1,f=2", ""},  // duplicate field keys: accepted, the last value wins in storage
      {"m f=1,f=\"x\"", ""},
      {"m f", "invalid field format"},
      {"m f=1,g", "invalid field format"},
      {"m f=1,", "invalid field format"},
      {"m f=1 ,g=2", "bad timestamp"},
      {"m f\\\\=1", "invalid value: field-key=f\\\\=1"},  // 2.x's walkFields sees "\=" as escaped
  });
}

TEST(ScannerTest, FieldValueRules) {
  ExpectAll({
      {"m f=", "missing field value"},
      {"m f=,g=1", "missing field value"},
      {"m f= 1", "missing field value"},
      {"m f=1.5", ""},
      {"m f=-1.5", ""},
      {"m f=.5", ""},
      {"m f=5.", ""},
      {"m f=1e5", ""},
      {"m f=1E5", ""},
      {"m f=1e+5", ""},
      {"m f=1e-5", ""},
      {"m f=-1.5e-300", ""},
      {"m f=1e-400", ""},  // underflows to 0, as Go's ParseFloat allows
      {"m f=1e400", "invalid float"},
      {"m f=1e", "invalid float"},
      {"m f=1e+", "invalid float"},
      {"m f=.e5", "invalid float"},
      {"m f=1e5e5", "invalid float"},
      {"m f=1.2.3", "invalid number"},
      {"m f=-", "invalid number"},
      {"m f=.", "invalid number"},
      {"m f=-.", "invalid number"},
      {"m f=1x", "invalid number"},
      {"m f=1+5", "invalid number"},
      {"m f=NaN", "invalid number"},
      {"m f=nan", "invalid number"},
      {"m f=-Inf", "invalid number"},
      {"m f=inf", "invalid boolean"},
      {"m f=+1", "invalid boolean"},
      {"m f=0x10", "invalid number"},
      {"m f=1_000", "invalid number"},
      {"m f=1\"", "invalid number"},
      {"m f=1i", ""},
      {"m f=-1i", ""},
      {"m f=0i", ""},
      {"m f=007i", ""},
      {"m f=9223372036854775807i", ""},
      {"m f=-9223372036854775808i", ""},
      {"m f=9223372036854775808i",
       "unable to parse integer 9223372036854775808: strconv.ParseInt: parsing "
       "\"9223372036854775808\": value out of range"},
      {"m f=-9223372036854775809i",
       "unable to parse integer -9223372036854775809: strconv.ParseInt: parsing "
       "\"-9223372036854775809\": value out of range"},
      {"m f=1.5i", "invalid number"},
      {"m f=1e5i", "invalid number"},
      {"m f=1i5", "invalid number"},
      {"m f=1ii", "invalid number"},
      {"m f=-i", "invalid number"},
      {"m f=1u", ""},
      {"m f=0u", ""},
      {"m f=18446744073709551615u", ""},
      {"m f=18446744073709551616u",
       "unable to parse unsigned 18446744073709551616: strconv.ParseUint: parsing "
       "\"18446744073709551616\": value out of range"},
      {"m f=-1u", "invalid number"},
      {"m f=1.5u", "invalid number"},
      {"m f=1iu", "invalid number"},
      {"m f=t", ""},
      {"m f=T", ""},
      {"m f=true", ""},
      {"m f=True", ""},
      {"m f=TRUE", ""},
      {"m f=f", ""},
      {"m f=F", ""},
      {"m f=false", ""},
      {"m f=False", ""},
      {"m f=FALSE", ""},
      {"m f=tRUE", "invalid boolean"},
      {"m f=yes", "invalid boolean"},
      {"m f=truee", "invalid boolean"},
      {"m f=fals", "invalid boolean"},
      {"m f=\"s\"", ""},
      {"m f=\"\"", ""},
      {"m f=\"a b,c=d\"", ""},
      {"m f=\"a\\\"b\"", ""},
      {"m f=\"a\\\\\"", ""},
      {"m f=\"a\\\"", "unbalanced quotes"},
      {"m f=\"a", "unbalanced quotes"},
      {"m f=\"a\nb\"", ""},  // a newline inside a string belongs to the value
      {"m f=\"a\"x", ""},    // InfluxDB keeps bytes after a closing quote
      {"m f=\"a\"b=\"c\"", "invalid field format"},
      {"m f=1,g=\"x\",h=t,i=2i,j=3u", ""},
  });
}

TEST(ScannerTest, TimestampRules) {
  ExpectAll({
      {"m f=1 0", ""},
      {"m f=1 -1", ""},
      {"m f=1 1465839830100400200", ""},
      {"m f=1  123", ""},
      {"m f=1\t123", "invalid number"},  // a tab is not a separator after a number
      {"m f=1 \t123", ""},
      {"m f=1 123 ", ""},
      {"m f=1 123  ", ""},
      {"m f=1 123 4", "point is invalid"},
      {"m f=1 123\t", "bad timestamp"},
      {"m f=1 12a", "bad timestamp"},
      {"m f=1 1.5", "bad timestamp"},
      {"m f=1 +5", "bad timestamp"},
      {"m f=1 5-", "bad timestamp"},
      {"m f=1 -", "strconv.ParseInt: parsing \"-\": invalid syntax"},
      {"m f=1 9223372036854775806", ""},
      {"m f=1 9223372036854775807",
       "time outside range -9223372036854775806 - 9223372036854775806"},
      {"m f=1 -9223372036854775806", ""},
      {"m f=1 -9223372036854775807",
       "time outside range -9223372036854775806 - 9223372036854775806"},
      {"m f=1 9223372036854775808",
       "strconv.ParseInt: parsing \"9223372036854775808\": value out of range"},
      {"m f=1 123\r", "bad timestamp"},
      {"m f=1\r", "invalid number"},
      {"m f=t\r", "invalid boolean"},
  });
}

TEST(ScannerTest, TimestampRangeDependsOnPrecision) {
  EXPECT_EQ(ScanError("m f=1 9223372036", Precision::kSeconds), "");
  EXPECT_EQ(ScanError("m f=1 9223372037", Precision::kSeconds),
            "time outside range -9223372036854775806 - 9223372036854775806");
  EXPECT_EQ(ScanError("m f=1 -9223372036", Precision::kSeconds), "");
  EXPECT_EQ(ScanError("m f=1 2562047", Precision::kHours), "");
  EXPECT_EQ(ScanError("m f=1 2562048", Precision::kHours),
            "time outside range -9223372036854775806 - 9223372036854775806");
  EXPECT_EQ(ScanError("m f=1 9223372036854775", Precision::kMicroseconds), "");
  EXPECT_EQ(ScanError("m f=1 9223372036854776", Precision::kMicroseconds),
            "time outside range -9223372036854775806 - 9223372036854775806");
}

TEST(ScannerTest, KeyLengthLimits) {
  std::string tag_value(kMaxKeyLength, 'v');
  EXPECT_EQ(ScanError("m,t=" + tag_value + " f=1"),
            "max key length exceeded: " + std::to_string(kMaxKeyLength + 4) + " > 65535");
  // The key fits, but the series key of the field (2.x: org, bucket, separators) does not.
  std::string fits(kMaxKeyLength - 4 - 30, 'v');
  EXPECT_EQ(ScanError("m,t=" + fits + " f=1"), "");
  std::string field(20, 'k');
  EXPECT_EQ(
      ScanError("m,t=" + fits + " " + field + "=1"),
      "max key length exceeded: " + std::to_string(kMaxKeyLength - 30 + 20 + 22) + " > 65535");
}

TEST(ScannerTest, RecordsSpans) {
  Scanner s;
  ScannedPoint p;
  std::string error;
  const std::string line = "cpu\\ x,host=a,region=b usage=1.5,n=2i 1700000000";
  ASSERT_TRUE(s.Scan(line, Precision::kSeconds, &p, &error)) << error;
  EXPECT_EQ(line.substr(0, p.measurement_end), "cpu\\ x");
  EXPECT_EQ(line.substr(0, p.key_end), "cpu\\ x,host=a,region=b");
  EXPECT_EQ(line.substr(p.fields_begin, p.fields_end - p.fields_begin), "usage=1.5,n=2i");
  EXPECT_EQ(p.field_count, 2u);
  EXPECT_TRUE(p.has_timestamp);
  EXPECT_EQ(p.timestamp_ns, 1700000000LL * 1000000000);
  ASSERT_EQ(s.tags().size(), 2u);
  EXPECT_EQ(line.substr(s.tags()[1].key_begin, s.tags()[1].key_end - s.tags()[1].key_begin),
            "region");
  EXPECT_EQ(line.substr(s.tags()[1].key_end + 1, s.tags()[1].value_end - s.tags()[1].key_end - 1),
            "b");

  ASSERT_TRUE(s.Scan("m f=1", Precision::kNanoseconds, &p, &error));
  EXPECT_FALSE(p.has_timestamp);
  EXPECT_TRUE(s.tags().empty());
}

TEST(ScannerTest, SkipWhitespaceSkipsSpaceTabAndNul) {
  EXPECT_EQ(SkipWhitespace(std::string_view(" \t\0x", 4), 0), 3u);
  EXPECT_EQ(SkipWhitespace("x", 0), 0u);
  EXPECT_EQ(SkipWhitespace("  ", 0), 2u);
}

}  // namespace
}  // namespace edgerepl::lp
