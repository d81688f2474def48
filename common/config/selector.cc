#include "common/config/selector.h"

#include <algorithm>

#include "common/codec/hex.h"
#include "common/codec/utf8.h"
#include "common/config/parse.h"

namespace edgerepl::config {
namespace {

// Undoes Go's strconv.Quote (what the kubelet's %q writes). `q` excludes the outer quotes.
bool GoUnquote(std::string_view q, std::string* out) {
  for (size_t i = 0; i < q.size(); ++i) {
    char c = q[i];
    if (c == '"') return false;  // an unescaped quote cannot appear inside
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (++i >= q.size()) return false;
    switch (q[i]) {
      case 'a':
        out->push_back('\a');
        break;
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'v':
        out->push_back('\v');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case '"':
        out->push_back('"');
        break;
      case '\'':
        out->push_back('\'');
        break;
      case 'x':
      case 'u':
      case 'U': {
        size_t n = q[i] == 'x' ? 2 : q[i] == 'u' ? 4 : 8;
        if (i + n >= q.size()) return false;
        uint32_t v = 0;
        for (size_t k = 1; k <= n; ++k) {
          int h = codec::HexDigitValue(q[i + k]);
          if (h < 0) return false;
          v = v * 16 + static_cast<uint32_t>(h);
        }
        if (n == 2) {
          out->push_back(static_cast<char>(v));  // a raw byte
        } else {
          if (v > 0x10FFFF) return false;
          codec::AppendUtf8(v, *out);
        }
        i += n;
        break;
      }
      default: {
        // Octal \NNN.
        if (q[i] < '0' || q[i] > '7' || i + 2 >= q.size()) return false;
        uint32_t v = 0;
        for (size_t k = 0; k < 3; ++k) {
          char d = q[i + k];
          if (d < '0' || d > '7') return false;
          v = v * 8 + static_cast<uint32_t>(d - '0');
        }
        if (v > 255) return false;
        out->push_back(static_cast<char>(v));
        i += 2;
      }
    }
  }
  return true;
}

bool Contains(const std::vector<std::string>& values, const std::string& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

}  // namespace

bool Matches(const LabelSelector& selector, const Labels& labels) {
  for (const auto& [key, value] : selector.match_labels) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  for (const SelectorRequirement& req : selector.match_expressions) {
    auto it = labels.find(req.key);
    bool has = it != labels.end();
    switch (req.op) {
      case SelectorOperator::kIn:
        if (!has || !Contains(req.values, it->second)) return false;
        break;
      case SelectorOperator::kNotIn:  // as in Kubernetes, a missing label satisfies NotIn
        if (has && Contains(req.values, it->second)) return false;
        break;
      case SelectorOperator::kExists:
        if (!has) return false;
        break;
      case SelectorOperator::kDoesNotExist:
        if (has) return false;
        break;
    }
  }
  return true;
}

std::string_view SelectorOperatorName(SelectorOperator op) {
  switch (op) {
    case SelectorOperator::kIn:
      return "In";
    case SelectorOperator::kNotIn:
      return "NotIn";
    case SelectorOperator::kExists:
      return "Exists";
    case SelectorOperator::kDoesNotExist:
      return "DoesNotExist";
  }
  return "?";
}

Result<Labels> ParseLabelsFile(std::string_view text) {
  Labels labels;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    size_t eq = line.find('=');
    std::string where = "labels file line " + std::to_string(line_no);
    if (eq == std::string_view::npos || eq == 0) {
      return Status::InvalidArgument(where + ": expected key=\"value\"");
    }
    std::string_view key = line.substr(0, eq);
    std::string_view quoted = line.substr(eq + 1);
    if (quoted.size() < 2 || quoted.front() != '"' || quoted.back() != '"') {
      return Status::InvalidArgument(where + ": value must be double-quoted");
    }
    std::string value;
    if (!GoUnquote(quoted.substr(1, quoted.size() - 2), &value)) {
      return Status::InvalidArgument(where + ": bad escape in value");
    }
    labels[std::string(key)] = std::move(value);
  }
  return labels;
}

Result<Labels> ReadLabelsFile(const std::string& path) {
  Result<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  Result<Labels> labels = ParseLabelsFile(*text);
  if (!labels.ok()) {
    return Status::InvalidArgument(path + ": " + labels.status().message());
  }
  return labels;
}

}  // namespace edgerepl::config
