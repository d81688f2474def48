// Short form of fuzz_deletes for the normal (gcc, ASan+UBSan) test build: the seed corpus and a
// few thousand mutations of it go through the same property check the libFuzzer binary runs.
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/fuzz/config/mutator.h"
#include "tests/fuzz/deletes/deletes_fuzz_target.h"

namespace edgerepl::fuzz {
namespace {

std::string Dir() {
  const char* dir = std::getenv("EDGEREPL_SOURCE_DIR");
  return std::string(dir ? dir : ".") + "/tests/fuzz/deletes";
}

TEST(DeletesFuzzTest, SeedCorpusHoldsTheProperty) {
  std::vector<std::string> corpus = ReadCorpus(Dir() + "/seeds");
  ASSERT_GE(corpus.size(), 5u) << "seed corpus not found under EDGEREPL_SOURCE_DIR";
  int accepted_total = 0;
  for (const std::string& input : corpus) {
    int accepted = 0;
    EXPECT_EQ(CheckDeletesInput(input, &accepted), "") << input;
    accepted_total += accepted;
  }
  EXPECT_GE(accepted_total, 5);
}

TEST(DeletesFuzzTest, MutatedInputsHoldTheProperty) {
  std::vector<std::string> corpus = ReadCorpus(Dir() + "/seeds");
  std::vector<std::string> dict = ReadDictionary(Dir() + "/deletes.dict");
  ASSERT_FALSE(corpus.empty());
  ASSERT_GE(dict.size(), 10u);
  Mutator mutator(20261207, dict);
  int accepted_total = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string& base = corpus[i % corpus.size()];
    const std::string& other = corpus[(i * 7 + 3) % corpus.size()];
    std::string input = mutator.Mutate(base, other, 4096);
    int accepted = 0;
    ASSERT_EQ(CheckDeletesInput(input, &accepted), "") << input;
    accepted_total += accepted;
  }
  // Mutants that still parse are what reach the round trips.
  EXPECT_GT(accepted_total, 1000);
}

}  // namespace
}  // namespace edgerepl::fuzz
