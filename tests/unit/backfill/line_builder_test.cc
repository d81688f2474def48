// Rows back to line protocol exactly as InfluxDB parses it: each field type's form, each part's
// escapes, timestamps as given.
#include "agent/backfill/line_builder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace edgerepl::backfill {
namespace {

using Tags = std::vector<std::pair<std::string, std::string>>;

std::string Line(std::string_view measurement, const Tags& tags,
                 const std::vector<FieldValue>& fields, std::string_view time_ns = "1") {
  std::string out;
  AppendLine(measurement, tags, fields, time_ns, &out);
  return out;
}

FieldValue F(std::string key, FieldType type, std::string value) {
  return FieldValue{std::move(key), type, std::move(value)};
}

TEST(BackfillFieldTypeTest, InfluxqlNamesRoundTripAndOthersAreRefused) {
  for (FieldType t : {FieldType::kFloat, FieldType::kInteger, FieldType::kUnsigned,
                      FieldType::kString, FieldType::kBoolean}) {
    EXPECT_EQ(ParseFieldType(FieldTypeName(t)), t) << FieldTypeName(t);
  }
  EXPECT_EQ(FieldTypeName(FieldType::kUnsigned), "unsigned");
  for (const char* bad : {"", "Float", "int", "bool", "timestamp"}) {
    EXPECT_FALSE(ParseFieldType(bad).has_value()) << bad;
  }
}

TEST(BackfillAppendLineTest, EachFieldTypeHasItsOwnForm) {
  struct Case {
    FieldValue field;
    const char* line;
  };
  const std::vector<Case> cases = {
      // A float is written as influxd printed it: an integral float keeps no suffix, so the
      // remote stores a float too.
      {F("v", FieldType::kFloat, "1"), "m v=1 1\n"},
      {F("v", FieldType::kFloat, "0.30000000000000004"), "m v=0.30000000000000004 1\n"},
      {F("v", FieldType::kFloat, "-1.7976931348623157e+308"), "m v=-1.7976931348623157e+308 1\n"},
      {F("v", FieldType::kFloat, "5e-324"), "m v=5e-324 1\n"},
      {F("v", FieldType::kInteger, "-9223372036854775808"), "m v=-9223372036854775808i 1\n"},
      {F("v", FieldType::kInteger, "0"), "m v=0i 1\n"},
      {F("v", FieldType::kUnsigned, "18446744073709551615"), "m v=18446744073709551615u 1\n"},
      {F("v", FieldType::kBoolean, "true"), "m v=true 1\n"},
      {F("v", FieldType::kBoolean, "false"), "m v=false 1\n"},
      {F("v", FieldType::kString, ""), "m v=\"\" 1\n"},
      {F("v", FieldType::kString, "plain text"), "m v=\"plain text\" 1\n"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Line("m", {}, {c.field}), c.line) << FieldTypeName(c.field.type);
  }
}

TEST(BackfillAppendLineTest, AStringEscapesOnlyQuoteAndBackslash) {
  // InfluxDB unescapes \" and \\ in a string field and nothing else; a newline is stored as is
  // inside the quotes (its parser does not end a line within a quoted string).
  EXPECT_EQ(Line("m", {}, {F("s", FieldType::kString, "a\"b\\c,d=e f\ng\th")}),
            "m s=\"a\\\"b\\\\c,d=e f\ng\th\" 1\n");
  EXPECT_EQ(Line("m", {}, {F("s", FieldType::kString, "\\")}), "m s=\"\\\\\" 1\n");
  EXPECT_EQ(Line("m", {}, {F("s", FieldType::kString, "\xe2\x82\xac")}),
            "m s=\"\xe2\x82\xac\" 1\n");
}

TEST(BackfillAppendLineTest, MeasurementTagAndFieldKeysEscapeWhatTheirParserSplitsOn) {
  // Measurement: comma and space; tag key and value: those and '='; field key: those and '"'.
  EXPECT_EQ(Line("a,b c=d\"e", {}, {F("v", FieldType::kFloat, "1")}), "a\\,b\\ c=d\"e v=1 1\n");
  EXPECT_EQ(Line("m", {{"k,e y=", "v,a l=\"ue"}}, {F("v", FieldType::kFloat, "1")}),
            "m,k\\,e\\ y\\==v\\,a\\ l\\=\"ue v=1 1\n");
  EXPECT_EQ(Line("m", {}, {F("f,i e=l\"d", FieldType::kFloat, "1")}), "m f\\,i\\ e\\=l\\\"d=1 1\n");
}

TEST(BackfillAppendLineTest, TagsKeepTheirOrderAndEmptyValuesAreLeftOut) {
  EXPECT_EQ(Line("m", {{"a", "1"}, {"b", ""}, {"c", "3"}, {"d", ""}},
                 {F("x", FieldType::kInteger, "1"), F("y", FieldType::kString, "s"),
                  F("z", FieldType::kBoolean, "true")}),
            "m,a=1,c=3 x=1i,y=\"s\",z=true 1\n");
  EXPECT_EQ(Line("m", {{"only", ""}}, {F("v", FieldType::kFloat, "2")}), "m v=2 1\n");
}

TEST(BackfillAppendLineTest, TimestampsAreWrittenAsGivenInNanoseconds) {
  const std::vector<FieldValue> f = {F("v", FieldType::kFloat, "1")};
  EXPECT_EQ(Line("m", {}, f, "1700000000123456789"), "m v=1 1700000000123456789\n");
  EXPECT_EQ(Line("m", {}, f, "-1"), "m v=1 -1\n");
  EXPECT_EQ(Line("m", {}, f, "-9223372036854775806"), "m v=1 -9223372036854775806\n");
  EXPECT_EQ(Line("m", {}, f, "0"), "m v=1 0\n");
}

TEST(BackfillAppendLineTest, ARowWithoutFieldsAppendsNothing) {
  std::string out = "kept\n";
  AppendLine("m", {{"t", "v"}}, {}, "1", &out);
  EXPECT_EQ(out, "kept\n");
}

TEST(BackfillAppendLineTest, LinesAppendAfterWhatIsThere) {
  std::string out;
  AppendLine("a", {}, {F("v", FieldType::kFloat, "1")}, "1", &out);
  AppendLine("b", {}, {F("v", FieldType::kFloat, "2")}, "2", &out);
  EXPECT_EQ(out, "a v=1 1\nb v=2 2\n");
}

}  // namespace
}  // namespace edgerepl::backfill
