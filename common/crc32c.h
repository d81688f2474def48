// CRC32C (Castagnoli), the checksum of queue records. SSE4.2's crc32 instruction when the CPU has
// it (about 8 GB/s here), Boost.CRC's table otherwise; both give the same value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace edgerepl::crc32c {

// Extends `crc` (the value of a previous call, 0 to start) over `n` more bytes.
uint32_t Extend(uint32_t crc, const void* data, size_t n);
inline uint32_t Value(const void* data, size_t n) {
  return Extend(0, data, n);
}
inline uint32_t Value(std::string_view s) {
  return Extend(0, s.data(), s.size());
}

}  // namespace edgerepl::crc32c
