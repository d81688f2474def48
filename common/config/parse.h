// YAML text to Config, validating every field (DESIGN.md §5). Every error names the field path,
// e.g. `replications[1].remote: unknown remote "clod"`; unknown fields are errors (they are
// usually typos). Error messages never contain a token.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.h"
#include "common/status.h"

namespace edgerepl::config {

struct ParseOptions {
  // Relative tokenFile paths are resolved against this directory (LoadConfigFile sets it to the
  // config file's directory). Empty: relative to the working directory.
  std::string base_dir;
  // Reads a tokenFile. Default: the whole file from disk. Tests and the operator may replace it.
  std::function<Result<std::string>(const std::string& path)> read_file;
  // Replaces the file's instanceID when not empty: a value per pod (the agent's --instance-id,
  // e.g. the pod's name) while the file is shared by every agent of a namespace.
  std::string instance_id_override;
};

struct ParseOutput {
  Config config;                    // meaningful only when errors is empty
  std::vector<std::string> errors;  // every problem found, in document order
  bool ok() const { return errors.empty(); }
};

// Parses and validates; reports every error found.
ParseOutput ParseConfigDetailed(std::string_view yaml, const ParseOptions& options = {});

// Same, as a Result: kInvalidArgument whose message is the errors joined by "\n" (so the first
// line is the first error).
Result<Config> ParseConfig(std::string_view yaml, const ParseOptions& options = {});

// Reads `path` and parses it with base_dir = the file's directory (unless options set one).
Result<Config> LoadConfigFile(const std::string& path, ParseOptions options = {});

// The whole file, or kNotFound / kIoError naming the path (never its contents).
Result<std::string> ReadWholeFile(const std::string& path);

}  // namespace edgerepl::config
