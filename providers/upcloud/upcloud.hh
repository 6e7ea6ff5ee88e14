#pragma once
// UpCloud's metadata/v1.json, for its tests and fuzz target.

#include "providers/provider.hh"

#include <string>
#include <string_view>

namespace imprint {

SourceData parseUpCloudMetadata(std::string_view json, const std::string & origin);

} // namespace imprint
