// A small deterministic byte mutator for the short (ctest) form of the fuzz targets: the gcc
// ASan build has no libFuzzer, so these tests feed the seed corpus plus mutated inputs through
// the same entry points the libFuzzer binaries use.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace edgerepl::fuzz {

class Mutator {
 public:
  // `dictionary` holds tokens worth inserting whole (YAML punctuation, field names, ...).
  Mutator(uint32_t seed, std::vector<std::string> dictionary);

  // One to four random edits of `input`: flip, overwrite, insert a byte or a dictionary token,
  // erase or duplicate a range, or splice in part of `other`. Never longer than `max_size`.
  std::string Mutate(const std::string& input, const std::string& other, size_t max_size);

 private:
  void EditOnce(std::string& s, const std::string& other);
  size_t Below(size_t n) { return n == 0 ? 0 : rng_() % n; }

  std::mt19937 rng_;
  std::vector<std::string> dictionary_;
};

// Every regular file of `dir` (sorted by name), as bytes. Empty when the directory is missing.
std::vector<std::string> ReadCorpus(const std::string& dir);

// The tokens of a libFuzzer dictionary file (`"..."` per line with \\, \" and \xNN escapes;
// `#` comments), so the short form mutates with the same tokens as the long one.
std::vector<std::string> ReadDictionary(const std::string& path);

}  // namespace edgerepl::fuzz
