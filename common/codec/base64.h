// Standard base64 (RFC 4648, with padding): Kubernetes Secret and kubeconfig data, HTTP Basic auth.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace edgerepl::codec {

std::string Base64Encode(std::string_view bytes);
// nullopt on a character outside the alphabet or a bad length/padding.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace edgerepl::codec
