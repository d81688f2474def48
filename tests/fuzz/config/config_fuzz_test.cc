// Short form of fuzz_config for the normal (gcc, ASan+UBSan) test build: the seed corpus and a
// few thousand mutations of it go through the same property check the libFuzzer binary runs.
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/fuzz/config/config_fuzz_target.h"
#include "tests/fuzz/config/mutator.h"

namespace edgerepl::fuzz {
namespace {

std::string SourceDir() {
  const char* dir = std::getenv("EDGEREPL_SOURCE_DIR");
  return dir ? dir : ".";
}

TEST(ConfigFuzzTest, SeedCorpusHoldsTheProperty) {
  std::vector<std::string> corpus = ReadCorpus(SourceDir() + "/tests/fuzz/config/seeds");
  ASSERT_GE(corpus.size(), 5u) << "seed corpus not found under EDGEREPL_SOURCE_DIR";
  for (const std::string& input : corpus) {
    bool accepted = false;
    EXPECT_EQ(CheckConfigInput(input, &accepted), "") << "input:\n" << input;
  }
}

// Found by this target: a YAML stream must be UTF-8, yet a lone 0xEF byte in a string field was
// accepted and Render wrote U+FFFD in its place, so the operator's rendered file and the agent's
// parsed config could differ. Invalid UTF-8 must be refused (or kept byte for byte).
TEST(ConfigFuzzTest, InvalidUtf8IsRefusedOrKeptExactly) {
  const std::string input =
      "remotes:\n  - {name: r, url: \"http://12\xEFmaxBytes.0.0.1:8086\", protocol: v1}\n"
      "replications:\n  - {id: a, name: a, remote: r, localBucket: db, remoteBucket: db}\n";
  EXPECT_EQ(CheckConfigInput(input), "");
}

TEST(ConfigFuzzTest, MutatedInputsHoldTheProperty) {
  std::vector<std::string> corpus = ReadCorpus(SourceDir() + "/tests/fuzz/config/seeds");
  std::vector<std::string> dict = ReadDictionary(SourceDir() + "/tests/fuzz/config/config.dict");
  ASSERT_FALSE(corpus.empty());
  ASSERT_GT(dict.size(), 50u);
  Mutator mutator(20261125, dict);
  int still_valid = 0;
  for (int i = 0; i < 4000; ++i) {
    const std::string& base = corpus[i % corpus.size()];
    const std::string& other = corpus[(i * 7 + 3) % corpus.size()];
    std::string input = mutator.Mutate(base, other, 8192);
    bool accepted = false;
    ASSERT_EQ(CheckConfigInput(input, &accepted), "") << "input:\n" << input;
    // Counting accepted mutants proves the round-trip branch of the property actually ran.
    if (accepted) ++still_valid;
  }
  EXPECT_GT(still_valid, 100);
}

}  // namespace
}  // namespace edgerepl::fuzz
