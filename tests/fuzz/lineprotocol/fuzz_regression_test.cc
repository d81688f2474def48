// Runs the fuzz entry (fuzz_lineprotocol.cc) in the normal test build: over the seed files, the
// differential corpus, and a few thousand deterministic mutations of them, so its invariants are
// checked in CI without clang. Long runs: scripts/fuzz.sh lineprotocol <seconds>.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>

#include "tests/support/temp_dir.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace edgerepl::lp {
namespace {

std::string SourceDir() {
  const char* s = std::getenv("EDGEREPL_SOURCE_DIR");
  return s ? s : ".";
}

// Seeds: the checked-in seed files and every case of the differential corpus.
std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  for (const auto& e :
       std::filesystem::directory_iterator(SourceDir() + "/tests/fuzz/lineprotocol/seeds")) {
    seeds.push_back(edgerepl::testing::ReadFileOrDie(e.path().string()));
  }
  std::istringstream corpus(
      edgerepl::testing::ReadFileOrDie(SourceDir() + "/tests/integration/lineprotocol/corpus.txt"));
  std::string line;
  while (std::getline(corpus, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::string body;
    for (size_t i = 0; i < line.size();) {
      if (line.compare(i, 4, "{LF}") == 0) {
        body.push_back('\n'), i += 4;
      } else if (line.compare(i, 4, "{CR}") == 0) {
        body.push_back('\r'), i += 4;
      } else if (line.compare(i, 5, "{TAB}") == 0) {
        body.push_back('\t'), i += 5;
      } else if (line.compare(i, 5, "{NUL}") == 0) {
        body.push_back('\0'), i += 5;
      } else {
        body.push_back(line[i++]);
      }
    }
    seeds.push_back(std::string(1, '\0') + body);
  }
  return seeds;
}

void RunFuzzEntry(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

TEST(LineProtocolFuzzRegressionTest, SeedsWithEveryOptionByte) {
  const auto seeds = Seeds();
  ASSERT_GE(seeds.size(), 200u);
  for (const std::string& seed : seeds) {
    for (int selector : {0, 1, 2, 3, 4, 5, 0x40, 0xC3}) {
      std::string input = seed;
      input[0] = static_cast<char>(selector);
      RunFuzzEntry(input);
    }
  }
}

TEST(LineProtocolFuzzRegressionTest, DeterministicMutations) {
  const auto seeds = Seeds();
  std::mt19937 rng(20261125);
  static const char kAlphabet[] = " ,=\\\"\n\r\t#-+.0123456789eEiutfTFaxN";
  int runs = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string input = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = input.size() > 1 ? 1 + rng() % (input.size() - 1) : 1;
      const char c = kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
      switch (rng() % 4) {
        case 0:
          if (pos < input.size()) input[pos] = c;
          break;
        case 1:
          input.insert(input.begin() + static_cast<std::ptrdiff_t>(std::min(pos, input.size())), c);
          break;
        case 2:
          if (pos < input.size()) input.erase(pos, 1);
          break;
        default:
          input += "\n" + seeds[rng() % seeds.size()].substr(1);
      }
    }
    input[0] = static_cast<char>(rng());
    RunFuzzEntry(input);
    ++runs;
  }
  EXPECT_EQ(runs, 20000);
}

}  // namespace
}  // namespace edgerepl::lp
