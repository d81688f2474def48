// Percent-encoding (RFC 3986): every byte but the unreserved ALPHA / DIGIT / "-" / "." / "_" / "~"
// becomes %XX. For query parameters (org, bucket, db names) and for finding a secret in the form
// it takes inside a URL.
#pragma once

#include <string>
#include <string_view>

namespace edgerepl::codec {

std::string PercentEncode(std::string_view bytes);

}  // namespace edgerepl::codec
