#include "agent/frontdoor/local_info.h"

namespace edgerepl::frontdoor {

LocalInfo::LocalInfo(std::shared_ptr<http::HttpClient> local, const Clock& clock)
    : local_(std::move(local)), default_rp_(*local_, clock) {}

void LocalInfo::NoteAnswer(const http::Headers& headers) {
  const std::string* v = http::FindHeader(headers, "X-Influxdb-Version");
  if (v == nullptr || v->empty()) return;
  version_.store(v->rfind("1.", 0) == 0 ? kV1 : kOther);
}

bool LocalInfo::IsV1() {
  if (version_.load() == kUnknown) {
    http::HttpRequest ping;
    ping.method = "GET";
    ping.target = "/ping";
    auto answer = local_->Send(ping);
    if (answer.ok()) {
      NoteAnswer(answer->headers);
      // An answer without the header (another server speaking the protocol) is not a 1.x; asked
      // once, not on every write.
      int unknown = kUnknown;
      version_.compare_exchange_strong(unknown, kOther);
    }
  }
  return version_.load() == kV1;
}

}  // namespace edgerepl::frontdoor
