#include "agent/deletes/tag_keys.h"

#include <cctype>

namespace edgerepl::deletes {

std::string_view UnportableTagKey(std::string_view key) {
  if (key.size() == 4) {
    bool time = true;
    for (size_t i = 0; i < 4; ++i) {
      time &= std::tolower(static_cast<unsigned char>(key[i])) == "time"[i];
    }
    if (time) return "InfluxQL takes it for the time, so a v1 remote could not repeat the delete";
  }
  if (key == "_measurement") {
    return "the v2 delete API takes it for the measurement, so a v2 remote would delete another "
           "thing";
  }
  if (key == "_field" || key == "_value" || key == "_time") {
    return "the v2 delete API refuses it, so a v2 remote could not repeat the delete";
  }
  return {};
}

}  // namespace edgerepl::deletes
