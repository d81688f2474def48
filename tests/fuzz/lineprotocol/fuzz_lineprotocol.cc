// Fuzz entry for the line-protocol core. Besides not crashing (under ASan/UBSan), it checks the
// properties the agent relies on:
//  - a normalized body normalizes to itself (so the remote parses what the local InfluxDB got);
//  - every normalized line decodes, and measurement filters keep exactly the lines asked for;
//  - split chunks concatenate back to the body and respect their bounds;
//  - an error message becomes valid JSON.
// The first input byte picks the options, the rest is the body.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/lineprotocol/decode.h"
#include "agent/lineprotocol/error_json.h"
#include "agent/lineprotocol/line_end.h"
#include "agent/lineprotocol/measurement.h"
#include "agent/lineprotocol/normalize.h"
#include "agent/lineprotocol/split.h"

namespace {

using namespace edgerepl::lp;  // NOLINT: a fuzz entry, not a library

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

// JSON text made of printable ASCII and valid UTF-8 only (the error body must parse anywhere).
bool IsCleanJsonText(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x20) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<uint8_t>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);

  static constexpr Precision kPrecisions[] = {Precision::kNanoseconds,  Precision::kMicroseconds,
                                              Precision::kMilliseconds, Precision::kSeconds,
                                              Precision::kMinutes,      Precision::kHours};
  NormalizeOptions options;
  options.precision = kPrecisions[selector % 6];
  options.now_ns = 1'700'000'000'123'456'789;
  if (selector & 0x40) {
    options.extra_tag_key = "_instance_id";
    options.extra_tag_value = (selector & 0x80) ? "edge 1,a=b" : "edge-1";
  }

  std::string normalized;
  auto result = Normalize(body, options, &normalized);
  if (!result.ok()) {
    const std::string json = ErrorJson("invalid", result.status().message());
    Check(json.rfind("{\"code\":\"invalid\",\"message\":\"", 0) == 0 && json.back() == '}',
          "error JSON shape");
    Check(IsCleanJsonText(json), "error JSON is valid UTF-8 without control bytes");
    return 0;
  }

  // Idempotence: the normalized body is valid, in ns, and unchanged by a second pass.
  NormalizeOptions again;
  again.now_ns = 1;
  std::string twice;
  auto second = Normalize(normalized, again, &twice);
  Check(second.ok(), "normalized body is valid");
  Check(twice == normalized, "normalized body normalizes to itself");
  Check(second->points == result->points, "same point count after normalizing twice");
  Check(second->lines == result->points, "normalized body has one line per point");

  // Every line decodes; filtering by all measurements keeps everything.
  std::vector<std::string> measurements;
  for (size_t pos = 0; pos < normalized.size();) {
    const size_t end = FindLineEnd(normalized, pos);
    std::string_view line = std::string_view(normalized).substr(pos, end - pos);
    // InfluxDB's line splitting may see the final newline as quoted (e.g. after a leading
    // space); the line then runs to the end of the body, and its last byte is that newline.
    Check(end < normalized.size() || line.back() == '\n',
          "every normalized line ends with a newline");
    if (end == normalized.size()) line.remove_suffix(1);
    auto decoded = DecodeLine(line);
    Check(decoded.ok(), "normalized line decodes");
    Check(decoded->has_timestamp, "normalized line has a timestamp");
    Check(Measurement(line) == decoded->measurement, "Measurement agrees with the decoder");
    measurements.push_back(decoded->measurement);
    pos = end + 1;
  }
  std::string filtered;
  Check(FilterByMeasurement(normalized, measurements, &filtered) == result->points,
        "filter by every measurement keeps every point");
  Check(filtered == normalized, "filter by every measurement keeps the body");
  if (!measurements.empty()) {
    filtered.clear();
    const uint64_t kept = FilterByMeasurement(normalized, {measurements[0]}, &filtered);
    uint64_t expected = 0;
    for (const auto& m : measurements) expected += m == measurements[0];
    Check(kept == expected, "filter keeps exactly the matching points");
  }

  // Splitting at bounds derived from the input.
  const size_t max_bytes = 1 + (selector % 7) * 13;
  const size_t max_points = selector % 4;
  std::string joined;
  for (std::string_view chunk : SplitLines(normalized, max_bytes, max_points)) {
    Check(!chunk.empty(), "no empty chunk");
    size_t lines = 0;
    for (size_t pos = 0; pos < chunk.size(); pos = FindLineEnd(chunk, pos) + 1) ++lines;
    Check(max_points == 0 || lines <= max_points, "chunk within max_points");
    Check(lines == 1 || chunk.size() <= max_bytes, "chunk within max_bytes unless one line");
    joined.append(chunk);
  }
  Check(joined == normalized, "chunks concatenate back to the body");
  return 0;
}
