#pragma once
// Oracle's instance document, for its tests and fuzz target.

#include "providers/provider.hh"

#include <string>
#include <string_view>
#include <vector>

namespace imprint {

// user_data is base64 in the instance document; it is decoded here.
SourceData parseOracleInstance(std::string_view json, const std::string & origin);

} // namespace imprint
