#include "tests/fuzz/config/mutator.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace edgerepl::fuzz {

Mutator::Mutator(uint32_t seed, std::vector<std::string> dictionary)
    : rng_(seed), dictionary_(std::move(dictionary)) {}

std::string Mutator::Mutate(const std::string& input, const std::string& other, size_t max_size) {
  std::string s = input;
  int edits = 1 + static_cast<int>(Below(4));
  for (int i = 0; i < edits; ++i) EditOnce(s, other);
  if (s.size() > max_size) s.resize(max_size);
  return s;
}

void Mutator::EditOnce(std::string& s, const std::string& other) {
  size_t pos = Below(s.size() + 1);
  switch (Below(7)) {
    case 0:  // flip one bit
      if (!s.empty()) s[pos % s.size()] ^= static_cast<char>(1u << Below(8));
      break;
    case 1:  // overwrite with any byte
      if (!s.empty()) s[pos % s.size()] = static_cast<char>(Below(256));
      break;
    case 2:  // insert any byte
      s.insert(pos, 1, static_cast<char>(Below(256)));
      break;
    case 3:  // insert a dictionary token
      if (!dictionary_.empty()) s.insert(pos, dictionary_[Below(dictionary_.size())]);
      break;
    case 4:  // erase a range
      if (!s.empty()) s.erase(pos % s.size(), 1 + Below(16));
      break;
    case 5: {  // duplicate a range in place
      if (s.empty()) break;
      size_t from = pos % s.size();
      std::string piece = s.substr(from, 1 + Below(32));
      s.insert(Below(s.size() + 1), piece);
      break;
    }
    default: {  // splice part of another input
      if (other.empty()) break;
      size_t from = Below(other.size());
      s.insert(pos, other.substr(from, 1 + Below(64)));
      break;
    }
  }
}

std::vector<std::string> ReadCorpus(const std::string& dir) {
  std::vector<std::filesystem::path> paths;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file()) paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    out.push_back(bytes.str());
  }
  return out;
}

std::vector<std::string> ReadDictionary(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    size_t open = line.find('"');
    size_t close = line.rfind('"');
    if (line.empty() || line[0] == '#' || open == std::string::npos || close <= open) continue;
    std::string token;
    for (size_t i = open + 1; i < close; ++i) {
      if (line[i] != '\\' || i + 1 >= close) {
        token += line[i];
      } else if (line[i + 1] == 'x' && i + 3 < close) {
        token += static_cast<char>(std::stoi(line.substr(i + 2, 2), nullptr, 16));
        i += 3;
      } else {
        token += line[++i];
      }
    }
    out.push_back(token);
  }
  return out;
}

}  // namespace edgerepl::fuzz
