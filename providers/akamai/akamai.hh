#pragma once
// Akamai (Linode)'s documents, for its tests and fuzz target.

#include "providers/provider.hh"

#include <string>
#include <string_view>

namespace imprint {

// /v1/instance: id, label (the host name), region, type.
SourceData parseAkamaiInstance(std::string_view json, const std::string & origin);
// /v1/ssh-keys ({"users": {"root": [keys], "alice": [keys]}}) into `d`: root's and `sshUser`'s
// keys to d.publicKeys, other valid user names' to d.userPublicKeys (assignUserKeys).
void takeAkamaiKeys(SourceData & d, std::string_view json, const std::string & origin, const std::string & sshUser);

} // namespace imprint
