// Kubernetes label selectors (matchLabels + matchExpressions) matched against the agent pod's
// labels, which the kubelet writes through the downward API as one `key="value"` line per label
// (the value quoted the way Go's %q quotes it).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace edgerepl::config {

using Labels = std::map<std::string, std::string>;

enum class SelectorOperator { kIn, kNotIn, kExists, kDoesNotExist };

struct SelectorRequirement {
  std::string key;
  SelectorOperator op = SelectorOperator::kExists;
  std::vector<std::string> values;  // In / NotIn only; kept in the order given
  bool operator==(const SelectorRequirement&) const = default;
};

// Every requirement must hold (AND). An empty selector matches every pod, as in Kubernetes.
struct LabelSelector {
  std::map<std::string, std::string> match_labels;
  std::vector<SelectorRequirement> match_expressions;
  bool empty() const { return match_labels.empty() && match_expressions.empty(); }
  bool operator==(const LabelSelector&) const = default;
};

bool Matches(const LabelSelector& selector, const Labels& labels);

std::string_view SelectorOperatorName(SelectorOperator op);  // "In", "NotIn", ...

// Parses the downward-API labels file. Blank lines are ignored; any other line must be
// `key="value"` with Go escapes (\" \\ \n \t \xNN \uNNNN ...) inside the quotes.
Result<Labels> ParseLabelsFile(std::string_view text);
// Reads and parses the file; a missing file is kNotFound.
Result<Labels> ReadLabelsFile(const std::string& path);

}  // namespace edgerepl::config
