#include "common/http/client.h"

#include <strings.h>

namespace edgerepl::http {

const std::string* FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), name.size()) == 0) return &v;
  }
  return nullptr;
}

}  // namespace edgerepl::http
