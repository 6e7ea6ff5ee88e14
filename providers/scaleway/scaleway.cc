// Scaleway: http://169.254.42.42 (IPv6 http://[fd00:42::42], `scaleway.use_ipv6` like
// ec2.use_ipv6), no token. /conf?format=json describes the instance (id, hostname,
// ssh_public_keys[].key, tags, zone). User-data, /user_data/cloud-init, is served only to a
// connection from a source port below 1024, which only root may bind: Scaleway's proof that the
// reader is privileged. 404 there is "no user-data". Keys may also come as tags
// `AUTHORIZED_KEY=<key with '_' for ' '>`, as cloud-init reads them. Detected by DMI sys_vendor
// "Scaleway" (systemd's hwdb for systemd-imdsd uses the same), or /run/scaleway, which
// Scaleway's initrd creates.

#include "providers/scaleway/scaleway.hh"

#include "agent/system/error.hh"
#include "providers/common/metadata-server.hh"

#include <algorithm>

namespace imprint {

namespace {

class ScalewayProvider : public Provider
{
public:
    std::string name() const override { return "scaleway"; }
    bool needsNetwork() const override { return true; }

    std::optional<std::string> detect(const Host & host, const Config &) const override
    {
        if (auto signal = dmiEquals(host, "sys_vendor", {"Scaleway"}))
            return signal;
        if (host.exists("/run/scaleway"))
            return std::string("/run/scaleway (Scaleway's initrd)");
        return std::nullopt;
    }

    SourceData fetch(const FetchContext & ctx) const override
    {
        auto & http = httpOf(ctx, name());
        std::string base = baseUrl(ctx, ctx.config.scalewayUseIpv6 ? "http://[fd00:42::42]" : "http://169.254.42.42");
        std::string url = joinUrl(base, "/conf") + "?format=json";
        SourceData d = parseScalewayConf(getDocument(http, url), url);
        d.source = name();
        HttpRequest ud;
        ud.url = joinUrl(base, "/user_data/cloud-init");
        ud.localPorts = std::pair{1L, 1023L};
        if (auto r = withContext("while reading user-data from a privileged port (imprint must run as root)",
                                 [&] { return http.request(ud); });
            r && !r->body.empty()) {
            d.userData = std::move(r->body);
            d.userDataOrigin = ud.url;
        }
        return d;
    }
};

struct ScalewayKey
{
    Text key;
};
struct ScalewayLocation
{
    Text zoneId;
};
struct ScalewayConf
{
    Text id, hostname, name, zone, commercialType;
    ObjectList<ScalewayKey> sshPublicKeys;
    TextList tags;
    ScalewayLocation location;
};

void from_json(const nlohmann::json & j, ScalewayKey & k)
{
    readKey(j, "key", k.key);
}

void from_json(const nlohmann::json & j, ScalewayLocation & l)
{
    readKey(j, "zone_id", l.zoneId);
}

void from_json(const nlohmann::json & j, ScalewayConf & c)
{
    readKey(j, "id", c.id);
    readKey(j, "hostname", c.hostname);
    readKey(j, "name", c.name);
    readKey(j, "zone", c.zone);
    readKey(j, "commercial_type", c.commercialType);
    readKey(j, "ssh_public_keys", c.sshPublicKeys);
    readKey(j, "tags", c.tags);
    readKey(j, "location", c.location);
}

} // namespace

SourceData parseScalewayConf(std::string_view text, const std::string & origin)
{
    auto conf = readJsonDocument<ScalewayConf>(text, origin);
    SourceData d;
    d.origin = origin;
    d.instanceId = required(conf.id, origin, "'id'");
    if (!takeHostname(d, conf.hostname, "key 'hostname' in " + origin))
        takeHostname(d, conf.name, "key 'name' in " + origin);
    for (const auto & k : conf.sshPublicKeys.items)
        if (k.key.value)
            appendKeyLines(d.publicKeys, *k.key);
    const std::string kTag = "AUTHORIZED_KEY=";
    for (auto tag : conf.tags.items)
        if (tag.starts_with(kTag)) {
            tag = tag.substr(kTag.size());
            std::replace(tag.begin(), tag.end(), '_', ' ');
            appendKeyLines(d.publicKeys, tag);
        }
    d.publicKeysOrigin = "ssh_public_keys and AUTHORIZED_KEY tags in " + origin;
    takePlatformFact(d, "zone", conf.location.zoneId.present() ? conf.location.zoneId : conf.zone);
    takePlatformFact(d, "commercial_type", conf.commercialType);
    return d;
}

std::unique_ptr<Provider> makeScalewayProvider()
{
    return std::make_unique<ScalewayProvider>();
}

} // namespace imprint
