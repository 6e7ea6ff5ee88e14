// systemd credentials: who this machine is, handed over before anything else runs, with no
// server and no medium. A VM gets them from its hypervisor (qemu's
// `-smbios type=11,value=io.systemd.credential:NAME=VALUE`, fw_cfg, libvirt, Incus), a container
// from its manager (`systemd-nspawn --set-credential`), any machine from the kernel command line
// (`systemd.set_credential=`); on systemd >= 261, systemd-imds-import puts the host name and the
// key it fetched from a cloud in /run/credstore. imprint's units import them (ImportCredential=,
// LoadCredential=), so the service reads them from $CREDENTIALS_DIRECTORY.
//
//   imprint.meta-data          NoCloud meta-data (YAML, or JSON: instance-id, local-hostname,
//                              public-keys): a whole seed fits in one SMBIOS string
//   imprint.user-data          user-data, as NoCloud's (#cloud-config, gzip, MIME)
//   system.hostname            the name PID 1 sets, only transiently: an image's static
//                              /etc/hostname beats it. The overlay makes it declarative.
//   firstboot.hostname         the name systemd-firstboot would write (systemd-imds-import's)
//   ssh.authorized_keys.root   root's keys, one a line
//
// The source is present when any of them is. It is the last in detection order: a platform with
// its own source (a cloud where systemd-imds-import also ran) keeps it, and an explicit choice
// (`imprint.source` as a credential or on the kernel command line) picks this one anyway.
// Host name: meta-data's local-hostname, then system.hostname, then firstboot.hostname.
// Instance id: meta-data's instance-id, else the VM's SMBIOS UUID (DMI product_uuid), else a
// digest of what was read, so that another identity is another instance.

#include "providers/credentials/credentials.hh"

#include "agent/fetch/documents.hh"
#include "agent/fetch/encoding.hh"
#include "agent/system/credentials.hh"
#include "agent/system/error.hh"
#include "providers/common/metadata-server.hh"
#include "providers/nocloud/nocloud.hh"

#include <algorithm>

namespace imprint {

namespace {

const char * const kCredentialNames[] = {kImprintMetaDataCredential, kImprintUserDataCredential, kSystemHostnameCredential,
                                         kFirstbootHostnameCredential, kRootKeysCredential};

std::size_t capOf(const std::string & name)
{
    if (name == kImprintUserDataCredential)
        return kUserDataCap;
    if (name == kImprintMetaDataCredential || name == kRootKeysCredential)
        return kMetaDataCap;
    return kSmallFileCap;
}

// A product_uuid that names one VM (QEMU without -uuid, and some firmware, leave it unset).
bool isUsableUuid(const std::string & uuid)
{
    return uuid.size() == 36 && uuid.find_first_not_of("0-") != std::string::npos
        && uuid.find_first_not_of("fF-") != std::string::npos;
}

class CredentialsProvider : public Provider
{
public:
    explicit CredentialsProvider(EnvLookup env) : env_(std::move(env)) {}

    std::string name() const override { return "credentials"; }

    std::optional<std::string> detect(const Host & host, const Config &) const override
    {
        std::string dir = credentialsDirectory(env_);
        for (const char * n : kCredentialNames)
            if (host.hasEntry(dir + "/" + n))
                return std::string("systemd credential ") + n + " (" + dir + ")";
        return std::nullopt;
    }

    SourceData fetch(const FetchContext & ctx) const override
    {
        CredentialSet set;
        for (const char * n : kCredentialNames)
            if (auto c = readCredential(ctx.host, env_, n, capOf(n)))
                set.values[n] = {std::move(c->value), std::move(c->origin)};
        if (set.values.empty())
            throw Error("no systemd credential for imprint in " + credentialsDirectory(env_) + " (" + kImprintMetaDataCredential
                        + ", " + kSystemHostnameCredential + ", ...)");
        set.productUuid = dmiValue(ctx.host, "product_uuid");
        SourceData d = sourceDataFromCredentials(set, credentialsDirectory(env_));
        d.source = name();
        return d;
    }

private:
    EnvLookup env_;
};

const std::pair<std::string, std::string> * find(const CredentialSet & set, const char * name)
{
    auto it = set.values.find(name);
    return it == set.values.end() ? nullptr : &it->second;
}

void takeMetaData(SourceData & d, const std::pair<std::string, std::string> & metaData)
{
    const auto & [text, origin] = metaData;
    // YAML, which JSON is too: a one-line flow mapping ({instance-id: a, local-hostname: b})
    // is what fits in --set-credential= or an SMBIOS string.
    auto md = parseYaml(text, origin);
    if (md.is_null())
        return;
    if (!md.is_object())
        throw Error(origin + ": meta-data must be a mapping");
    takeMetaDataIdentity(d, md, origin);
}

} // namespace

SourceData sourceDataFromCredentials(const CredentialSet & set, const std::string & directory)
{
    SourceData d;
    d.origin = directory;
    if (auto md = find(set, kImprintMetaDataCredential))
        takeMetaData(d, *md);
    for (const char * n : {kSystemHostnameCredential, kFirstbootHostnameCredential})
        if (auto c = find(set, n); c && !d.localHostname)
            takeHostname(d, Text{trim(c->first)}, c->second);
    if (auto keys = find(set, kRootKeysCredential)) {
        appendKeyLines(d.publicKeys, keys->first);
        d.publicKeysOrigin = d.publicKeysOrigin.empty() ? keys->second : d.publicKeysOrigin + " and " + keys->second;
    }
    if (auto ud = find(set, kImprintUserDataCredential)) {
        d.userData = ud->first;
        d.userDataOrigin = ud->second;
    }
    if (d.instanceId.empty()) {
        if (set.productUuid && isUsableUuid(*set.productUuid)) {
            d.instanceId = lowerAscii(*set.productUuid);
        } else {
            std::string all;
            for (const auto & [name, value] : set.values)
                all += name + '\0' + value.first + '\0';
            d.instanceId = "credentials-" + sha256Hex(all).substr(0, 16);
        }
    }
    std::string names;
    for (const auto & [name, value] : set.values)
        names += (names.empty() ? "" : " ") + name;
    d.facts["platform"]["credentials"] = names;
    return d;
}

std::unique_ptr<Provider> makeCredentialsProvider(EnvLookup env)
{
    return std::make_unique<CredentialsProvider>(std::move(env));
}

std::unique_ptr<Provider> makeCredentialsProvider()
{
    return makeCredentialsProvider(processEnv);
}

} // namespace imprint
