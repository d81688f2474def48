#include "common/codec/gzip.h"

#include <libdeflate.h>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace edgerepl::codec {
namespace {

struct CompressorDeleter {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};
struct DecompressorDeleter {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};
using CompressorPtr = std::unique_ptr<libdeflate_compressor, CompressorDeleter>;
using DecompressorPtr = std::unique_ptr<libdeflate_decompressor, DecompressorDeleter>;

// libdeflate's (de)compressor state is reusable but not shareable. Allocating it for every body
// cost a measurable share of the sender's CPU, and keeping one per thread cost memory in every
// thread that ever compressed (a level-1 compressor plus its worst-case output buffer is ~0.7 MB,
// times two threads per replication). A small shared pool keeps as many as ran at once, bounded.
constexpr int kMaxLevel = 12;
constexpr size_t kPoolPerLevel = 4;
// A buffer kept for reuse is never larger than this; bigger bodies get a one-off buffer.
constexpr size_t kMaxKeptScratch = 2u << 20;

struct CompressorSlot {
  CompressorPtr compressor;
  std::unique_ptr<char[]> scratch;  // uninitialised: libdeflate writes before anything reads
  size_t scratch_size = 0;
};

class CompressorPool {
 public:
  std::unique_ptr<CompressorSlot> Take(int level) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto& free = free_[static_cast<size_t>(level)];
      if (!free.empty()) {
        std::unique_ptr<CompressorSlot> slot = std::move(free.back());
        free.pop_back();
        return slot;
      }
    }
    auto slot = std::make_unique<CompressorSlot>();
    slot->compressor.reset(libdeflate_alloc_compressor(level));
    if (!slot->compressor) return nullptr;
    return slot;
  }

  void Give(int level, std::unique_ptr<CompressorSlot> slot) {
    if (slot->scratch_size > kMaxKeptScratch) {
      slot->scratch.reset();
      slot->scratch_size = 0;
    }
    std::lock_guard<std::mutex> lock(mu_);
    auto& free = free_[static_cast<size_t>(level)];
    if (free.size() < kPoolPerLevel) free.push_back(std::move(slot));
  }

 private:
  std::mutex mu_;
  std::array<std::vector<std::unique_ptr<CompressorSlot>>, kMaxLevel + 1> free_;
};

CompressorPool& Compressors() {
  static CompressorPool* pool = new CompressorPool();  // outlives every thread that compresses
  return *pool;
}

// A decompressor is small (~10 KB): one per thread is cheaper than any locking.
libdeflate_decompressor* ThreadDecompressor() {
  thread_local DecompressorPtr cache;
  if (!cache) cache.reset(libdeflate_alloc_decompressor());
  return cache.get();
}

// Deflate cannot expand data by more than about 1032:1, so a gzip trailer claiming more than that
// is a lie; otherwise its ISIZE field (size mod 2^32 of the last member) is a good first guess
// that saves inflating a typical single-member body more than once.
size_t FirstCapacity(std::string_view member, size_t limit) {
  size_t guess = std::max<size_t>(member.size() * 8, 4096);
  if (member.size() >= 18) {
    const auto* t = reinterpret_cast<const unsigned char*>(member.data() + member.size() - 4);
    const uint32_t isize =
        uint32_t{t[0]} | uint32_t{t[1]} << 8 | uint32_t{t[2]} << 16 | uint32_t{t[3]} << 24;
    if (isize > 0 && isize / 1032 <= member.size()) guess = isize;
  }
  return std::min(limit, guess);
}

}  // namespace

Result<std::string> GzipCompress(std::string_view input, int level) {
  if (level < 0 || level > kMaxLevel) {
    return Status::InvalidArgument("gzip: bad level " + std::to_string(level));
  }
  std::unique_ptr<CompressorSlot> slot = Compressors().Take(level);
  if (!slot) return Status::InvalidArgument("gzip: bad level " + std::to_string(level));
  // libdeflate wants room for the worst case (about the input size) although line protocol
  // shrinks ~8x: the pooled buffer is not zero-filled, and only the compressed bytes are copied.
  const size_t bound = libdeflate_gzip_compress_bound(slot->compressor.get(), input.size());
  if (slot->scratch_size < bound) {
    slot->scratch.reset(new char[bound]);
    slot->scratch_size = bound;
  }
  size_t n = libdeflate_gzip_compress(slot->compressor.get(), input.data(), input.size(),
                                      slot->scratch.get(), bound);
  std::string out;
  if (n != 0) out.assign(slot->scratch.get(), n);
  Compressors().Give(level, std::move(slot));
  if (n == 0) return Status::Internal("gzip: output bound too small");
  return out;
}

// A body may hold several gzip members back to back (RFC 1952 §2.2; `cat a.gz b.gz`); InfluxDB's
// Go reader inflates them all, so stopping after the first would silently drop the rest of a write
// that InfluxDB itself accepted.
Result<std::string> GzipDecompress(std::string_view input, size_t max_output_bytes) {
  libdeflate_decompressor* d = ThreadDecompressor();
  if (d == nullptr) return Status::Internal("gzip: out of memory");
  if (input.empty()) return Status::InvalidArgument("gzip: empty body");
  std::string out;
  size_t in_pos = 0;
  while (in_pos < input.size()) {
    const std::string_view member = input.substr(in_pos);
    const size_t room = max_output_bytes - out.size();
    size_t cap = FirstCapacity(member, room);
    while (true) {
      const size_t base = out.size();
      out.resize(base + cap);
      size_t used_in = 0;
      size_t produced = 0;
      libdeflate_result r = libdeflate_gzip_decompress_ex(
          d, member.data(), member.size(), out.data() + base, cap, &used_in, &produced);
      if (r == LIBDEFLATE_SUCCESS) {
        out.resize(base + produced);
        in_pos += used_in;
        break;
      }
      out.resize(base);
      if (r != LIBDEFLATE_INSUFFICIENT_SPACE) {
        return Status::InvalidArgument(in_pos == 0 ? "gzip: corrupt input"
                                                   : "gzip: corrupt data after a complete member");
      }
      if (cap >= room) return Status::NoSpace("gzip: inflated body over limit");
      cap = std::min(room, std::max<size_t>(cap * 2, 4096));
    }
  }
  return out;
}

}  // namespace edgerepl::codec
