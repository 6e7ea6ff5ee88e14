#pragma once
// GCE's text parsers and key assignment, for its tests and fuzz target.

#include "providers/common/metadata-server.hh"

#include <string>
#include <string_view>
#include <vector>

namespace imprint {

// ssh-keys attribute: lines "user:ssh-ed25519 AAAA... comment" -> user and key;
// lines whose google-ssh "expireOn" is in the past (relative to `nowUtc`, ISO 8601) are skipped.
using GceSshKey = UserKey;
std::vector<GceSshKey> parseGceSshKeys(std::string_view text, const std::string & nowUtc);
// Each key to its user (assignUserKeys).
void assignGceKeys(SourceData & d, std::vector<GceSshKey> keys, const std::string & origin, const std::string & sshUser);
// "projects/123/zones/europe-west1-b" -> "europe-west1-b".
std::string lastPathSegment(std::string_view path);

} // namespace imprint
