#pragma once
// EC2's text parsers, for its tests and fuzz target (the provider itself is in the registry).

#include "providers/provider.hh"

#include <string>
#include <string_view>
#include <vector>

namespace imprint {

// public-keys/ listing: lines "0=my-key" -> indices in order ("0", "1", ...).
std::vector<std::string> parseEc2PublicKeyIndex(std::string_view text);
// Byte-swapped or plain "ec2" prefix of a DMI product_uuid.
bool isEc2ProductUuid(std::string_view uuid);

} // namespace imprint
