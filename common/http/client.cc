#include "common/http/client.h"

#include <strings.h>

namespace edgerepl::http {

const std::string* FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), name.size()) == 0) return &v;
  }
  return nullptr;
}

namespace {

// The whole body as one piece.
class BufferedBody final : public BodyReader {
 public:
  explicit BufferedBody(std::string body) : body_(std::move(body)) {}
  Status Next(std::string* piece) override {
    piece->clear();
    piece->swap(body_);
    return Status::Ok();
  }

 private:
  std::string body_;
};

}  // namespace

Result<StreamedResponse> HttpClient::SendStreamed(const HttpRequest& request) {
  auto answer = Send(request);
  if (!answer.ok()) return answer.status();
  StreamedResponse out;
  out.status = answer->status;
  out.headers = std::move(answer->headers);
  out.body = std::make_unique<BufferedBody>(std::move(answer->body));
  out.buffered = true;
  return out;
}

}  // namespace edgerepl::http
