#include "agent/deletes/query_answer.h"

#include <cpprest/json.h>

namespace edgerepl::deletes {

std::string QueryAnswerError(std::string_view body) {
  std::error_code ec;
  web::json::value v = web::json::value::parse(std::string(body), ec);
  if (ec || !v.is_object()) {
    return "unreadable answer: " + std::string(body.substr(0, 200));
  }
  const web::json::object& o = v.as_object();
  if (auto e = o.find("error"); e != o.end() && e->second.is_string()) return e->second.as_string();
  auto results = o.find("results");
  if (results == o.end() || !results->second.is_array()) return "";
  for (const web::json::value& r : results->second.as_array()) {
    if (!r.is_object()) continue;
    const web::json::object& ro = r.as_object();
    if (auto e = ro.find("error"); e != ro.end() && e->second.is_string()) {
      return e->second.as_string();
    }
  }
  return "";
}

}  // namespace edgerepl::deletes
