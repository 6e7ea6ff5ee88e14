#include "agent/normalize/instance.hh"
#include "agent/fetch/documents.hh"

#include <algorithm>
#include <array>
#include <cctype>

namespace imprint {

using nlohmann::json;

namespace {

template<typename T>
json optionalJson(const std::optional<T> & v)
{
    return v ? json(*v) : json(nullptr);
}

std::optional<std::string> optionalString(const json & j, const char * key)
{
    if (!j.contains(key) || j[key].is_null())
        return std::nullopt;
    return j[key].get<std::string>();
}

bool isAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

} // namespace

json toJson(const InstanceData & in)
{
    json j;
    j["schema_version"] = kInstanceSchemaVersion;
    j["source"] = in.source;
    j["instance_id"] = in.instanceId;
    j["hostname"] = optionalJson(in.hostname);
    j["domain"] = optionalJson(in.domain);
    j["fqdn"] = optionalJson(in.fqdn);
    if (in.rootDevice)
        j["root_device"] = {{"device", in.rootDevice->device}, {"fs_type", optionalJson(in.rootDevice->fsType)}};
    else
        j["root_device"] = nullptr;
    j["ssh_authorized_keys"] = in.sshAuthorizedKeys;
    j["users"] = json::object();
    for (const auto & [user, keys] : in.userKeys)
        j["users"][user] = {{"ssh_authorized_keys", keys}};
    j["timezone"] = optionalJson(in.timezone);
    j["preserve_hostname"] = in.preserveHostname;
    j["facts"] = json::object();
    for (const auto & [category, entries] : in.facts)
        j["facts"][category] = entries;
    return j;
}

InstanceData instanceFromJson(const json & j)
{
    InstanceData in;
    in.source = j.at("source").get<std::string>();
    in.instanceId = j.at("instance_id").get<std::string>();
    in.hostname = optionalString(j, "hostname");
    in.domain = optionalString(j, "domain");
    in.fqdn = optionalString(j, "fqdn");
    if (j.contains("root_device") && j["root_device"].is_object())
        in.rootDevice = RootDevice{j["root_device"].at("device").get<std::string>(),
                                   optionalString(j["root_device"], "fs_type")};
    in.sshAuthorizedKeys = j.value("ssh_authorized_keys", std::vector<std::string>{});
    if (j.contains("users"))
        for (const auto & [user, entry] : j["users"].items())
            in.userKeys[user] = entry.value("ssh_authorized_keys", std::vector<std::string>{});
    in.timezone = optionalString(j, "timezone");
    in.preserveHostname = j.value("preserve_hostname", false);
    if (j.contains("facts"))
        for (const auto & [category, entries] : j["facts"].items())
            in.facts[category] = entries.get<std::map<std::string, std::string>>();
    return in;
}

bool isValidHostLabel(std::string_view label)
{
    if (label.empty() || label.size() > 63)
        return false;
    if (!isAlnum(label.front()) || !isAlnum(label.back()))
        return false;
    return std::all_of(label.begin(), label.end(), [](char c) { return isAlnum(c) || c == '-' || c == '_'; });
}

bool isValidDomain(std::string_view domain)
{
    if (domain.empty() || domain.size() > 253)
        return false;
    std::size_t start = 0;
    while (true) {
        auto dot = domain.find('.', start);
        auto label = domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (!isValidHostLabel(label))
            return false;
        if (dot == std::string_view::npos)
            return true;
        start = dot + 1;
    }
}

bool isValidTimezone(std::string_view tz)
{
    if (tz.empty() || tz.size() > 255 || tz.front() == '/' || tz.find("..") != std::string_view::npos)
        return false;
    return std::all_of(tz.begin(), tz.end(), [](char c) {
        return isAlnum(c) || c == '/' || c == '_' || c == '-' || c == '+';
    });
}

bool isValidSshPublicKey(std::string_view key)
{
    static const std::array<std::string_view, 10> types = {
        "ssh-ed25519", "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
        "ssh-rsa-cert-v01@openssh.com", "ssh-ed25519-cert-v01@openssh.com"};
    if (key.size() > 16384 || key.find_first_of("\r\n") != std::string_view::npos)
        return false;
    // The comment and options are free text, but the key goes into instance.json (JSON needs
    // UTF-8) and the overlay (Nix strings hold no NUL): found by fuzz-pipeline.
    if (key.find('\0') != std::string_view::npos || !isValidUtf8(key))
        return false;
    // OpenSSH allows options before the type ("from=... ssh-ed25519 AAAA..."): find the type token.
    std::size_t pos = 0;
    while (pos < key.size()) {
        auto end = key.find(' ', pos);
        auto token = key.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
        if (std::find(types.begin(), types.end(), token) != types.end()) {
            if (end == std::string_view::npos)
                return false;
            auto b64start = end + 1;
            auto b64end = key.find(' ', b64start);
            auto b64 = key.substr(b64start, b64end == std::string_view::npos ? std::string_view::npos : b64end - b64start);
            return b64.size() >= 16 && std::all_of(b64.begin(), b64.end(), [](char c) {
                       return isAlnum(c) || c == '+' || c == '/' || c == '=';
                   });
        }
        if (end == std::string_view::npos)
            break;
        pos = end + 1;
    }
    return false;
}

bool isValidUserName(std::string_view name)
{
    // nixpkgs' users-groups.nix aborts evaluation for a name of 32 characters or more.
    if (name.empty() || name.size() >= 32)
        return false;
    if (!(std::islower(static_cast<unsigned char>(name.front())) || name.front() == '_'))
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    });
}

} // namespace imprint
