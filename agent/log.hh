#pragma once
// Logging set-up. Log lines go to stderr (command output goes to stdout). They carry names,
// paths and decisions, never user-data, passwords or tokens.

#include <string>

namespace imprint {

enum class Verbosity { Quiet, Normal, Debug };

void setupLogging(Verbosity verbosity);

} // namespace imprint
