#pragma once
// cloud-init's NoCloud: pieces shared with tests and other sources (KubeVirt's cidata is NoCloud).

#include "providers/provider.hh"

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace imprint {

// The `ds=nocloud;h=host;i=iid;s=seedfrom` syntax of the kernel command line and DMI serial.
// nullopt when `text` is not a NoCloud selector. Short keys are expanded (h -> local-hostname,
// i -> instance-id, s -> seedfrom).
std::optional<std::map<std::string, std::string>> parseNoCloudSelector(const std::string & text);

// meta-data's public-keys as a string (one key a line), a list, or a map of name -> key or keys.
std::vector<std::string> publicKeysFromMetaData(const nlohmann::json & value, const std::string & origin);

// The identity in a cloud-init meta-data mapping that another source carries (a credential,
// VMware's guestinfo): instance-id when present, local-hostname, and the keys under the first of
// `keyNames` that is there and not null. `origin` names the document in every origin it sets.
void takeMetaDataIdentity(SourceData & d, const nlohmann::json & metaData, const std::string & origin,
                          std::initializer_list<const char *> keyNames = {"public-keys"});

} // namespace imprint
