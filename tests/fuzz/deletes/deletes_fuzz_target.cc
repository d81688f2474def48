#include "tests/fuzz/deletes/deletes_fuzz_target.h"

#include <exception>

#include "agent/deletes/delete_spec.h"
#include "agent/deletes/influxql_delete.h"
#include "agent/deletes/v2_delete.h"

namespace edgerepl::fuzz {
namespace {

using deletes::DeleteSpec;

constexpr int64_t kNow = 1'767'225'600'000'000'000;

std::string CheckSpec(const DeleteSpec& s, std::string_view from) {
  std::string where = " (from " + std::string(from) + ")";
  if (s.start_ns < deletes::kMinTimeNs || s.stop_ns > deletes::kMaxTimeNs ||
      s.start_ns > s.stop_ns) {
    return "accepted an empty or out-of-range time range" + where;
  }
  if (s.kind == DeleteSpec::Kind::kDropSeries &&
      (s.start_ns != deletes::kMinTimeNs || s.stop_ns != deletes::kMaxTimeNs)) {
    return "accepted a DROP SERIES with a time range" + where;
  }
  Result<DeleteSpec> record = deletes::DecodeRecord(deletes::EncodeRecord(s));
  if (!record.ok() || !(*record == s)) return "record does not round-trip" + where;
  std::string q = deletes::RenderInfluxQL(s);
  Result<DeleteSpec> influxql = deletes::ParseInfluxQLDelete(q, 0);
  if (!influxql.ok()) return "rendered InfluxQL refused: " + influxql.status().message() + where;
  if (!(*influxql == s)) return "InfluxQL does not round-trip: " + q + where;
  Result<DeleteSpec> v2 = deletes::ParseV2Delete(deletes::RenderV2Body(s));
  if (!v2.ok()) return "rendered v2 body refused: " + v2.status().message() + where;
  DeleteSpec as_delete = s;
  as_delete.kind = DeleteSpec::Kind::kDelete;
  if (!(*v2 == as_delete)) return "v2 body does not round-trip" + where;
  return "";
}

std::string Check(std::string_view data, int* accepted) {
  for (const std::string& statement : deletes::SplitStatements(data)) {
    if (statement.empty() || statement.front() == ' ' || statement.back() == ' ') {
      return "SplitStatements returned an empty or untrimmed statement";
    }
    bool is_delete = deletes::IsDeleteStatement(statement);
    Result<DeleteSpec> spec = deletes::ParseInfluxQLDelete(statement, kNow);
    if (spec.ok() && !is_delete) return "parsed a statement IsDeleteStatement rejects";
    if (spec.ok()) {
      ++*accepted;
      if (std::string v = CheckSpec(*spec, "InfluxQL"); !v.empty()) return v;
    } else if (spec.status().code() != StatusCode::kInvalidArgument) {
      return "unexpected error kind: " + spec.status().ToString();
    }
  }
  Result<DeleteSpec> v2 = deletes::ParseV2Delete(data);
  if (v2.ok()) {
    ++*accepted;
    if (v2->kind != DeleteSpec::Kind::kDelete) return "v2 body parsed as DROP SERIES";
    if (std::string v = CheckSpec(*v2, "v2"); !v.empty()) return v;
  }
  for (std::string record :
       {std::string(data), std::string(deletes::kDeleteMarker) + std::string(data)}) {
    Result<DeleteSpec> decoded = deletes::DecodeRecord(record);
    if (decoded.ok()) {
      ++*accepted;
      if (std::string v = CheckSpec(*decoded, "record"); !v.empty()) return v;
    }
  }
  return "";
}

}  // namespace

std::string CheckDeletesInput(std::string_view data, int* accepted) {
  int ignored = 0;
  if (accepted == nullptr) accepted = &ignored;
  *accepted = 0;
  try {
    return Check(data, accepted);
  } catch (const std::exception& e) {
    return std::string("exception escaped the delete parsers: ") + e.what();
  } catch (...) {
    return "a non-standard exception escaped the delete parsers";
  }
}

}  // namespace edgerepl::fuzz
