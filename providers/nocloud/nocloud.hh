#pragma once
// cloud-init's NoCloud: pieces shared with tests and other sources (KubeVirt's cidata is NoCloud).

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

} // namespace imprint
