// Alibaba Cloud ECS: the instance metadata service at http://100.100.100.200 (not the usual
// link-local address), in EC2's layout. imprint always takes a session token first (PUT
// /latest/api/token with X-aliyun-ecs-metadata-token-ttl-seconds), which every mode accepts and
// the hardened mode requires; GETs carry X-aliyun-ecs-metadata-token. Keys are listed under
// public-keys/ by key id ("0/", "skp-.../"), each with its openssh-key. Detected by DMI
// product_name "Alibaba Cloud ECS", as cloud-init's ds-identify does.

#include "providers/alibaba/alibaba.hh"

#include "agent/system/error.hh"
#include "providers/common/meta-data-tree.hh"
#include "providers/common/metadata-server.hh"

namespace imprint {

namespace {

const SessionToken kAlibabaToken{"/latest/api/token", "X-aliyun-ecs-metadata-token-ttl-seconds", "21600",
                                 "X-aliyun-ecs-metadata-token"};

class AlibabaProvider : public Provider
{
public:
    std::string name() const override { return "alibaba"; }
    bool needsNetwork() const override { return true; }

    std::optional<std::string> detect(const Host & host, const Config &) const override
    {
        return dmiEquals(host, "product_name", {"Alibaba Cloud ECS"});
    }

    SourceData fetch(const FetchContext & ctx) const override
    {
        MetaDataTree tree(httpOf(ctx, name()), baseUrl(ctx, "http://100.100.100.200"), "latest", kAlibabaToken);
        SourceData d = fetchMetaDataTree(tree, {"hostname"},
                                         {{"region", "region-id"}, {"zone", "zone-id"},
                                          {"instance_type", "instance/instance-type"}, {"image_id", "image-id"}});
        d.source = name();
        d.origin = tree.url("");
        if (auto index = tree.get("meta-data/public-keys/")) {
            for (const auto & id : parseAlibabaKeyIndex(*index))
                if (auto key = tree.get("meta-data/public-keys/" + id + "/openssh-key"))
                    appendKeyLines(d.publicKeys, *key);
            d.publicKeysOrigin = tree.url("meta-data/public-keys/");
        }
        return d;
    }
};

} // namespace

std::vector<std::string> parseAlibabaKeyIndex(std::string_view text)
{
    return parseMetaDataListing(text);
}

std::unique_ptr<Provider> makeAlibabaProvider()
{
    return std::make_unique<AlibabaProvider>();
}

} // namespace imprint
