// The OpenStack metadata service (http://169.254.169.254/openstack/latest/), same format as the
// config drive. Skipped when a config drive exists: the drive is local and says the same.

#include "agent/system/error.hh"
#include "providers/common/metadata-server.hh"
#include "providers/openstack/openstack-format.hh"

namespace imprint {

namespace {

class OpenStackProvider : public Provider
{
public:
    std::string name() const override { return "openstack"; }
    bool needsNetwork() const override { return true; }

    std::optional<std::string> detect(const Host & host, const Config &) const override
    {
        for (const char * label : {"config-2", "CONFIG-2"})
            if (host.exists(std::string("/dev/disk/by-label/") + label))
                return std::nullopt;  // the config drive source takes it
        if (auto s = dmiEquals(host, "product_name", {"OpenStack Nova", "OpenStack Compute"}))
            return s;
        return dmiEquals(host, "chassis_asset_tag",
                         {"OpenTelekomCloud", "SAP CCloud VM", "HUAWEICLOUD", "OpenStack Nova"});
    }

    SourceData fetch(const FetchContext & ctx) const override
    {
        auto & http = httpOf(ctx, name());
        std::string base = joinUrl(baseUrl(ctx, "http://169.254.169.254"), "/openstack/latest");
        std::string metaUrl = base + "/meta_data.json";
        SourceData d = parseOpenStackMetaData(getDocument(http, metaUrl), metaUrl);
        d.source = name();
        d.origin = base;
        std::string udUrl = base + "/user_data";
        if (auto ud = http.get(udUrl)) {
            d.userData = std::move(*ud);
            d.userDataOrigin = udUrl;
        }
        return d;
    }
};

} // namespace

std::unique_ptr<Provider> makeOpenStackProvider()
{
    return std::make_unique<OpenStackProvider>();
}

} // namespace imprint
