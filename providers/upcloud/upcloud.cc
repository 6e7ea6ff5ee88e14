// UpCloud: one JSON document, http://169.254.169.254/metadata/v1.json (instance_id, hostname,
// often a full name, public_keys, region, which is really a zone, and user_data as a plain
// string). No token and no header; the service must be enabled for the server (`metadata: yes`),
// and a disabled one simply does not answer. Detected by DMI sys_vendor "UpCloud", as cloud-init.

#include "providers/upcloud/upcloud.hh"

#include "agent/system/error.hh"
#include "providers/common/metadata-server.hh"

namespace imprint {

namespace {

class UpCloudProvider : public Provider
{
public:
    std::string name() const override { return "upcloud"; }
    bool needsNetwork() const override { return true; }

    std::optional<std::string> detect(const Host & host, const Config &) const override
    {
        return dmiEquals(host, "sys_vendor", {"UpCloud"});
    }

    SourceData fetch(const FetchContext & ctx) const override
    {
        std::string url = joinUrl(baseUrl(ctx, "http://169.254.169.254"), "/metadata/v1.json");
        auto doc = withContext("while reading UpCloud's metadata (is the metadata service enabled for this server?)",
                               [&] { return getDocument(httpOf(ctx, name()), url); });
        SourceData d = parseUpCloudMetadata(doc, url);
        d.source = name();
        return d;
    }
};

struct UpCloudDocument
{
    Text instanceId, hostname, region, userData;
    TextList publicKeys;
};

void from_json(const nlohmann::json & j, UpCloudDocument & d)
{
    readKey(j, "instance_id", d.instanceId);
    readKey(j, "hostname", d.hostname);
    readKey(j, "region", d.region);
    readKey(j, "user_data", d.userData);
    readKey(j, "public_keys", d.publicKeys);
}

} // namespace

SourceData parseUpCloudMetadata(std::string_view text, const std::string & origin)
{
    auto doc = readJsonDocument<UpCloudDocument>(text, origin);
    SourceData d;
    d.origin = origin;
    d.instanceId = required(doc.instanceId, origin, "'instance_id'");
    takeHostname(d, doc.hostname, "key 'hostname' in " + origin);
    takeKeys(d, doc.publicKeys, "public_keys in " + origin);
    takeUserData(d, doc.userData, "user_data in " + origin);
    takePlatformFact(d, "zone", doc.region);
    return d;
}

std::unique_ptr<Provider> makeUpCloudProvider()
{
    return std::make_unique<UpCloudProvider>();
}

} // namespace imprint
