// Akamai Connected Cloud (Linode): the metadata service at http://169.254.169.254 (IPv6
// http://[fd00:a9fe:a9fe::1] with `akamai.ipv6`). A token first: PUT /v1/token with
// Metadata-Token-Expiry-Seconds; then every request carries Metadata-Token, and the JSON ones
// Accept: application/json (the service answers text otherwise). /v1/instance (id; label is the
// host name), /v1/ssh-keys (keys by user), /v1/user-data (base64; 200 with an empty body when
// there is none). Detected by DMI sys_vendor "Linode" or "Akamai", as ds-identify does.

#include "providers/akamai/akamai.hh"

#include "agent/fetch/encoding.hh"
#include "agent/system/error.hh"
#include "providers/common/meta-data-tree.hh"
#include "providers/common/metadata-server.hh"

namespace imprint {

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

class AkamaiProvider : public Provider
{
public:
    std::string name() const override { return "akamai"; }
    bool needsNetwork() const override { return true; }

    std::optional<std::string> detect(const Host & host, const Config &) const override
    {
        return dmiEquals(host, "sys_vendor", {"Linode", "Akamai"});
    }

    SourceData fetch(const FetchContext & ctx) const override
    {
        auto & http = httpOf(ctx, name());
        std::string base = baseUrl(ctx, ctx.config.akamaiUseIpv6 ? "http://[fd00:a9fe:a9fe::1]" : "http://169.254.169.254");
        const SessionToken dance{"/v1/token", "Metadata-Token-Expiry-Seconds", "300", "Metadata-Token"};
        Headers json{{dance.tokenHeader, requestSessionToken(http, base, dance)}, {"Accept", "application/json"}};

        std::string instanceUrl = joinUrl(base, "/v1/instance");
        SourceData d = parseAkamaiInstance(getDocument(http, instanceUrl, json), instanceUrl);
        d.source = name();
        std::string keysUrl = joinUrl(base, "/v1/ssh-keys");
        if (auto keys = http.get(keysUrl, json))
            takeAkamaiKeys(d, *keys, keysUrl, ctx.config.sshUser);
        std::string udUrl = joinUrl(base, "/v1/user-data");
        if (auto ud = http.get(udUrl, {json.front()}); ud && !trim(*ud).empty()) {
            d.userData = base64Decode(trim(*ud), udUrl);
            d.userDataOrigin = udUrl;
        }
        return d;
    }
};

struct AkamaiInstance
{
    Text id, label, region, type;
};

void from_json(const nlohmann::json & j, AkamaiInstance & i)
{
    readKey(j, "id", i.id);
    readKey(j, "label", i.label);
    readKey(j, "region", i.region);
    readKey(j, "type", i.type);
}

} // namespace

SourceData parseAkamaiInstance(std::string_view text, const std::string & origin)
{
    auto instance = readJsonDocument<AkamaiInstance>(text, origin);
    SourceData d;
    d.origin = origin;
    d.instanceId = required(instance.id, origin, "'id'");
    takeHostname(d, instance.label, "key 'label' in " + origin);
    takePlatformFact(d, "region", instance.region);
    takePlatformFact(d, "type", instance.type);
    return d;
}

void takeAkamaiKeys(SourceData & d, std::string_view text, const std::string & origin, const std::string & sshUser)
{
    auto doc = parseJson(text, origin);
    std::vector<UserKey> keys;
    if (auto users = doc.find("users"); doc.is_object() && users != doc.end() && users->is_object())
        for (const auto & [user, list] : users->items()) {
            TextList lines;
            from_json(list, lines);
            for (const auto & k : lines.items)
                for (auto & line : nonEmptyLines(k))
                    keys.push_back({user, std::move(line)});
        }
    assignUserKeys(d, std::move(keys), origin, sshUser);
    d.publicKeysOrigin = "users in " + origin;
}

std::unique_ptr<Provider> makeAkamaiProvider()
{
    return std::make_unique<AkamaiProvider>();
}

} // namespace imprint
