#pragma once
// User-data as cloud-init receives it, decoded into one merged cloud-config document:
// `#cloud-config` YAML, gzip-compressed data, MIME multipart (text/cloud-config parts merged in
// order, later keys replacing earlier ones as cloud-init's default merger does). Scripts,
// includes and templates are recognised and never run or fetched.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace imprint {

struct CloudConfig
{
    nlohmann::json config = nlohmann::json::object();  // the merged cloud-config
    std::vector<std::string> ignoredParts;              // "part 2 (text/x-shellscript): not run"
};

CloudConfig decodeUserData(std::string_view raw, const std::string & origin);

} // namespace imprint
