#include "common/codec/gzip.h"

#include <libdeflate.h>

#include <memory>

namespace edgerepl::codec {
namespace {

struct CompressorDeleter {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};
struct DecompressorDeleter {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

}  // namespace

Result<std::string> GzipCompress(std::string_view input, int level) {
  std::unique_ptr<libdeflate_compressor, CompressorDeleter> c(libdeflate_alloc_compressor(level));
  if (!c) return Status::InvalidArgument("gzip: bad level " + std::to_string(level));
  std::string out(libdeflate_gzip_compress_bound(c.get(), input.size()), '\0');
  size_t n = libdeflate_gzip_compress(c.get(), input.data(), input.size(), out.data(), out.size());
  if (n == 0) return Status::Internal("gzip: output bound too small");
  out.resize(n);
  return out;
}

Result<std::string> GzipDecompress(std::string_view input, size_t max_output_bytes) {
  std::unique_ptr<libdeflate_decompressor, DecompressorDeleter> d(libdeflate_alloc_decompressor());
  if (!d) return Status::Internal("gzip: out of memory");
  // Start near the usual ratio and grow; libdeflate needs the whole output buffer up front.
  size_t cap = std::min(max_output_bytes, std::max<size_t>(input.size() * 8, 4096));
  while (true) {
    std::string out(cap, '\0');
    size_t actual = 0;
    libdeflate_result r =
        libdeflate_gzip_decompress(d.get(), input.data(), input.size(), out.data(), cap, &actual);
    if (r == LIBDEFLATE_SUCCESS) {
      out.resize(actual);
      return out;
    }
    if (r != LIBDEFLATE_INSUFFICIENT_SPACE) return Status::InvalidArgument("gzip: corrupt input");
    if (cap >= max_output_bytes) return Status::NoSpace("gzip: inflated body over limit");
    cap = std::min(max_output_bytes, cap * 2);
  }
}

}  // namespace edgerepl::codec
