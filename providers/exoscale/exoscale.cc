// Exoscale: a CloudStack-style metadata server at http://169.254.169.254, API version 1.0 (as
// cloud-init and Afterburn read it), no token and no header. public-keys is the keys themselves,
// one a line. Detected by DMI product_name beginning "Exoscale", as ds-identify does.
// Port 8080 of the same address is the password server, whose answer changes its state (a
// password read once is "saved"): imprint never calls it.

#include "agent/system/error.hh"
#include "providers/common/meta-data-tree.hh"
#include "providers/common/metadata-server.hh"

namespace imprint {

namespace {

class ExoscaleProvider : public Provider
{
public:
    std::string name() const override { return "exoscale"; }
    bool needsNetwork() const override { return true; }

    std::optional<std::string> detect(const Host & host, const Config &) const override
    {
        if (auto product = dmiValue(host, "product_name"); product && product->starts_with("Exoscale"))
            return "DMI product_name '" + *product + "'";
        return std::nullopt;
    }

    SourceData fetch(const FetchContext & ctx) const override
    {
        MetaDataTree tree(httpOf(ctx, name()), baseUrl(ctx, "http://169.254.169.254"), "1.0", std::nullopt);
        return fetchCloudStackTree(tree, name());
    }
};

} // namespace

std::unique_ptr<Provider> makeExoscaleProvider()
{
    return std::make_unique<ExoscaleProvider>();
}

} // namespace imprint
