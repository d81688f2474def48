// Short form of fuzz_gzip for the normal (gcc, ASan+UBSan) test build: the seed corpus and a few
// thousand mutations of it go through the same property check the libFuzzer binary runs.
#include <gtest/gtest.h>

#include <cstdlib>

#include "common/codec/gzip.h"
#include "tests/fuzz/config/mutator.h"
#include "tests/fuzz/gzip/gzip_fuzz_target.h"
#include "tests/support/temp_dir.h"

namespace edgerepl::fuzz {
namespace {

std::string Dir() {
  const char* dir = std::getenv("EDGEREPL_SOURCE_DIR");
  return std::string(dir ? dir : ".") + "/tests/fuzz/gzip";
}

TEST(GzipFuzzTest, SeedCorpusHoldsTheProperty) {
  std::vector<std::string> corpus = ReadCorpus(Dir() + "/seeds");
  ASSERT_GE(corpus.size(), 5u) << "seed corpus not found under EDGEREPL_SOURCE_DIR";
  int inflated_count = 0;
  for (const std::string& input : corpus) {
    bool inflated = false;
    EXPECT_EQ(CheckGzipInput(input, &inflated), "");
    inflated_count += inflated ? 1 : 0;
  }
  EXPECT_GE(inflated_count, 3);
}

// The seeds named bomb/at_limit pin the limit's edges: 2 MiB of zeros (2 KiB compressed) is
// refused under the 1 MiB limit, exactly 1 MiB inflates.
TEST(GzipFuzzTest, BombSeedsHitTheLimitExactly) {
  std::string bomb = testing::ReadFileOrDie(Dir() + "/seeds/bomb_2mib_zeros.gz");
  ASSERT_LT(bomb.size(), 4096u);
  Result<std::string> refused = codec::GzipDecompress(bomb, kFuzzInflateLimit);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().IsNoSpace());
  std::string at_limit = testing::ReadFileOrDie(Dir() + "/seeds/at_limit_zeros.gz");
  Result<std::string> taken = codec::GzipDecompress(at_limit, kFuzzInflateLimit);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->size(), kFuzzInflateLimit);
}

TEST(GzipFuzzTest, MutatedInputsHoldTheProperty) {
  std::vector<std::string> corpus = ReadCorpus(Dir() + "/seeds");
  std::vector<std::string> dict = ReadDictionary(Dir() + "/gzip.dict");
  ASSERT_FALSE(corpus.empty());
  ASSERT_GE(dict.size(), 5u);
  Mutator mutator(20261125, dict);
  int inflated_count = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string& base = corpus[i % corpus.size()];
    const std::string& other = corpus[(i * 5 + 1) % corpus.size()];
    std::string input = mutator.Mutate(base, other, 16384);
    bool inflated = false;
    ASSERT_EQ(CheckGzipInput(input, &inflated), "") << "input of " << input.size() << " bytes";
    inflated_count += inflated ? 1 : 0;
  }
  // Some mutants (e.g. of the gzip header's flag-free bytes) still inflate.
  EXPECT_GT(inflated_count, 0);
}

}  // namespace
}  // namespace edgerepl::fuzz
