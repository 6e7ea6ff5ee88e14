#pragma once
// User-data as cloud-init receives it, decoded into one merged cloud-config document:
// `#cloud-config` YAML, gzip-compressed data, MIME multipart (text/cloud-config parts merged in
// order, later keys replacing earlier ones as cloud-init's default merger does). Scripts,
// includes and templates are recognised and never run or fetched.

#include "agent/system/host.hh"

#include <nlohmann/json.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace imprint {

// Bounds of the document tree of one user-data (media and metadata are written by strangers).
inline constexpr int kMaxUserDataNesting = 8;                  // gzip layers and multipart levels together
inline constexpr std::size_t kMaxDecodedUserData = kUserDataCap; // bytes out of gzip and base64, all layers
inline constexpr int kMaxMimeParts = 1000;

struct CloudConfig
{
    nlohmann::json config = nlohmann::json::object();  // the merged cloud-config
    std::vector<std::string> ignoredParts;              // "part 2 (text/x-shellscript): not run"
    std::size_t decodedBytes = 0;                       // what gzip and base64 produced, in all
    int deepestNesting = 0;                             // gzip layers + multipart levels, at most
};

CloudConfig decodeUserData(std::string_view raw, const std::string & origin);

} // namespace imprint
