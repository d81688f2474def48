// The rules a Config meets, whoever made it: ParseConfig applies them to what it read from a
// file, the operator to the Config it builds from Remote and Replication resources. Each error is
// "<field path>: <message>" with the path as the file spells it (`replications[1].remote`); a
// message never holds a token or password.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "common/config/config.h"

namespace edgerepl::config {

// Every rule broken, in the order of the fields in a rendered file; empty when valid. A token
// beside a tokenFile (or a password beside a passwordFile) is the file's content, as a loaded
// Config holds it; an empty one means the file was empty.
std::vector<std::string> Validate(const Config& config);

// The same, skipping the rules on the fields in `unread` and on everything under them: the reader
// could not read those, so they hold defaults that say nothing about the file.
std::vector<std::string> Validate(const Config& config, const std::set<std::string>& unread);

}  // namespace edgerepl::config
