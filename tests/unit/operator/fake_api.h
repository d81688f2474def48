// An in-memory Kubernetes API behind the HTTP seam, for the REST client, cache and lease tests:
// GET of objects and collections, POST (409 when it exists), PUT with resourceVersion checks
// (409 when stale), and scripted failures.
#pragma once

#include <cpprest/json.h>

#include <map>
#include <mutex>
#include <string>

#include "common/http/client.h"

namespace edgerepl::op::testing {

class FakeApi : public http::HttpClient {
 public:
  Result<http::HttpResponse> Send(const http::HttpRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    last_request = request;
    ++requests;
    if (fail_next_status != 0) {
      int s = fail_next_status;
      fail_next_status = 0;
      return http::HttpResponse{s, {}, R"({"kind":"Status","message":"scripted failure"})"};
    }
    if (unreachable) return Status::Unavailable("connection refused");
    std::string path = request.target.substr(0, request.target.find('?'));
    if (request.method == "GET") {
      auto it = objects.find(path);
      if (it != objects.end()) return Ok(200, it->second);
      // A collection: every object directly below the path.
      web::json::value items = web::json::value::array();
      size_t n = 0;
      for (const auto& [p, o] : objects) {
        if (p.rfind(path + "/", 0) == 0 && p.find('/', path.size() + 1) == std::string::npos) {
          items[n++] = o;
        }
      }
      if (n == 0 && !IsCollection(path)) return NotFound();
      web::json::value list = web::json::value::object();
      list["items"] = items;
      return Ok(200, list);
    }
    web::json::value body = web::json::value::parse(request.body);
    if (request.method == "POST") {
      std::string p = path + "/" + body["metadata"]["name"].as_string();
      if (objects.count(p)) return Error(409, "AlreadyExists");
      body["metadata"]["resourceVersion"] = web::json::value::string(std::to_string(++rv_));
      objects[p] = body;
      return Ok(201, body);
    }
    if (request.method == "PUT") {
      auto it = objects.find(path);
      if (it == objects.end()) return NotFound();
      if (it->second["metadata"]["resourceVersion"].as_string() !=
          body["metadata"]["resourceVersion"].as_string()) {
        return Error(409, "Conflict: the object has been modified");
      }
      body["metadata"]["resourceVersion"] = web::json::value::string(std::to_string(++rv_));
      it->second = body;
      return Ok(200, body);
    }
    return Error(405, "method not allowed");
  }

  void Put(const std::string& path, web::json::value object) {
    std::lock_guard<std::mutex> lock(mu_);
    object["metadata"]["resourceVersion"] = web::json::value::string(std::to_string(++rv_));
    objects[path] = std::move(object);
  }
  web::json::value Object(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    return objects.at(path);
  }

  std::map<std::string, web::json::value> objects;  // path -> object
  http::HttpRequest last_request;
  int requests = 0;
  int fail_next_status = 0;
  bool unreachable = false;

 private:
  static bool IsCollection(const std::string& path) {
    for (const char* plural : {"/remotes", "/replications", "/secrets", "/pods", "/leases"}) {
      std::string p = plural;
      if (path.size() >= p.size() && path.compare(path.size() - p.size(), p.size(), p) == 0) {
        return true;
      }
    }
    return false;
  }
  static http::HttpResponse Ok(int code, const web::json::value& v) {
    return http::HttpResponse{code, {}, v.serialize()};
  }
  static http::HttpResponse Error(int code, const std::string& message) {
    return http::HttpResponse{code, {}, R"({"kind":"Status","message":")" + message + "\"}"};
  }
  static http::HttpResponse NotFound() { return Error(404, "not found"); }

  std::mutex mu_;
  int rv_ = 1;
};

}  // namespace edgerepl::op::testing
