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
        auto doc = httpOf(ctx, name()).get(url);
        if (!doc)
            throw Error(url + ": not found (HTTP 404)");
        SourceData d = parseDigitalOceanMetadata(*doc, url);
        d.source = name();
        return d;
    }
};

} // namespace

SourceData parseDigitalOceanMetadata(std::string_view text, const std::string & origin)
{
    auto j = parseJson(text, origin);
    if (!j.is_object())
        throw Error(origin + ": expected a JSON object");
    SourceData d;
    d.origin = origin;
    auto id = j.contains("droplet_id") ? scalarText(j["droplet_id"]) : std::nullopt;
    if (!id || id->empty())
        throw Error(origin + ": no 'droplet_id'");
    d.instanceId = *id;
    if (auto h = j.contains("hostname") ? scalarText(j["hostname"]) : std::nullopt; h && !h->empty()) {
        d.localHostname = *h;
        d.localHostnameOrigin = "key 'hostname' in " + origin;
    }
    if (j.contains("public_keys") && j["public_keys"].is_array())
        for (const auto & k : j["public_keys"])
            if (auto s = scalarText(k))
                appendKeyLines(d.publicKeys, *s);
    d.publicKeysOrigin = "public_keys in " + origin;
    if (auto ud = j.contains("user_data") ? scalarText(j["user_data"]) : std::nullopt; ud && !ud->empty()) {
        d.userData = *ud;
        d.userDataOrigin = "user_data in " + origin;
    }
    if (auto r = j.contains("region") ? scalarText(j["region"]) : std::nullopt)
        d.facts["platform"]["region"] = *r;
    return d;
}

std::unique_ptr<Provider> makeDigitalOceanProvider()
{
    return std::make_unique<DigitalOceanProvider>();
}

} // namespace imprint
