// Test doubles for the sender: an in-memory RecordSource, a scripted HttpClient, a fake clock and
// a pinned Random.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "agent/sender/record_source.h"
#include "common/clock.h"
#include "common/http/client.h"
#include "tests/fakes/fake_clock.h"

namespace edgerepl::sender::testing {

class MemorySource final : public RecordSource {
 public:
  void Append(std::string payload, int64_t enqueue_ns = 1) {
    std::lock_guard<std::mutex> lock(mu_);
    SourceRecord r;
    r.position = ++last_position_;
    r.enqueue_time_ns = enqueue_ns;
    r.payload = std::move(payload);
    for (char c : r.payload) r.points += c == '\n';
    if (!r.payload.empty() && r.payload.back() != '\n') ++r.points;
    records_.push_back(std::move(r));
  }
  Result<std::vector<SourceRecord>> ReadNext(size_t max_bytes) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<SourceRecord> out;
    size_t bytes = 0;
    while (next_ < records_.size() && (out.empty() || bytes < max_bytes)) {
      bytes += records_[next_].payload.size();
      out.push_back(records_[next_++]);
    }
    return out;
  }
  Status Ack(uint64_t position) override {
    std::lock_guard<std::mutex> lock(mu_);
    acked_ = position;
    return Status::Ok();
  }
  void ReportDropped(uint64_t points, uint64_t, std::string_view reason) override {
    std::lock_guard<std::mutex> lock(mu_);
    dropped_[std::string(reason)] += points;
  }
  bool Full() const override { return full_; }

  uint64_t acked() const {
    std::lock_guard<std::mutex> lock(mu_);
    return acked_;
  }
  uint64_t last_position() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_position_;
  }
  uint64_t dropped(const std::string& reason) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = dropped_.find(reason);
    return it == dropped_.end() ? 0 : it->second;
  }
  bool full_ = false;

 private:
  mutable std::mutex mu_;
  std::vector<SourceRecord> records_;
  size_t next_ = 0;
  uint64_t last_position_ = 0;
  uint64_t acked_ = 0;
  std::map<std::string, uint64_t> dropped_;
};

// Passes every call to another source; tests override the call they want to watch or slow down.
class ForwardingSource : public RecordSource {
 public:
  explicit ForwardingSource(RecordSource& inner) : inner_(inner) {}
  Result<std::vector<SourceRecord>> ReadNext(size_t max_bytes) override {
    return inner_.ReadNext(max_bytes);
  }
  Status Ack(uint64_t position) override { return inner_.Ack(position); }
  void ReportDropped(uint64_t points, uint64_t bytes, std::string_view reason) override {
    inner_.ReportDropped(points, bytes, reason);
  }
  bool Full() const override { return inner_.Full(); }

 private:
  RecordSource& inner_;
};

// Answers from a handler; records each request.
class FakeHttpClient final : public http::HttpClient {
 public:
  using Handler = std::function<Result<http::HttpResponse>(const http::HttpRequest&)>;
  explicit FakeHttpClient(Handler handler) : handler_(std::move(handler)) {}
  Result<http::HttpResponse> Send(const http::HttpRequest& request) override {
    requests.push_back(request);
    return handler_(request);
  }
  std::vector<http::HttpRequest> requests;

 private:
  Handler handler_;
};

inline http::HttpResponse Answer(int status, http::Headers headers = {}, std::string body = "") {
  return http::HttpResponse{status, std::move(headers), std::move(body)};
}

// The one fake clock of the unit tests (tests/fakes).
using ::edgerepl::testing::FakeClock;

// Returns the largest value allowed, so each full-jitter delay equals its ceiling.
class MaxRandom final : public Random {
 public:
  uint64_t Uniform(uint64_t bound) override { return bound == 0 ? 0 : bound - 1; }
};

}  // namespace edgerepl::sender::testing
