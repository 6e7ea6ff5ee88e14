// Hetzner Cloud: http://169.254.169.254/hetzner/v1/metadata (YAML: hostname, instance-id,
// public-keys, region, availability-zone) and /hetzner/v1/userdata, which answers 204 (or an
// empty body) when there is no user data.

#include "agent/fetch/documents.hh"
#include "agent/system/error.hh"
#include "providers/common/metadata-server.hh"
#include "providers/hetzner/hetzner.hh"

namespace imprint {

namespace {

class HetznerProvider : public Provider
{
public:
    std::string name() const override { return "hetzner"; }
    bool needsNetwork() const override { return true; }

    std::optional<std::string> detect(const Host & host, const Config &) const override
    {
        return dmiEquals(host, "sys_vendor", {"Hetzner"});
    }

    SourceData fetch(const FetchContext & ctx) const override
    {
        auto & http = httpOf(ctx, name());
        std::string base = baseUrl(ctx, "http://169.254.169.254");
        std::string url = joinUrl(base, "/hetzner/v1/metadata");
        SourceData d = parseHetznerMetadata(getDocument(http, url), url);
        d.source = name();
        std::string udUrl = joinUrl(base, "/hetzner/v1/userdata");
        if (auto ud = http.get(udUrl); ud && !ud->empty()) {
            d.userData = std::move(*ud);
            d.userDataOrigin = udUrl;
        }
        return d;
    }
};

} // namespace

SourceData parseHetznerMetadata(std::string_view text, const std::string & origin)
{
    nlohmann::json j;
    SourceData d = parseCloudInitMetaData(text, origin, "hostname", j);
    TextList keys;
    Text region, zone;
    readKey(j, "public-keys", keys);
    readKey(j, "region", region);
    readKey(j, "availability-zone", zone);
    takeKeys(d, keys, "public-keys in " + origin);
    takePlatformFact(d, "region", region);
    takePlatformFact(d, "availability_zone", zone);
    return d;
}

std::unique_ptr<Provider> makeHetznerProvider()
{
    return std::make_unique<HetznerProvider>();
}

} // namespace imprint
