#pragma once
// Vultr's v1.json, for its tests and fuzz target.

#include "providers/provider.hh"

#include <string>
#include <string_view>

namespace imprint {

SourceData parseVultrMetadata(std::string_view json, const std::string & origin);

} // namespace imprint
