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

namespace {

// The fields of meta_data.json imprint reads.
struct OpenStackKey
{
    Text type, data;
};
struct OpenStackMetaData
{
    Text uuid, hostname, name, availabilityZone, projectId, launchIndex;
    TextMap publicKeys, meta;
    ObjectList<OpenStackKey> keys;
};

void from_json(const nlohmann::json & j, OpenStackKey & k)
{
    readKey(j, "type", k.type);
    readKey(j, "data", k.data);
}

void from_json(const nlohmann::json & j, OpenStackMetaData & m)
{
    readKey(j, "uuid", m.uuid);
    readKey(j, "hostname", m.hostname);
    readKey(j, "name", m.name);
    readKey(j, "availability_zone", m.availabilityZone);
    readKey(j, "project_id", m.projectId);
    readKey(j, "launch_index", m.launchIndex);
    readKey(j, "public_keys", m.publicKeys);
    readKey(j, "keys", m.keys);
    readKey(j, "meta", m.meta);
}

} // namespace

SourceData parseOpenStackMetaData(std::string_view text, const std::string & origin)
{
    auto m = readJsonDocument<OpenStackMetaData>(text, origin);
    SourceData d;
    d.origin = origin;
    d.instanceId = required(m.uuid, origin, "'uuid' (the instance id)");
    if (!takeHostname(d, m.hostname, "key 'hostname' in " + origin))
        takeHostname(d, m.name, "key 'name' in " + origin);
    // public_keys is the classic map; keys[] the newer list. Both usually carry the same keys.
    for (const auto & [name, key] : m.publicKeys.items)
        appendKeyLines(d.publicKeys, key);
    for (const auto & k : m.keys.items)
        if ((!k.type.value || *k.type == "ssh") && k.data.value)
            for (auto & line : nonEmptyLines(*k.data))
                if (std::find(d.publicKeys.begin(), d.publicKeys.end(), line) == d.publicKeys.end())
                    d.publicKeys.push_back(line);
    d.publicKeysOrigin = "public_keys in " + origin;
    for (auto [fact, field] : {std::pair{"availability_zone", &m.availabilityZone}, std::pair{"project_id", &m.projectId},
                               std::pair{"name", &m.name}, std::pair{"launch_index", &m.launchIndex}})
        if (field->value)
            d.facts["platform"][fact] = **field;
    for (const auto & [k, v] : m.meta.items)
        d.facts["meta"][k] = v;
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
