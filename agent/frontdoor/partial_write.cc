#include "agent/frontdoor/partial_write.h"

#include <spdlog/spdlog.h>

#include <vector>

#include "agent/lineprotocol/split.h"

namespace edgerepl::frontdoor {
namespace {

// The N of "dropped=N" in an answer body; -1 when there is none.
long long DroppedCount(std::string_view body) {
  constexpr std::string_view kKey = "dropped=";
  size_t at = body.rfind(kKey);
  if (at == std::string_view::npos) return -1;
  long long n = -1;
  for (size_t i = at + kKey.size(); i < body.size() && body[i] >= '0' && body[i] <= '9'; ++i) {
    n = (n < 0 ? 0 : n * 10) + (body[i] - '0');
    if (n > (1LL << 40)) return -1;
  }
  return n;
}

std::string_view ReasonOf(std::string_view body) {
  if (body.find("field type conflict") != std::string_view::npos) return kRefusedFieldTypeConflict;
  if (body.find("retention policy") != std::string_view::npos) return kRefusedRetention;
  if (body.find("unable to parse") != std::string_view::npos) return kRefusedParse;
  return kRefusedOther;
}

class Resolver {
 public:
  Resolver(http::HttpClient& local, const http::HttpRequest& request, std::string_view body)
      : local_(local), request_(request), lines_(lp::SplitLines(body, 0, 1)) {}

  PartialWriteResult Run(const http::HttpResponse& first) {
    keep_.assign(lines_.size(), false);
    // The first answer (for the whole body) is known: a partial write. Start with its halves.
    if (lines_.size() <= 1 || DroppedCount(first.body) == static_cast<long long>(lines_.size())) {
      Refuse(0, lines_.size(), ReasonOf(first.body));
    } else {
      Split(0, lines_.size());
    }
    for (size_t i = 0; i < lines_.size(); ++i) {
      if (!keep_[i]) continue;
      result_.stored.append(lines_[i]);
      if (result_.stored.back() != '\n') result_.stored.push_back('\n');
      ++result_.stored_points;
    }
    return std::move(result_);
  }

 private:
  // REQUIRES: end - begin >= 2.
  void Split(size_t begin, size_t end) {
    size_t mid = begin + (end - begin) / 2;
    Probe(begin, mid);
    Probe(mid, end);
  }

  void Refuse(size_t begin, size_t end, std::string_view reason) {
    result_.refused[std::string(reason)] += end - begin;
  }

  // Writes lines [begin, end) and classifies them by the answer.
  void Probe(size_t begin, size_t end) {
    if (result_.probes >= kMaxPartialWriteProbes) {
      Refuse(begin, end, kRefusedUndetermined);
      return;
    }
    http::HttpRequest probe;
    probe.method = request_.method;
    probe.target = request_.target;
    probe.headers = request_.headers;
    for (size_t i = begin; i < end; ++i) probe.body.append(lines_[i]);
    Result<http::HttpResponse> answer = Status::Unavailable("not sent");
    for (int attempt = 0; attempt < 2; ++attempt) {
      ++result_.probes;
      answer = local_.Send(probe);
      if (answer.ok() && answer->status < 500) break;
    }
    if (!answer.ok() || answer->status >= 500 ||
        (answer->status >= 300 && answer->status != 400 && answer->status != 422)) {
      spdlog::warn(
          "partial write: {} line(s) could not be checked against the local InfluxDB ({}); "
          "they are not replicated",
          end - begin,
          answer.ok() ? "HTTP " + std::to_string(answer->status) : answer.status().ToString());
      Refuse(begin, end, kRefusedUndetermined);
      return;
    }
    if (answer->status < 300) {
      for (size_t i = begin; i < end; ++i) keep_[i] = true;
      return;
    }
    const long long dropped = DroppedCount(answer->body);
    if (end - begin == 1 || dropped == static_cast<long long>(end - begin)) {
      Refuse(begin, end, ReasonOf(answer->body));
      return;
    }
    Split(begin, end);
  }

  http::HttpClient& local_;
  const http::HttpRequest& request_;
  const std::vector<std::string_view> lines_;
  std::vector<bool> keep_;
  PartialWriteResult result_;
};

}  // namespace

bool IsPartialWrite(const http::HttpResponse& answer) {
  return (answer.status == 400 || answer.status == 422) &&
         answer.body.find("partial write") != std::string::npos;
}

PartialWriteResult ResolvePartialWrite(http::HttpClient& local,
                                       const http::HttpRequest& local_request,
                                       std::string_view body,
                                       const http::HttpResponse& first_answer) {
  return Resolver(local, local_request, body).Run(first_answer);
}

}  // namespace edgerepl::frontdoor
