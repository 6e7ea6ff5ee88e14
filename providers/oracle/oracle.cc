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
        SourceData d = parseOracleInstance(getDocument(httpOf(ctx, name()), url, {{"Authorization", "Bearer Oracle"}}), url);
        d.source = name();
        return d;
    }
};

// The fields of opc/v2/instance/ imprint reads.
struct OracleMetadata
{
    Text sshAuthorizedKeys, userData;
};
struct OracleInstance
{
    Text id, hostname, displayName, region, availabilityDomain, faultDomain, shape;
    std::optional<OracleMetadata> metadata;
};

void from_json(const nlohmann::json & j, OracleMetadata & m)
{
    readKey(j, "ssh_authorized_keys", m.sshAuthorizedKeys);
    readKey(j, "user_data", m.userData);
}

void from_json(const nlohmann::json & j, OracleInstance & i)
{
    readKey(j, "id", i.id);
    readKey(j, "hostname", i.hostname);
    readKey(j, "displayName", i.displayName);
    readKey(j, "canonicalRegionName", i.region);
    readKey(j, "availabilityDomain", i.availabilityDomain);
    readKey(j, "faultDomain", i.faultDomain);
    readKey(j, "shape", i.shape);
    if (auto it = j.find("metadata"); it != j.end() && it->is_object())
        from_json(*it, i.metadata.emplace());
}

} // namespace

SourceData parseOracleInstance(std::string_view doc, const std::string & origin)
{
    auto instance = readJsonDocument<OracleInstance>(doc, origin);
    SourceData d;
    d.origin = origin;
    d.instanceId = required(instance.id, origin, "'id' (the instance OCID)");
    if (!takeHostname(d, instance.hostname, "key 'hostname' in " + origin))
        takeHostname(d, instance.displayName, "key 'displayName' in " + origin);
    if (const auto & m = instance.metadata) {
        if (m->sshAuthorizedKeys.present())
            appendKeyLines(d.publicKeys, *m->sshAuthorizedKeys);
        d.publicKeysOrigin = "metadata.ssh_authorized_keys in " + origin;
        if (m->userData.present()) {
            d.userData = base64Decode(*m->userData, "metadata.user_data in " + origin);
            d.userDataOrigin = "metadata.user_data in " + origin;
        }
    }
    takePlatformFact(d, "region", instance.region);
    takePlatformFact(d, "availability_domain", instance.availabilityDomain);
    takePlatformFact(d, "fault_domain", instance.faultDomain);
    takePlatformFact(d, "shape", instance.shape);
    return d;
}

std::unique_ptr<Provider> makeOracleProvider()
{
    return std::make_unique<OracleProvider>();
}

} // namespace imprint
