#include "agent/backfill/progress.h"

#include <charconv>
#include <map>

namespace edgerepl::backfill {
namespace {

constexpr std::string_view kHeader = "edgerepl-backfill 1\n";

template <typename T>
bool ParseNumber(const std::string& s, T* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size() && !s.empty();
}

}  // namespace

std::string EncodeProgress(const Progress& p) {
  std::string out(kHeader);
  auto line = [&out](std::string_view key, const std::string& value) {
    out.append(key).append("=").append(value).append("\n");
  };
  line("from", std::to_string(p.from_ns));
  line("to", std::to_string(p.to_ns));
  line("maxPointsPerSecond", std::to_string(p.max_points_per_second));
  line("origin", p.origin == Origin::kAdmin ? "admin" : "config");
  line("doneUntil", std::to_string(p.done_until_ns));
  line("points", std::to_string(p.points));
  line("cancelled", p.cancelled ? "1" : "0");
  if (p.config_range) {
    line("configFrom", std::to_string(p.config_range->first));
    line("configTo", std::to_string(p.config_range->second));
  }
  return out;
}

Result<Progress> DecodeProgress(std::string_view text) {
  if (text.substr(0, kHeader.size()) != kHeader) {
    return Status::InvalidArgument("not a backfill progress file");
  }
  std::map<std::string, std::string> kv;
  size_t at = kHeader.size();
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) return Status::InvalidArgument("truncated progress file");
    std::string_view line = text.substr(at, end - at);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) return Status::InvalidArgument("bad progress line");
    kv[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    at = end + 1;
  }
  Progress p;
  int cancelled = 0;
  bool ok = ParseNumber(kv["from"], &p.from_ns) && ParseNumber(kv["to"], &p.to_ns) &&
            ParseNumber(kv["maxPointsPerSecond"], &p.max_points_per_second) &&
            ParseNumber(kv["doneUntil"], &p.done_until_ns) &&
            ParseNumber(kv["points"], &p.points) && ParseNumber(kv["cancelled"], &cancelled) &&
            (kv["origin"] == "admin" || kv["origin"] == "config");
  if (!ok) return Status::InvalidArgument("bad progress file");
  p.origin = kv["origin"] == "admin" ? Origin::kAdmin : Origin::kConfig;
  p.cancelled = cancelled != 0;
  if (kv.count("configFrom")) {
    std::pair<int64_t, int64_t> range;
    if (!ParseNumber(kv["configFrom"], &range.first) ||
        !ParseNumber(kv["configTo"], &range.second)) {
      return Status::InvalidArgument("bad progress file");
    }
    p.config_range = range;
  }
  return p;
}

Result<Progress> LoadProgress(queue::FileSystem& fs, const std::string& dir) {
  std::string path = dir + "/" + std::string(kProgressFile);
  Result<bool> exists = fs.Exists(path);
  if (!exists.ok()) return exists.status();
  if (!*exists) return Status::NotFound("no backfill progress in " + dir);
  Result<std::string> text = queue::ReadWholeFile(fs, path);
  if (!text.ok()) return text.status();
  Result<Progress> p = DecodeProgress(*text);
  if (!p.ok()) return Status(p.status().code(), path + ": " + p.status().message());
  return p;
}

Status StoreProgress(queue::FileSystem& fs, const std::string& dir, const Progress& p) {
  return queue::WriteFileAtomically(fs, dir, std::string(kProgressFile), EncodeProgress(p));
}

}  // namespace edgerepl::backfill
