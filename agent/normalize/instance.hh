#pragma once
// The normalized identity of this machine (instance JSON schema v1). Everything in here is safe
// to write to a world-readable file and into the Nix store: secrets never enter this struct.

#include <nlohmann/json.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace imprint {

inline constexpr int kInstanceSchemaVersion = 1;

struct RootDevice
{
    std::string device;                // a stable path: /dev/disk/by-uuid/..., by-partuuid, by-label
    std::optional<std::string> fsType; // "ext4", "xfs", ...
    bool operator==(const RootDevice &) const = default;
};

// facts: category ("labels", "annotations", "platform") -> key -> value.
using Facts = std::map<std::string, std::map<std::string, std::string>>;

struct InstanceData
{
    std::string source;                     // "nocloud", "ec2", ...
    std::string instanceId;
    std::optional<std::string> hostname;    // one DNS label
    std::optional<std::string> domain;      // the rest of the FQDN
    std::optional<std::string> fqdn;
    std::optional<RootDevice> rootDevice;
    std::vector<std::string> sshAuthorizedKeys;                   // for the configured ssh_user
    std::map<std::string, std::vector<std::string>> userKeys;     // cloud-config users[] by name
    std::optional<std::string> timezone;
    bool preserveHostname = false;
    Facts facts;

    bool operator==(const InstanceData &) const = default;
};

nlohmann::json toJson(const InstanceData & instance);
InstanceData instanceFromJson(const nlohmann::json & j);

// NixOS's rule for networking.hostName: one label, [[:alnum:]] at both ends, [[:alnum:]_-] inside,
// at most 63 characters.
bool isValidHostLabel(std::string_view label);
// Each label valid, no empty labels, at most 253 characters in all.
bool isValidDomain(std::string_view domain);
// An IANA zone name such as "Europe/Paris" or "UTC": no "..", no leading '/', a safe alphabet.
bool isValidTimezone(std::string_view tz);
// An OpenSSH public key line: "<type> <base64> [comment]" with a known key type.
bool isValidSshPublicKey(std::string_view key);
// A user name NixOS accepts (users.users.<name>): [a-z_][a-z0-9_-]*, shorter than 32 characters.
bool isValidUserName(std::string_view name);

} // namespace imprint
