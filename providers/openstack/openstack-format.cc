// The OpenStack meta_data.json format (config drive and metadata service alike):
//   {"uuid": "...", "hostname": "vm1.novalocal", "name": "vm1", "availability_zone": "nova",
//    "project_id": "...", "public_keys": {"mykey": "ssh-ed25519 ..."},
//    "keys": [{"name": "mykey", "type": "ssh", "data": "ssh-ed25519 ..."}], "meta": {...}}

#include "providers/openstack/openstack-format.hh"

#include "agent/fetch/documents.hh"
#include "agent/system/error.hh"
#include "providers/common/metadata-server.hh"

#include <algorithm>

namespace imprint {

SourceData parseOpenStackMetaData(std::string_view text, const std::string & origin)
{
    auto j = parseJson(text, origin);
    if (!j.is_object())
        throw Error(origin + ": expected a JSON object");
    SourceData d;
    d.origin = origin;
    auto uuid = j.contains("uuid") ? scalarText(j["uuid"]) : std::nullopt;
    if (!uuid || uuid->empty())
        throw Error(origin + ": no 'uuid' (the instance id)");
    d.instanceId = *uuid;
    for (const char * key : {"hostname", "name"}) {
        if (auto v = j.contains(key) ? scalarText(j[key]) : std::nullopt; v && !v->empty()) {
            d.localHostname = *v;
            d.localHostnameOrigin = std::string("key '") + key + "' in " + origin;
            break;
        }
    }
    // public_keys is the classic map; keys[] the newer list. Both usually carry the same keys.
    if (j.contains("public_keys") && j["public_keys"].is_object())
        for (const auto & [name, key] : j["public_keys"].items())
            if (auto k = scalarText(key))
                appendKeyLines(d.publicKeys, *k);
    if (j.contains("keys") && j["keys"].is_array())
        for (const auto & k : j["keys"])
            if (k.is_object() && k.value("type", "ssh") == "ssh" && k.contains("data"))
                if (auto data = scalarText(k["data"]))
                    for (auto & line : nonEmptyLines(*data))
                        if (std::find(d.publicKeys.begin(), d.publicKeys.end(), line) == d.publicKeys.end())
                            d.publicKeys.push_back(line);
    d.publicKeysOrigin = "public_keys in " + origin;
    for (const char * key : {"availability_zone", "project_id", "name", "launch_index"})
        if (auto v = j.contains(key) ? scalarText(j[key]) : std::nullopt)
            d.facts["platform"][key] = *v;
    if (j.contains("meta") && j["meta"].is_object())
        for (const auto & [k, v] : j["meta"].items())
            if (auto s = scalarText(v))
                d.facts["meta"][k] = *s;
    return d;
}

std::optional<std::string> pickOpenStackVersion(const std::vector<std::string> & names)
{
    if (std::find(names.begin(), names.end(), "latest") != names.end())
        return "latest";
    std::optional<std::string> best;
    for (const auto & n : names) {
        // YYYY-MM-DD sorts as text.
        bool dated = n.size() == 10 && n[4] == '-' && n[7] == '-'
            && std::all_of(n.begin(), n.end(), [](char c) { return (c >= '0' && c <= '9') || c == '-'; });
        if (dated && (!best || n > *best))
            best = n;
    }
    return best;
}

} // namespace imprint
