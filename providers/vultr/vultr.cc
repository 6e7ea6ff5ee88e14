// Vultr: one JSON document, http://169.254.169.254/v1.json (hostname, instance-v2-id, the
// legacy numeric instanceid, public-keys, region), and the user-data, decoded, at
// /latest/user-data (404: none). No token and no header. Detected by DMI sys_vendor "Vultr";
// bare metal, whose DMI is its vendor's, by the word `vultr` on the kernel command line, as
// cloud-init does.

#include "providers/vultr/vultr.hh"

#include "agent/detect/detect.hh"
#include "agent/system/error.hh"
#include "providers/common/metadata-server.hh"

namespace imprint {

namespace {

class VultrProvider : public Provider
{
public:
    std::string name() const override { return "vultr"; }
    bool needsNetwork() const override { return true; }

    std::optional<std::string> detect(const Host & host, const Config &) const override
    {
        if (auto signal = dmiEquals(host, "sys_vendor", {"Vultr"}))
            return signal;
        for (const auto & word : kernelCommandLine(host))
            if (word == "vultr")
                return std::string("the word 'vultr' on the kernel command line");
        return std::nullopt;
    }

    SourceData fetch(const FetchContext & ctx) const override
    {
        auto & http = httpOf(ctx, name());
        std::string base = baseUrl(ctx, "http://169.254.169.254");
        std::string url = joinUrl(base, "/v1.json");
        SourceData d = parseVultrMetadata(getDocument(http, url), url);
        d.source = name();
        std::string udUrl = joinUrl(base, "/latest/user-data");
        if (auto ud = http.get(udUrl); ud && !ud->empty()) {
            d.userData = std::move(*ud);
            d.userDataOrigin = udUrl;
        }
        return d;
    }
};

struct VultrRegion
{
    Text regionCode, countryCode;
};
struct VultrDocument
{
    Text instanceV2Id, instanceId, hostname;
    TextList publicKeys;
    VultrRegion region;
};

void from_json(const nlohmann::json & j, VultrRegion & r)
{
    readKey(j, "regioncode", r.regionCode);
    readKey(j, "countrycode", r.countryCode);
}

void from_json(const nlohmann::json & j, VultrDocument & d)
{
    readKey(j, "instance-v2-id", d.instanceV2Id);
    readKey(j, "instanceid", d.instanceId);
    readKey(j, "hostname", d.hostname);
    readKey(j, "public-keys", d.publicKeys);
    readKey(j, "region", d.region);
}

} // namespace

SourceData parseVultrMetadata(std::string_view text, const std::string & origin)
{
    auto doc = readJsonDocument<VultrDocument>(text, origin);
    SourceData d;
    d.origin = origin;
    // The UUID is the instance's id today (cloud-init's too); the numeric one stays a fact.
    d.instanceId = doc.instanceV2Id.present() ? *doc.instanceV2Id : required(doc.instanceId, origin, "'instance-v2-id'");
    takeHostname(d, doc.hostname, "key 'hostname' in " + origin);
    takeKeys(d, doc.publicKeys, "public-keys in " + origin);
    takePlatformFact(d, "region", doc.region.regionCode);
    takePlatformFact(d, "country", doc.region.countryCode);
    takePlatformFact(d, "legacy_instance_id", doc.instanceId);
    return d;
}

std::unique_ptr<Provider> makeVultrProvider()
{
    return std::make_unique<VultrProvider>();
}

} // namespace imprint
