#include "tests/fuzz/gzip/gzip_fuzz_target.h"

#include <exception>

#include "common/codec/gzip.h"

namespace edgerepl::fuzz {
namespace {

std::string Check(std::string_view data, bool* inflated) {
  // 1. The bytes as a client's gzip body.
  Result<std::string> out = codec::GzipDecompress(data, kFuzzInflateLimit);
  if (out.ok()) {
    *inflated = true;
    if (out->size() > kFuzzInflateLimit) return "inflated past the limit";
    // Exactly at its own size the same body must still inflate, and one byte less must refuse
    // (the limit is a hard bound, not a hint).
    Result<std::string> exact = codec::GzipDecompress(data, out->size());
    if (!exact.ok() || *exact != *out) return "inflating with limit == size fails or differs";
    if (!out->empty()) {
      Result<std::string> tight = codec::GzipDecompress(data, out->size() - 1);
      if (tight.ok()) return "inflated past a limit one byte below the body size";
      if (!tight.status().IsNoSpace()) return "over-limit body not reported as NoSpace";
    }
  } else if (!out.status().IsNoSpace() && out.status().code() != StatusCode::kInvalidArgument) {
    return "unexpected error kind: " + out.status().ToString();
  }

  // 2. The bytes as a body the sender compresses: the level comes from the first byte so the
  //    fuzzer explores every level libdeflate offers (0..12).
  int level = data.empty() ? codec::kDefaultGzipLevel : static_cast<unsigned char>(data[0]) % 13;
  // Levels 10..12 (near-optimal parsing) cost ~100x level 1 per byte; on long inputs they would
  // cut the fuzzer's speed by an order of magnitude without reaching new inflate code.
  if (level >= 10 && data.size() > 512) level = 9;
  Result<std::string> packed = codec::GzipCompress(data, level);
  if (!packed.ok()) return "compress failed at level " + std::to_string(level);
  Result<std::string> unpacked = codec::GzipDecompress(*packed, data.size());
  if (!unpacked.ok()) return "round trip failed: " + unpacked.status().ToString();
  if (*unpacked != data) return "round trip changed the bytes";
  if (!data.empty()) {
    Result<std::string> bomb = codec::GzipDecompress(*packed, data.size() - 1);
    if (bomb.ok() || !bomb.status().IsNoSpace()) return "size limit not enforced on round trip";
  }
  return "";
}

}  // namespace

std::string CheckGzipInput(std::string_view data, bool* inflated) {
  bool ignored = false;
  if (inflated == nullptr) inflated = &ignored;
  *inflated = false;
  try {
    return Check(data, inflated);
  } catch (const std::exception& e) {
    return std::string("exception escaped the gzip codec: ") + e.what();
  } catch (...) {
    return "a non-standard exception escaped the gzip codec";
  }
}

}  // namespace edgerepl::fuzz
