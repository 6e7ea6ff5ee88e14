#pragma once
// Hetzner's meta-data document, for its tests and fuzz target.

#include "providers/provider.hh"

#include <string>
#include <string_view>
#include <vector>

namespace imprint {

SourceData parseHetznerMetadata(std::string_view yaml, const std::string & origin);

} // namespace imprint
