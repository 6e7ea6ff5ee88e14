// The ordered list of sources. Order is detection priority: local media and directories first,
// then metadata servers (a config drive before the OpenStack metadata service). A new provider
// is one file in providers/ and one line here.

#include "providers/provider.hh"
#include "providers/kubernetes.hh"
#include "providers/metadata.hh"

namespace imprint {

std::unique_ptr<Provider> makeNoCloudProvider();

const std::vector<std::unique_ptr<Provider>> & allProviders()
{
    static const std::vector<std::unique_ptr<Provider>> providers = [] {
        std::vector<std::unique_ptr<Provider>> list;
        list.push_back(makeNoCloudProvider());
        list.push_back(makeConfigDriveProvider());  // local media, before the OpenStack metadata service
        list.push_back(makeKubernetesProvider());  // before metadata servers: a pod must never take its node's identity
        list.push_back(makeIncusProvider());       // a local socket
        // Metadata servers, each chosen by its own DMI/hypervisor signal (they never overlap).
        list.push_back(makeEc2Provider());
        list.push_back(makeGceProvider());
        list.push_back(makeAzureProvider());
        list.push_back(makeOpenStackProvider());   // skipped when a config drive exists
        list.push_back(makeDigitalOceanProvider());
        list.push_back(makeHetznerProvider());
        list.push_back(makeOracleProvider());
        return list;
    }();
    return providers;
}

const Provider * findProvider(const std::string & name)
{
    for (const auto & p : allProviders())
        if (p->name() == name)
            return p.get();
    return nullptr;
}

} // namespace imprint
