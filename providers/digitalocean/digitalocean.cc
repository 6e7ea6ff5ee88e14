// DigitalOcean: one JSON document, http://169.254.169.254/metadata/v1.json, with droplet_id,
// hostname, public_keys[], user_data, region. (Its auth_key is a secret and never read.)

#include "agent/fetch/documents.hh"
#include "agent/system/error.hh"
#include "providers/common/metadata-server.hh"
#include "providers/digitalocean/digitalocean.hh"

namespace imprint {

namespace {

class DigitalOceanProvider : public Provider
{
public:
    std::string name() const override { return "digitalocean"; }
    bool needsNetwork() const override { return true; }

    std::optional<std::string> detect(const Host & host, const Config &) const override
    {
        return dmiEquals(host, "sys_vendor", {"DigitalOcean"});
    }

    SourceData fetch(const FetchContext & ctx) const override
    {
        std::string base = baseUrl(ctx, "http://169.254.169.254");
        std::string url = joinUrl(base, "/metadata/v1.json");
        SourceData d = parseDigitalOceanMetadata(getDocument(httpOf(ctx, name()), url), url);
        d.source = name();
        return d;
    }
};

} // namespace

namespace {

// The fields of metadata/v1.json imprint reads.
struct DropletDocument
{
    Text dropletId, hostname, userData, region;
    TextList publicKeys;
};

void from_json(const nlohmann::json & j, DropletDocument & d)
{
    readKey(j, "droplet_id", d.dropletId);
    readKey(j, "hostname", d.hostname);
    readKey(j, "public_keys", d.publicKeys);
    readKey(j, "user_data", d.userData);
    readKey(j, "region", d.region);
}

} // namespace

SourceData parseDigitalOceanMetadata(std::string_view text, const std::string & origin)
{
    auto doc = readJsonDocument<DropletDocument>(text, origin);
    SourceData d;
    d.origin = origin;
    d.instanceId = required(doc.dropletId, origin, "'droplet_id'");
    takeHostname(d, doc.hostname, "key 'hostname' in " + origin);
    takeKeys(d, doc.publicKeys, "public_keys in " + origin);
    takeUserData(d, doc.userData, "user_data in " + origin);
    if (doc.region.value)
        d.facts["platform"]["region"] = *doc.region;
    return d;
}

std::unique_ptr<Provider> makeDigitalOceanProvider()
{
    return std::make_unique<DigitalOceanProvider>();
}

} // namespace imprint
