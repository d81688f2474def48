// Unquoted field values: numbers (float, integer `i`, unsigned `u`) and booleans, accepted
// exactly as InfluxDB's models.scanNumber / scanBoolean accept them. Quoted strings are handled
// by the scanner because their extent depends on the whole field set.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace edgerepl::lp {

enum class FieldType { kFloat, kInteger, kUnsigned, kString, kBoolean };

// Scans the number starting at buf[i] (a digit, '.', '-', 'N' or 'n') up to the next ',' or ' '
// or the end. Returns the index where it stopped; on an invalid number sets *error to InfluxDB's
// reason ("invalid number", "invalid float", "unable to parse integer ...") and returns the index
// of the offending byte. *type says which kind of number it was.
size_t ScanNumber(std::string_view buf, size_t i, FieldType* type, std::string* error);

// Scans a boolean (t, T, true, True, TRUE, f, F, false, False, FALSE) starting at buf[i] up to
// the next ',' or ' ' or the end. Sets *error to "invalid boolean" when it is not one.
size_t ScanBoolean(std::string_view buf, size_t i, std::string* error);

// The text of a float as Go's strconv.ParseFloat would accept it, and not beyond the range of a
// double (an underflow to zero is accepted, as Go does). `s` holds only digits, '.', '-', '+',
// 'e' and 'E'.
bool IsValidFloat(std::string_view s);

}  // namespace edgerepl::lp
