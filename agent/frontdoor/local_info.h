// What the write path learns about the local InfluxDB while it runs: its major version, whether
// it has /api/v2/write, and each database's default retention policy. One per local config; kept
// across reloads that leave `local` unchanged.
#pragma once

#include <atomic>
#include <memory>

#include "agent/frontdoor/default_rp.h"
#include "common/clock.h"
#include "common/http/client.h"

namespace edgerepl::frontdoor {

class LocalInfo {
 public:
  // `clock` is borrowed and must outlive this object.
  LocalInfo(std::shared_ptr<http::HttpClient> local, const Clock& clock);

  DefaultRpCache& default_rp() { return default_rp_; }

  // Whether v2 writes are translated to v1 writes: the local answered /api/v2/write with
  // "404 page not found" once (1.7 and older). Remembered until the local config changes.
  bool translate_v2() const { return translate_v2_.load(); }
  void set_translate_v2() { translate_v2_.store(true); }

  // Whether the local is an InfluxDB 1.x (X-Influxdb-Version 1.…), so a v2 bucket "db/rp" names a
  // database and retention policy. Asks GET /ping the first time; false while it cannot tell.
  bool IsV1();
  // Notes the version header of any local answer.
  void NoteAnswer(const http::Headers& headers);

 private:
  enum Version : int { kUnknown = 0, kV1 = 1, kOther = 2 };

  std::shared_ptr<http::HttpClient> local_;
  DefaultRpCache default_rp_;
  std::atomic<bool> translate_v2_{false};
  std::atomic<int> version_{kUnknown};
};

}  // namespace edgerepl::frontdoor
