// Reads a time window from a 1.x local database through its /query endpoint (InfluxQL, epoch=ns).
//
// `SELECT * … GROUP BY *` puts the tags in each series' `tags` and leaves only fields as columns,
// so tags and fields never mix. A field's type comes from `SHOW FIELD KEYS`, as JSON cannot tell a
// float 1 from an integer 1; the schema of a measurement is read again when a column appears that
// it lacks (a field first written after it was read). Windows are half-open, [from, to): a point
// on a boundary belongs to exactly one window, so none is read twice or missed.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "agent/backfill/json.h"
#include "agent/backfill/line_builder.h"
#include "agent/backfill/local_reader.h"
#include "common/http/client.h"

namespace edgerepl::backfill {

struct InfluxqlSource {
  std::string db;
  std::string rp;                         // empty: the database's default retention policy
  std::vector<std::string> measurements;  // empty: every measurement of the database
};

class InfluxqlReader final : public LocalReader {
 public:
  // `local` is borrowed and must outlive the reader. `token` is local.token: empty for a local
  // without authentication, "user:password" (sent as Basic, which every 1.x reads and 2.x's
  // compatibility API takes for its v1 auth users) or a token (sent as `Token`, as 2.x wants).
  InfluxqlReader(http::HttpClient& local, InfluxqlSource source, std::string token = "");

  Result<WindowData> Read(int64_t from_ns, int64_t to_ns) override;

  // Field keys whose type differs between shards, as SHOW FIELD KEYS reported them: the values
  // are read as the query engine resolves the conflict (see docs/backfill.md "Limits").
  const std::set<std::string>& conflicts() const { return conflicts_; }

 private:
  Result<JsonValue> Query(const std::string& statements);
  Status LoadMeasurements();
  Status LoadFields(const std::string& measurement);
  std::string From(const std::string& measurement) const;

  http::HttpClient& local_;
  const InfluxqlSource source_;
  const std::string authorization_;  // the Authorization header's value; empty: none sent
  bool measurements_loaded_ = false;
  std::vector<std::string> measurements_;
  std::map<std::string, std::map<std::string, FieldType>> fields_;  // measurement -> key -> type
  std::set<std::string> conflicts_;                                 // "measurement.field"
};

// The Authorization header's value for local.token: Basic for "user:password", else Token.
std::string LocalAuthorization(const std::string& token);

// `"name"` with `"` and `\` escaped, as InfluxQL quotes identifiers.
std::string QuoteIdentifier(const std::string& name);

}  // namespace edgerepl::backfill
