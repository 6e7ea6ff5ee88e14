#pragma once
// Scaleway's /conf?format=json, for its tests and fuzz target.

#include "providers/provider.hh"

#include <string>
#include <string_view>

namespace imprint {

SourceData parseScalewayConf(std::string_view json, const std::string & origin);

} // namespace imprint
