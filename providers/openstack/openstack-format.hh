#pragma once
// The OpenStack metadata format, read in ONE place for both the config drive (label config-2)
// and the metadata service at 169.254.169.254/openstack/. Text in, SourceData out.

#include "providers/provider.hh"

#include <string>
#include <string_view>

namespace imprint {

// meta_data.json -> instance id (uuid), local hostname (hostname, else name), public keys
// (public_keys map, then keys[].data), facts (availability_zone, project_id, name, meta.*).
// `origin` names the file or URL in errors and in SourceData origins.
SourceData parseOpenStackMetaData(std::string_view json, const std::string & origin);

// The version directory to read: "latest" when present, else the newest dated one
// ("2018-08-27"), given the names in openstack/; nullopt when there is none.
std::optional<std::string> pickOpenStackVersion(const std::vector<std::string> & names);

} // namespace imprint
