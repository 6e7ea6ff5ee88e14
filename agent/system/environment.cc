#include "agent/system/environment.hh"

#include <cstdlib>

namespace imprint {

std::optional<std::string> processEnv(const std::string & name)
{
    const char * v = std::getenv(name.c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
}

} // namespace imprint
