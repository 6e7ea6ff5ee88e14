#pragma once
// The process environment, behind a function so tests can give a provider their own.

#include <functional>
#include <optional>
#include <string>

namespace imprint {

using EnvLookup = std::function<std::optional<std::string>(const std::string & name)>;

// getenv(3): the variable's value, or nullopt when unset.
std::optional<std::string> processEnv(const std::string & name);

} // namespace imprint
