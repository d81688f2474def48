#include "tests/reliability/prom_text.h"

#include <cstdlib>

namespace edgerepl::reliability {

std::vector<PromSample> ParsePromText(std::string_view text) {
  std::vector<PromSample> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty() || line[0] == '#') continue;
    PromSample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = std::string(line.substr(0, i));
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        size_t eq = line.find('=', i);
        if (eq == std::string_view::npos) break;
        std::string key(line.substr(i, eq - i));
        std::string value;
        size_t j = eq + 2;  // past ="
        while (j < line.size() && line[j] != '"') {
          if (line[j] == '\\' && j + 1 < line.size()) {
            ++j;
            value += line[j] == 'n' ? '\n' : line[j];
          } else {
            value += line[j];
          }
          ++j;
        }
        s.labels[key] = value;
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      ++i;
    }
    while (i < line.size() && line[i] == ' ') ++i;
    s.value = std::strtod(std::string(line.substr(i)).c_str(), nullptr);
    out.push_back(std::move(s));
  }
  return out;
}

double SumMetric(const std::vector<PromSample>& samples, const std::string& name,
                 const std::map<std::string, std::string>& match) {
  double sum = 0;
  for (const PromSample& s : samples) {
    if (s.name != name) continue;
    bool ok = true;
    for (const auto& [k, v] : match) {
      auto it = s.labels.find(k);
      if (it == s.labels.end() || it->second != v) ok = false;
    }
    if (ok) sum += s.value;
  }
  return sum;
}

std::map<std::string, double> SumBy(const std::vector<PromSample>& samples, const std::string& name,
                                    const std::string& label) {
  std::map<std::string, double> out;
  for (const PromSample& s : samples) {
    if (s.name != name) continue;
    auto it = s.labels.find(label);
    out[it == s.labels.end() ? "" : it->second] += s.value;
  }
  return out;
}

}  // namespace edgerepl::reliability
