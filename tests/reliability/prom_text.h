// Reads the agent's /metrics (Prometheus text format) into samples, so tests can sum counters by
// label, e.g. every edgerepl_queue_dropped_points_total by reason.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace edgerepl::reliability {

struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

std::vector<PromSample> ParsePromText(std::string_view text);

// Sum of `name` over samples whose labels include every pair of `match`.
double SumMetric(const std::vector<PromSample>& samples, const std::string& name,
                 const std::map<std::string, std::string>& match = {});

// Sum of `name` grouped by the value of `label`.
std::map<std::string, double> SumBy(const std::vector<PromSample>& samples, const std::string& name,
                                    const std::string& label);

}  // namespace edgerepl::reliability
