// Oracle Cloud Infrastructure: http://169.254.169.254/opc/v2/instance/ with
// `Authorization: Bearer Oracle` (IMDSv2; the server refuses requests without it). One JSON
// document: id, hostname, metadata.ssh_authorized_keys, metadata.user_data (base64).

#include "agent/fetch/documents.hh"
#include "agent/fetch/encoding.hh"
#include "agent/system/error.hh"
#include "providers/common/metadata-server.hh"
#include "providers/oracle/oracle.hh"

namespace imprint {

namespace {

class OracleProvider : public Provider
{
public:
    std::string name() const override { return "oracle"; }
    bool needsNetwork() const override { return true; }

    std::optional<std::string> detect(const Host & host, const Config &) const override
    {
        return dmiEquals(host, "chassis_asset_tag", {"OracleCloud.com"});
    }

    SourceData fetch(const FetchContext & ctx) const override
    {
        std::string url = joinUrl(baseUrl(ctx, "http://169.254.169.254"), "/opc/v2/instance/");
        auto doc = httpOf(ctx, name()).get(url, {{"Authorization", "Bearer Oracle"}});
        if (!doc)
            throw Error(url + ": not found (HTTP 404)");
        SourceData d = parseOracleInstance(*doc, url);
        d.source = name();
        return d;
    }
};

std::optional<std::string> text(const nlohmann::json & obj, const char * key)
{
    if (!obj.is_object() || !obj.contains(key))
        return std::nullopt;
    auto v = scalarText(obj[key]);
    if (!v || v->empty())
        return std::nullopt;
    return v;
}

} // namespace

SourceData parseOracleInstance(std::string_view doc, const std::string & origin)
{
    auto j = parseJson(doc, origin);
    if (!j.is_object())
        throw Error(origin + ": expected a JSON object");
    SourceData d;
    d.origin = origin;
    auto id = text(j, "id");
    if (!id)
        throw Error(origin + ": no 'id' (the instance OCID)");
    d.instanceId = *id;
    if (auto h = text(j, "hostname")) {
        d.localHostname = *h;
        d.localHostnameOrigin = "key 'hostname' in " + origin;
    } else if (auto n = text(j, "displayName")) {
        d.localHostname = *n;
        d.localHostnameOrigin = "key 'displayName' in " + origin;
    }
    if (j.contains("metadata") && j["metadata"].is_object()) {
        const auto & m = j["metadata"];
        if (auto keys = text(m, "ssh_authorized_keys"))
            appendKeyLines(d.publicKeys, *keys);
        d.publicKeysOrigin = "metadata.ssh_authorized_keys in " + origin;
        if (auto ud = text(m, "user_data")) {
            d.userData = base64Decode(*ud, "metadata.user_data in " + origin);
            d.userDataOrigin = "metadata.user_data in " + origin;
        }
    }
    for (auto [fact, key] : {std::pair{"region", "canonicalRegionName"}, std::pair{"availability_domain", "availabilityDomain"},
                             std::pair{"fault_domain", "faultDomain"}, std::pair{"shape", "shape"}})
        if (auto v = text(j, key))
            d.facts["platform"][fact] = *v;
    return d;
}

std::unique_ptr<Provider> makeOracleProvider()
{
    return std::make_unique<OracleProvider>();
}

} // namespace imprint
