#include "common/config/selector.h"

#include <gtest/gtest.h>

#include "common/config/config.h"
#include "tests/support/temp_dir.h"

namespace edgerepl::config {
namespace {

struct MatchCase {
  const char* name;
  LabelSelector selector;
  bool want;
};

void PrintTo(const MatchCase& c, std::ostream* os) {
  *os << c.name;
}

const Labels kPod = {{"app", "influx"}, {"zone", "a"}, {"tier", ""}};

class SelectorMatchTest : public ::testing::TestWithParam<MatchCase> {};

TEST_P(SelectorMatchTest, Matches) {
  EXPECT_EQ(Matches(GetParam().selector, kPod), GetParam().want) << GetParam().name;
}

using Op = SelectorOperator;

INSTANTIATE_TEST_SUITE_P(
    Table, SelectorMatchTest,
    ::testing::Values(
        MatchCase{"Empty", {}, true}, MatchCase{"LabelEqual", {{{"app", "influx"}}, {}}, true},
        MatchCase{"LabelDiffers", {{{"app", "other"}}, {}}, false},
        MatchCase{"LabelMissing", {{{"x", "1"}}, {}}, false},
        MatchCase{"EmptyValueEqual", {{{"tier", ""}}, {}}, true},
        MatchCase{"AllLabelsMustMatch", {{{"app", "influx"}, {"zone", "b"}}, {}}, false},
        MatchCase{"In", {{}, {{"zone", Op::kIn, {"b", "a"}}}}, true},
        MatchCase{"InNoMatch", {{}, {{"zone", Op::kIn, {"b"}}}}, false},
        MatchCase{"InMissingKey", {{}, {{"nope", Op::kIn, {"a"}}}}, false},
        MatchCase{"NotIn", {{}, {{"zone", Op::kNotIn, {"b"}}}}, true},
        MatchCase{"NotInHit", {{}, {{"zone", Op::kNotIn, {"a"}}}}, false},
        MatchCase{"NotInMissingKey", {{}, {{"nope", Op::kNotIn, {"a"}}}}, true},
        MatchCase{"Exists", {{}, {{"tier", Op::kExists, {}}}}, true},
        MatchCase{"ExistsMissing", {{}, {{"nope", Op::kExists, {}}}}, false},
        MatchCase{"DoesNotExist", {{}, {{"nope", Op::kDoesNotExist, {}}}}, true},
        MatchCase{"DoesNotExistHit", {{}, {{"app", Op::kDoesNotExist, {}}}}, false},
        MatchCase{"LabelsAndExpressions",
                  {{{"app", "influx"}}, {{"zone", Op::kIn, {"a"}}, {"x", Op::kDoesNotExist, {}}}},
                  true},
        MatchCase{
            "OneExpressionFails",
            {{{"app", "influx"}}, {{"zone", Op::kIn, {"a"}}, {"app", Op::kNotIn, {"influx"}}}},
            false}),
    [](const ::testing::TestParamInfo<MatchCase>& info) { return info.param.name; });

TEST(LabelsFileTest, ParsesKubeletFormat) {
  // As the kubelet writes it: sorted keys, Go %q quoting.
  Result<Labels> l = ParseLabelsFile(
      "app=\"influx\"\n"
      "app.kubernetes.io/component=\"edgerepl-agent\"\n"
      "empty=\"\"\n"
      "esc=\"a\\\"b\\\\c\\nd\\te\\x41\\u00e9\\U0001F600\\101\"\n"
      "pod-template-hash=\"7d4b9c\"");
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(l->size(), 5u);
  EXPECT_EQ(l->at("app"), "influx");
  EXPECT_EQ(l->at("app.kubernetes.io/component"), "edgerepl-agent");
  EXPECT_EQ(l->at("empty"), "");
  EXPECT_EQ(l->at("esc"),
            "a\"b\\c\nd\teA\xC3\xA9\xF0\x9F\x98\x80"
            "A");
  EXPECT_EQ(l->at("pod-template-hash"), "7d4b9c");
}

TEST(LabelsFileTest, EmptyAndBlankLines) {
  Result<Labels> l = ParseLabelsFile("\n\na=\"1\"\r\n\n");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->size(), 1u);
  EXPECT_TRUE(ParseLabelsFile("")->empty());
}

TEST(LabelsFileTest, RejectsMalformedLines) {
  EXPECT_EQ(ParseLabelsFile("a=\"1\"\nnoequals\n").status().message(),
            "labels file line 2: expected key=\"value\"");
  EXPECT_EQ(ParseLabelsFile("a=1\n").status().message(),
            "labels file line 1: value must be double-quoted");
  EXPECT_EQ(ParseLabelsFile("a=\"x\\q\"\n").status().message(),
            "labels file line 1: bad escape in value");
  EXPECT_EQ(ParseLabelsFile("a=\"x\\u12\"\n").status().message(),
            "labels file line 1: bad escape in value");
  EXPECT_FALSE(ParseLabelsFile("a=\"x\"y\"\n").ok());
  EXPECT_FALSE(ParseLabelsFile("a=\"x\\\"\n").ok());
}

TEST(LabelsFileTest, ReadsFile) {
  testing::TempDir dir;
  testing::WriteFileOrDie(dir.Join("labels"), "app=\"influx\"\n");
  Result<Labels> l = ReadLabelsFile(dir.Join("labels"));
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->at("app"), "influx");
  EXPECT_EQ(ReadLabelsFile(dir.Join("missing")).status().code(), StatusCode::kNotFound);
}

TEST(SelectReplicationsTest, FiltersBySelectorOnlyWithLabels) {
  Config c;
  ReplicationConfig a, b;
  a.id = "a";
  a.selector.match_labels = {{"zone", "a"}};
  b.id = "b";
  b.selector.match_labels = {{"zone", "b"}};
  c.replications = {a, b};
  Labels pod = {{"zone", "a"}};
  auto selected = SelectReplications(c, &pod);
  ASSERT_EQ(selected.size(), 1u);
  EXPECT_EQ(selected[0]->id, "a");
  EXPECT_EQ(SelectReplications(c, nullptr).size(), 2u);
}

}  // namespace
}  // namespace edgerepl::config
