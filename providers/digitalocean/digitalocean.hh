#pragma once
// DigitalOcean's one document, for its tests and fuzz target.

#include "providers/provider.hh"

#include <string>
#include <string_view>
#include <vector>

namespace imprint {

SourceData parseDigitalOceanMetadata(std::string_view json, const std::string & origin);

} // namespace imprint
