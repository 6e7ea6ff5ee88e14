// The ordered list of sources. Order is detection priority: local media and directories first,
// then metadata servers (a config drive before the OpenStack metadata service). A new provider
// is one folder, providers/<name>/ (docs/adding-a-provider.md), and one line here.

#include "providers/provider.hh"

namespace imprint {

// One line per provider, in detection order; NAME names the factory makeNAMEProvider() that
// providers/<name>/<name>.cc defines.
#define IMPRINT_PROVIDERS(X)                                                                        \
    X(NoCloud)                                                                                      \
    X(ConfigDrive)  /* local media, before the OpenStack metadata service */                        \
    X(Kubernetes)   /* before metadata servers: a pod must never take its node's identity */        \
    X(Incus)        /* a local socket */                                                            \
    X(Vmware)       /* guestinfo through the hypervisor's channel */                                \
    /* Metadata servers, each chosen by its own DMI/hypervisor signal (they never overlap). */      \
    X(Ec2)                                                                                          \
    X(Gce)                                                                                          \
    X(Azure)                                                                                        \
    X(OpenStack)    /* skipped when a config drive exists */                                        \
    X(DigitalOcean)                                                                                 \
    X(Hetzner)                                                                                      \
    X(Oracle)                                                                                       \
    X(Vultr)                                                                                        \
    X(Akamai)                                                                                       \
    X(Scaleway)                                                                                     \
    X(UpCloud)                                                                                      \
    X(Alibaba)                                                                                      \
    X(Exoscale)     /* before CloudStack, whose metadata it serves */                               \
    X(CloudStack)                                                                                   \
    /* Last: systemd credentials (a name, keys, a whole seed) when no platform source is there. */  \
    X(Credentials)

#define IMPRINT_DECLARE_FACTORY(Name) std::unique_ptr<Provider> make##Name##Provider();
IMPRINT_PROVIDERS(IMPRINT_DECLARE_FACTORY)

const std::vector<std::unique_ptr<Provider>> & allProviders()
{
    static const std::vector<std::unique_ptr<Provider>> providers = [] {
        std::vector<std::unique_ptr<Provider>> list;
#define IMPRINT_ADD_PROVIDER(Name) list.push_back(make##Name##Provider());
        IMPRINT_PROVIDERS(IMPRINT_ADD_PROVIDER)
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
