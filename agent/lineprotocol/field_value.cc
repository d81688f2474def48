#include "agent/lineprotocol/field_value.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <system_error>

namespace edgerepl::lp {
namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsNumeric(char c) {
  return IsDigit(c) || c == '.';
}

// Digits (with an optional leading '-') within int64, or (unsigned) within uint64.
bool InIntegerRange(std::string_view digits, bool is_unsigned) {
  bool negative = false;
  if (!digits.empty() && digits[0] == '-') {
    negative = true;
    digits.remove_prefix(1);
  }
  if (digits.empty()) return false;
  const uint64_t limit = is_unsigned ? std::numeric_limits<uint64_t>::max()
                         : negative  ? uint64_t{1} << 63
                                     : (uint64_t{1} << 63) - 1;
  uint64_t v = 0;
  for (char c : digits) {
    if (!IsDigit(c)) return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (limit - d) / 10) return false;
    v = v * 10 + d;
  }
  return true;
}

// Decimal exponent of the leading significant digit of a syntactically valid float, saturated;
// only used to tell an overflow from an underflow.
int64_t MagnitudeEstimate(std::string_view s) {
  size_t i = (s[0] == '-') ? 1 : 0;
  int64_t int_digits = 0;
  int64_t leading_fraction_zeros = 0;
  bool seen_nonzero = false;
  bool in_fraction = false;
  for (; i < s.size() && s[i] != 'e' && s[i] != 'E'; ++i) {
    const char c = s[i];
    if (c == '.') {
      in_fraction = true;
    } else if (!in_fraction) {
      if (seen_nonzero || c != '0') {
        seen_nonzero = true;
        ++int_digits;
      }
    } else if (!seen_nonzero) {
      if (c == '0') {
        ++leading_fraction_zeros;
      } else {
        seen_nonzero = true;
      }
    }
  }
  int64_t exp = 0;
  if (i < s.size()) {
    ++i;
    bool negative = false;
    if (s[i] == '+' || s[i] == '-') negative = s[i++] == '-';
    for (; i < s.size(); ++i) {
      if (exp < 1'000'000'000) exp = exp * 10 + (s[i] - '0');
    }
    if (negative) exp = -exp;
  }
  return (int_digits > 0 ? int_digits : -leading_fraction_zeros) + exp;
}

}  // namespace

bool IsValidFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  size_t mantissa_digits = 0;
  while (i < s.size() && IsDigit(s[i])) ++i, ++mantissa_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i, ++mantissa_digits;
  }
  if (mantissa_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && IsDigit(s[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  if (i != s.size()) return false;

  double d = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), d);
  if (r.ec == std::errc::result_out_of_range) return MagnitudeEstimate(s) <= 0;
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return false;
  return !std::isinf(d);
}

// The common shapes, -?digits[.digits] and -?digits followed by i or u, too short to need a
// range check; 0 when the value is anything else and needs the full rules of ScanNumber.
size_t ScanSimpleNumber(std::string_view buf, size_t i, FieldType* type) {
  constexpr size_t kMaxSimpleLength = 18;  // below every range-check threshold
  const size_t n = buf.size();
  const size_t start = i;
  const bool negative = buf[i] == '-';
  if (negative) ++i;
  size_t digits = 0;
  while (i < n && IsDigit(buf[i])) ++i, ++digits;
  bool decimal = false;
  if (i < n && buf[i] == '.') {
    decimal = true;
    ++i;
    while (i < n && IsDigit(buf[i])) ++i, ++digits;
  }
  if (digits == 0 || i - start > kMaxSimpleLength) return 0;
  if (i == n || buf[i] == ',' || buf[i] == ' ') {
    *type = FieldType::kFloat;
    return i;
  }
  const char suffix = buf[i];
  if (decimal || (suffix != 'i' && (suffix != 'u' || negative))) return 0;
  ++i;
  if (i != n && buf[i] != ',' && buf[i] != ' ') return 0;
  *type = suffix == 'i' ? FieldType::kInteger : FieldType::kUnsigned;
  return i;
}

size_t ScanNumber(std::string_view buf, size_t i, FieldType* type, std::string* error) {
  if (size_t end = ScanSimpleNumber(buf, i, type); end != 0) return end;
  const size_t n = buf.size();
  const size_t start = i;
  bool is_int = false;
  bool is_unsigned = false;
  bool decimal = false;
  bool scientific = false;
  *type = FieldType::kFloat;

  if (i < n && buf[i] == '-') {
    ++i;
    if (i == n) {
      *error = "invalid number";
      return i;
    }
  }
  for (; i < n; ++i) {
    const char c = buf[i];
    if (c == ',' || c == ' ') break;
    if ((c == 'i' || c == 'u') && i > start && !(is_int || is_unsigned)) {
      (c == 'i' ? is_int : is_unsigned) = true;
      continue;
    }
    if (c == '.') {
      if (decimal) {
        *error = "invalid number";
        return i;
      }
      decimal = true;
    }
    if (i > start && (c == 'e' || c == 'E')) {
      scientific = true;
      continue;
    }
    if ((c == '+' || c == '-') && (buf[i - 1] == 'e' || buf[i - 1] == 'E')) continue;
    if (!IsNumeric(c)) {  // includes NaN, Inf and type suffixes in the wrong place
      *error = "invalid number";
      return i;
    }
  }

  if ((is_int || is_unsigned) && (decimal || scientific)) {
    *error = "invalid number";
    return i;
  }
  // InfluxDB counts the value's digits this way (the 'u' suffix is not subtracted, which only
  // matters for values rejected anyway).
  size_t digits = i - start;
  if (is_int) --digits;
  if (decimal) --digits;
  if (buf[start] == '-') --digits;
  if (digits == 0) {
    *error = "invalid number";
    return i;
  }

  if (is_int || is_unsigned) {
    const char suffix = is_int ? 'i' : 'u';
    if (buf[i - 1] != suffix || (is_unsigned && buf[start] == '-')) {
      *error = "invalid number";
      return i;
    }
    const std::string_view digits_text = buf.substr(start, i - 1 - start);
    if (!InIntegerRange(digits_text, is_unsigned)) {
      // InfluxDB's wording, Go's strconv error included.
      *error = std::string(is_int ? "unable to parse integer " : "unable to parse unsigned ");
      error->append(digits_text);
      error->append(is_int ? ": strconv.ParseInt: parsing \"" : ": strconv.ParseUint: parsing \"");
      error->append(digits_text);
      error->append("\": value out of range");
      return i;
    }
    *type = is_int ? FieldType::kInteger : FieldType::kUnsigned;
    return i;
  }
  // Shorter plain decimals are always valid; InfluxDB parses only these.
  constexpr size_t kMaxFloat64Digits = 25;
  if ((scientific || i - start >= kMaxFloat64Digits) &&
      !IsValidFloat(buf.substr(start, i - start))) {
    *error = "invalid float";
    return i;
  }
  return i;
}

size_t ScanBoolean(std::string_view buf, size_t i, std::string* error) {
  const size_t n = buf.size();
  const size_t start = i;
  if (i < n && buf[i] != 't' && buf[i] != 'f' && buf[i] != 'T' && buf[i] != 'F') {
    *error = "invalid boolean";
    return i;
  }
  ++i;
  while (i < n && buf[i] != ',' && buf[i] != ' ') ++i;
  const std::string_view v = buf.substr(start, i - start);
  if (v.size() == 1) return i;
  if (v == "true" || v == "True" || v == "TRUE" || v == "false" || v == "False" || v == "FALSE") {
    return i;
  }
  *error = "invalid boolean";
  return i;
}

}  // namespace edgerepl::lp
