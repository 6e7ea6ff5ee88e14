#pragma once
// Alibaba Cloud's key listing, for its tests and fuzz target.

#include <string>
#include <string_view>
#include <vector>

namespace imprint {

// public-keys/: one key id a line ("0/", "skp-bp1.../"); each becomes one URL path segment.
std::vector<std::string> parseAlibabaKeyIndex(std::string_view text);

} // namespace imprint
