#include "agent/lineprotocol/measurement.h"

#include <gtest/gtest.h>

namespace edgerepl::lp {
namespace {

TEST(MeasurementTest, Unescapes) {
  EXPECT_EQ(Measurement("cpu,host=a f=1 1"), "cpu");
  EXPECT_EQ(Measurement("cpu f=1 1"), "cpu");
  EXPECT_EQ(Measurement("c\\ p\\,u,host=a f=1 1"), "c p,u");
  EXPECT_EQ(Measurement("a\\=b\\\"c f=1"), "a=b\"c");
  EXPECT_EQ(Measurement("a\\\\b f=1"), "a\\\\b");  // `\\` is not an escape in a name
  EXPECT_EQ(Measurement("a\\xb f=1"), "a\\xb");
  EXPECT_EQ(Measurement("x"), "x");
}

TEST(MeasurementTest, Filter) {
  const std::string body =
      "cpu,h=a f=1 1\nmem f=2 2\ncpu\\ x f=3 3\nm s=\"a\nmem\" 4\ndisk f=5 5\n";
  std::string out;
  EXPECT_EQ(FilterByMeasurement(body, {"cpu", "disk", "cpu x"}, &out), 3u);
  EXPECT_EQ(out, "cpu,h=a f=1 1\ncpu\\ x f=3 3\ndisk f=5 5\n");
  out.clear();
  // A quoted newline does not start a new line.
  EXPECT_EQ(FilterByMeasurement(body, {"m"}, &out), 1u);
  EXPECT_EQ(out, "m s=\"a\nmem\" 4\n");
  out.clear();
  EXPECT_EQ(FilterByMeasurement(body, {}, &out), 0u);
  EXPECT_EQ(out, "");
  EXPECT_EQ(FilterByMeasurement("mem f=1 1", {"mem"}, &out), 1u);
  EXPECT_EQ(out, "mem f=1 1");
}

}  // namespace
}  // namespace edgerepl::lp
