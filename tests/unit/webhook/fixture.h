// The fixtures of tests/fixtures/webhook (see its README for where they come from).
#pragma once

#include <cpprest/json.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace edgerepl::webhook::testing {

inline std::string FixturePath(const std::string& name) {
  const char* root = std::getenv("EDGEREPL_SOURCE_DIR");
  return std::string(root ? root : EDGEREPL_TEST_SOURCE_DIR) + "/tests/fixtures/webhook/" + name;
}

inline std::string ReadFixture(const std::string& name) {
  std::ifstream in(FixturePath(name));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline web::json::value FixtureJson(const std::string& name) {
  return web::json::value::parse(ReadFixture(name));
}

// Applies the "add" and "replace" operations the webhook emits (RFC 6902), so a test checks the
// pod the API server would store rather than the patch's wording. Throws on a path that does not
// resolve, as the API server refuses such a patch.
inline web::json::value ApplyPatch(web::json::value doc, const web::json::value& patch) {
  for (const auto& op : patch.as_array()) {
    std::string path = op.at("path").as_string();
    std::vector<std::string> parts;
    for (size_t i = 1; i <= path.size();) {
      size_t j = path.find('/', i);
      if (j == std::string::npos) j = path.size();
      std::string seg = path.substr(i, j - i);
      for (size_t k; (k = seg.find("~1")) != std::string::npos;) seg.replace(k, 2, "/");
      for (size_t k; (k = seg.find("~0")) != std::string::npos;) seg.replace(k, 2, "~");
      parts.push_back(seg);
      i = j + 1;
    }
    web::json::value* at = &doc;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      at = at->is_array() ? &at->at(std::stoul(parts[i])) : &at->at(parts[i]);
    }
    const std::string& last = parts.back();
    const std::string kind = op.at("op").as_string();
    if (at->is_array()) {
      if (last == "-") {
        (*at)[at->size()] = op.at("value");
      } else {
        at->at(std::stoul(last)) = op.at("value");
      }
    } else {
      if (kind == "replace") (void)at->at(last);  // must exist
      (*at)[last] = op.at("value");
    }
  }
  return doc;
}

inline const web::json::value* Named(const web::json::value& list, const std::string& name) {
  for (const auto& item : list.as_array()) {
    if (item.has_string_field("name") && item.at("name").as_string() == name) return &item;
  }
  return nullptr;
}

}  // namespace edgerepl::webhook::testing
