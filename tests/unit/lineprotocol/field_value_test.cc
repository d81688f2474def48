#include "agent/lineprotocol/field_value.h"

#include <gtest/gtest.h>

namespace edgerepl::lp {
namespace {

TEST(FieldValueTest, NumberTypesAndEnds) {
  struct Case {
    std::string text;
    size_t end;
    FieldType type;
  };
  for (const Case& c : std::vector<Case>{{"1.5,x", 3, FieldType::kFloat},
                                         {"12i x", 3, FieldType::kInteger},
                                         {"7u", 2, FieldType::kUnsigned},
                                         {"-3", 2, FieldType::kFloat},
                                         {"1e-3 5", 4, FieldType::kFloat}}) {
    FieldType type;
    std::string error;
    EXPECT_EQ(ScanNumber(c.text, 0, &type, &error), c.end) << c.text;
    EXPECT_EQ(error, "") << c.text;
    EXPECT_EQ(type, c.type) << c.text;
  }
}

TEST(FieldValueTest, LongPlainDecimalsAreRangeChecked) {
  FieldType type;
  std::string error;
  // 24 characters: never parsed by InfluxDB, and always a valid float.
  ScanNumber("123456789012345678901234", 0, &type, &error);
  EXPECT_EQ(error, "");
  std::string huge = "1" + std::string(400, '0');
  ScanNumber(huge, 0, &type, &error);
  EXPECT_EQ(error, "invalid float");
  error.clear();
  std::string tiny = "0." + std::string(400, '0') + "1";
  ScanNumber(tiny, 0, &type, &error);
  EXPECT_EQ(error, "");
}

TEST(FieldValueTest, IsValidFloat) {
  for (const char* ok : {"1", "-1", "1.", ".1", "1e5", "1E+5", "1e-5", "-0.0", "1e308",
                         "1.7976931348623157e308", "4.9e-324", "1e-400", "0e999999999999"}) {
    EXPECT_TRUE(IsValidFloat(ok)) << ok;
  }
  for (const char* bad : {"", "-", ".", "e5", "1e", "1e+", "1e5e5", "1.2.3", "1-5", "--1",
                          "1.8e308", "1e309", "-1e309", "1e99999999999999999999"}) {
    EXPECT_FALSE(IsValidFloat(bad)) << bad;
  }
}

TEST(FieldValueTest, Booleans) {
  for (const char* ok : {"t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE"}) {
    std::string error;
    EXPECT_EQ(ScanBoolean(ok, 0, &error), std::string_view(ok).size());
    EXPECT_EQ(error, "") << ok;
  }
  for (const char* bad : {"tRue", "TRUe", "yes", "x", "true1", "fa", "FaLSE"}) {
    std::string error;
    ScanBoolean(bad, 0, &error);
    EXPECT_EQ(error, "invalid boolean") << bad;
  }
  std::string error;
  EXPECT_EQ(ScanBoolean("true,x=1", 0, &error), 4u);
  EXPECT_EQ(ScanBoolean("F 123", 0, &error), 1u);
}

}  // namespace
}  // namespace edgerepl::lp
