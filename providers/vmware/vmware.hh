#pragma once
// VMware guestinfo, for its tests and fuzz target.

#include "providers/provider.hh"

#include <optional>
#include <string>
#include <string_view>

namespace imprint {

// A guestinfo value in its declared encoding: "base64"/"b64", "gzip+base64"/"gz+b64", anything
// else plain. nullopt for a value that says "absent": empty, or "---" (what cloud-init writes
// over a key it cleaned up).
std::optional<std::string> decodeGuestinfo(std::string_view value, std::string_view encoding, const std::string & origin);

// The metadata document (JSON or YAML): instance-id, local-hostname (perhaps a full name), keys
// in public-keys-data (or public_keys_data, public-keys, public_keys: the first there), a string
// of lines or a list.
SourceData parseVmwareMetadata(std::string_view text, const std::string & origin);

} // namespace imprint
