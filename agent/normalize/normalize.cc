#include "agent/normalize/normalize.hh"
#include "agent/normalize/cloud-config.hh"
#include "agent/fetch/documents.hh"
#include "agent/system/error.hh"
#include "agent/normalize/root-device.hh"

#include <algorithm>
#include <set>

namespace imprint {

using nlohmann::json;

namespace {

const std::set<std::string> kHandledKeys = {
    "hostname", "fqdn", "prefer_fqdn_over_hostname", "preserve_hostname", "ssh_authorized_keys",
    "users", "timezone", "imprint"};

std::string keyOrigin(const std::string & key, const std::string & origin)
{
    return "key '" + key + "' in " + origin;
}

std::optional<std::string> optionalText(const json & obj, const std::string & key, const std::string & origin)
{
    if (!obj.is_object() || !obj.contains(key) || obj[key].is_null())
        return std::nullopt;
    auto text = scalarText(obj[key]);
    if (!text)
        throw Error(keyOrigin(key, origin) + " must be a string");
    return text;
}

bool isIpv4(const std::string & s)
{
    int parts = 0;
    std::size_t pos = 0;
    while (pos <= s.size()) {
        auto dot = s.find('.', pos);
        auto part = s.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
        if (part.empty() || part.size() > 3 || !std::all_of(part.begin(), part.end(), ::isdigit) || std::stoi(part) > 255)
            return false;
        ++parts;
        if (dot == std::string::npos)
            break;
        pos = dot + 1;
    }
    return parts == 4;
}

// DataSource.get_hostname(fqdn): an IPv4 local-hostname becomes "ip-a-b-c-d"; a name with dots
// is split at the first one; "localdomain" counts as no domain.
std::string datasourceName(const std::string & localHostname, bool fqdn)
{
    if (isIpv4(localHostname)) {
        std::string name = "ip-" + localHostname;
        std::replace(name.begin(), name.end(), '.', '-');
        return name;
    }
    auto dot = localHostname.find('.');
    std::string host = localHostname.substr(0, dot);
    std::string domain = dot == std::string::npos ? "localdomain" : localHostname.substr(dot + 1);
    if (fqdn && domain != "localdomain")
        return host + "." + domain;
    return host;
}

// Splits "web-1.example.org" into a checked label and domain; errors name `origin`.
void setNames(InstanceData & in, const std::string & name, const std::string & nameOrigin,
              const std::optional<std::string> & fqdn, const std::string & fqdnOrigin)
{
    if (!isValidHostLabel(name))
        throw Error("the hostname '" + name + "' from " + nameOrigin +
                    " is not a valid host name label (letters, digits, '-' and '_', at most 63 characters, "
                    "starting and ending with a letter or digit)");
    in.hostname = name;
    in.fqdn = fqdn ? *fqdn : name;
    if (fqdn) {
        auto dot = fqdn->find('.');
        if (dot != std::string::npos) {
            std::string domain = fqdn->substr(dot + 1);
            if (!isValidDomain(domain) || fqdn->size() > 253)
                throw Error("the FQDN '" + *fqdn + "' from " + fqdnOrigin + " has an invalid domain part");
            in.domain = domain;
        }
    }
}

std::vector<std::string> keyList(const json & value, const std::string & origin)
{
    std::vector<std::string> keys;
    if (value.is_null())
        return keys;
    if (value.is_string()) {
        keys.push_back(value.get<std::string>());
        return keys;
    }
    if (!value.is_array())
        throw Error(origin + " must be a list of keys");
    for (const auto & item : value) {
        auto text = scalarText(item);
        if (!text)
            throw Error(origin + " must contain only strings");
        keys.push_back(*text);
    }
    return keys;
}

void addKeys(std::vector<std::string> & target, const std::vector<std::string> & keys, const std::string & origin)
{
    for (std::size_t i = 0; i < keys.size(); ++i) {
        std::string key = trim(keys[i]);
        if (key.empty())
            continue;
        if (!isValidSshPublicKey(key))
            throw Error("entry " + std::to_string(i + 1) + " of " + origin + " is not an SSH public key");
        if (std::find(target.begin(), target.end(), key) == target.end())
            target.push_back(key);
    }
}

void collectUserKeys(InstanceData & in, const json & users, const Config & config, const std::string & origin)
{
    if (users.is_null())
        return;
    if (!users.is_array())
        throw Error(keyOrigin("users", origin) + " must be a list");
    for (std::size_t i = 0; i < users.size(); ++i) {
        const json & u = users[i];
        if (u.is_string())
            continue;  // "default" or a bare name: no keys to add
        if (!u.is_object())
            throw Error("entry " + std::to_string(i + 1) + " of " + keyOrigin("users", origin) + " must be a mapping");
        auto name = optionalText(u, "name", origin);
        if (!name)
            throw Error("entry " + std::to_string(i + 1) + " of " + keyOrigin("users", origin) + " has no name");
        if (!u.contains("ssh_authorized_keys"))
            continue;
        std::string where = keyOrigin("users[" + std::to_string(i) + "].ssh_authorized_keys", origin);
        auto keys = keyList(u["ssh_authorized_keys"], where);
        if (*name == "default" || *name == config.sshUser) {
            addKeys(in.sshAuthorizedKeys, keys, where);
            continue;
        }
        if (!isValidUserName(*name))
            throw Error("the user name '" + *name + "' in " + keyOrigin("users", origin) + " is not a valid user name");
        addKeys(in.userKeys[*name], keys, where);
    }
}

std::optional<RootDevice> rootDeviceFromImprintBlock(const json & block, const std::string & origin)
{
    if (!block.is_object() || !block.contains("root_device") || block["root_device"].is_null())
        return std::nullopt;
    const json & rd = block["root_device"];
    std::string where = keyOrigin("imprint.root_device", origin);
    RootDevice dev;
    if (rd.is_string()) {
        dev.device = rd.get<std::string>();
    } else if (rd.is_object() && rd.contains("device")) {
        auto d = scalarText(rd["device"]);
        if (!d)
            throw Error(where + ": 'device' must be a string");
        dev.device = *d;
        if (rd.contains("fs_type") && !rd["fs_type"].is_null())
            dev.fsType = scalarText(rd["fs_type"]);
    } else {
        throw Error(where + " must be a device path or a mapping with 'device' and 'fs_type'");
    }
    if (dev.device.empty() || (dev.device.front() != '/' && dev.device.find('/') == std::string::npos))
        throw Error(where + ": '" + dev.device + "' is not a device path");
    return dev;
}

void checkImprintBlock(const json & block, const std::string & origin)
{
    if (block.is_null())
        return;
    if (!block.is_object())
        throw Error(keyOrigin("imprint", origin) + " must be a mapping");
    for (const auto & [key, value] : block.items())
        if (key != "root_device")
            throw Error("unknown key 'imprint." + key + "' in " + origin);
}

} // namespace

HostnameFqdn cloudInitHostname(const json & cfg, const std::optional<std::string> & localHostname,
                               const std::string & udOrigin, const std::string & lhOrigin)
{
    HostnameFqdn r;
    auto cfgHostname = optionalText(cfg, "hostname", udOrigin);
    auto cfgFqdn = optionalText(cfg, "fqdn", udOrigin);
    if (cfgFqdn) {
        r.fqdn = *cfgFqdn;
        r.fqdnOrigin = keyOrigin("fqdn", udOrigin);
        if (cfgHostname) {
            r.hostname = *cfgHostname;
            r.hostnameOrigin = keyOrigin("hostname", udOrigin);
        } else {
            r.hostname = cfgFqdn->substr(0, cfgFqdn->find('.'));
            r.hostnameOrigin = r.fqdnOrigin;
        }
    } else if (cfgHostname && cfgHostname->find('.') != std::string::npos && cfgHostname->find('.') > 0) {
        r.fqdn = *cfgHostname;
        r.hostname = cfgHostname->substr(0, cfgHostname->find('.'));
        r.fqdnOrigin = r.hostnameOrigin = keyOrigin("hostname", udOrigin);
    } else {
        if (localHostname && !localHostname->empty()) {
            r.fqdn = datasourceName(*localHostname, true);
            r.fqdnOrigin = lhOrigin;
        }
        if (cfgHostname) {
            r.hostname = *cfgHostname;
            r.hostnameOrigin = keyOrigin("hostname", udOrigin);
        } else if (localHostname && !localHostname->empty()) {
            r.hostname = datasourceName(*localHostname, false);
            r.hostnameOrigin = lhOrigin;
        }
    }
    return r;
}

MachineFacts gatherMachineFacts(const Host & host)
{
    MachineFacts facts;
    try {
        facts.rootDevice = withContext("while finding the root device", [&] { return discoverRootDevice(host); });
    } catch (const Error & e) {
        facts.rootDeviceError = e.what();
    }
    return facts;
}

Normalized normalize(const SourceData & data, const Config & config, const MachineFacts & machine)
{
    Normalized out;
    InstanceData & in = out.instance;
    in.source = data.source;
    in.instanceId = trim(data.instanceId);
    if (in.instanceId.empty())
        throw Error(data.origin + ": no instance-id");
    checkText(in.instanceId, "the instance-id from " + data.origin);
    if (in.instanceId.size() > 256 || std::any_of(in.instanceId.begin(), in.instanceId.end(),
                                                  [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
        throw Error("the instance-id from " + data.origin + " has control characters or is longer than 256 bytes");

    CloudConfig cc;
    if (data.userData)
        cc = decodeUserData(*data.userData, data.userDataOrigin);
    const json & cfg = cc.config;
    const std::string & udOrigin = data.userDataOrigin;
    out.ignoredParts = cc.ignoredParts;
    for (const auto & [key, value] : cfg.items())
        if (!kHandledKeys.count(key))
            out.unhandledKeys.push_back(key);

    if (data.localHostname)
        checkText(*data.localHostname, data.localHostnameOrigin);
    auto names = cloudInitHostname(cfg, data.localHostname, udOrigin, data.localHostnameOrigin);
    bool preferFqdn = cfg.contains("prefer_fqdn_over_hostname") && boolValue(cfg["prefer_fqdn_over_hostname"]).value_or(false);
    if (preferFqdn && names.fqdn) {
        // cloud-init would set the FQDN as the host name; NixOS spells that as label + domain.
        const std::string & f = *names.fqdn;
        setNames(in, f.substr(0, f.find('.')), names.fqdnOrigin, names.fqdn, names.fqdnOrigin);
    } else if (names.hostname) {
        setNames(in, *names.hostname, names.hostnameOrigin, names.fqdn, names.fqdnOrigin);
    }
    in.preserveHostname = config.preserveHostname;
    if (cfg.contains("preserve_hostname") && !cfg["preserve_hostname"].is_null()) {
        auto b = boolValue(cfg["preserve_hostname"]);
        if (!b)
            throw Error(keyOrigin("preserve_hostname", udOrigin) + " must be a boolean");
        in.preserveHostname = *b;
    }

    addKeys(in.sshAuthorizedKeys, data.publicKeys, data.publicKeysOrigin);
    for (const auto & [user, keys] : data.userPublicKeys) {
        if (!isValidUserName(user))
            throw Error("the user name '" + user + "' in " + data.publicKeysOrigin + " is not a valid user name");
        addKeys(in.userKeys[user], keys, data.publicKeysOrigin + " (user " + user + ")");
    }
    if (cfg.contains("ssh_authorized_keys"))
        addKeys(in.sshAuthorizedKeys, keyList(cfg["ssh_authorized_keys"], keyOrigin("ssh_authorized_keys", udOrigin)),
                keyOrigin("ssh_authorized_keys", udOrigin));
    if (cfg.contains("users"))
        collectUserKeys(in, cfg["users"], config, udOrigin);

    if (auto tz = optionalText(cfg, "timezone", udOrigin)) {
        if (!isValidTimezone(*tz))
            throw Error(keyOrigin("timezone", udOrigin) + ": '" + *tz + "' is not a time zone name");
        in.timezone = *tz;
    }

    const json imprintBlock = cfg.contains("imprint") ? cfg["imprint"] : json();
    checkImprintBlock(imprintBlock, udOrigin);
    if (auto dev = rootDeviceFromImprintBlock(imprintBlock, udOrigin))
        in.rootDevice = dev;
    else if (config.rootDevice)
        in.rootDevice = RootDevice{*config.rootDevice, config.rootFsType};
    else if (machine.rootDeviceError)
        throw Error(*machine.rootDeviceError);
    else
        in.rootDevice = machine.rootDevice;
    if (in.rootDevice)
        checkText(in.rootDevice->device, "the root device");

    in.facts = data.facts;
    for (const auto & [category, entries] : in.facts)
        for (const auto & [key, value] : entries) {
            checkText(key, "the " + category + " fact name '" + key + "'");
            checkText(value, "the value of the " + category + " fact '" + key + "'");
        }
    return out;
}

} // namespace imprint
