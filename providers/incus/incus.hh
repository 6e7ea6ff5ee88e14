#pragma once
// Incus's meta-data text, for its tests and fuzz target.

#include "providers/provider.hh"

#include <string>
#include <string_view>
#include <vector>

namespace imprint {

SourceData parseIncusMetaData(std::string_view text, const std::string & origin);

} // namespace imprint
