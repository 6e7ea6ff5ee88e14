// VMware guestinfo: what vSphere (or a .vmx) sets as guestinfo.metadata, guestinfo.userdata and
// their .encoding keys, read through open-vm-tools' `vmware-rpctool "info-get guestinfo.KEY"`, an
// argv run with no shell, bounded in time and output (agent/system/process). The tool prints the
// value and one newline and exits 0, or prints "No value found" and exits 1. imprint only ever
// reads: it never runs info-set. Detected as ds-identify does: DMI says VMware, the tool is
// there, and it answers with metadata or user-data. The tool is the first of vmware.rpctool,
// /run/current-system/sw/bin, /usr/bin, /usr/local/bin. Instance id: the metadata's, else the
// VM's UUID (DMI product_uuid, lower case), as cloud-init does.

#include "providers/vmware/vmware.hh"

#include "agent/fetch/documents.hh"
#include "agent/fetch/encoding.hh"
#include "agent/system/error.hh"
#include "agent/system/process.hh"
#include "providers/common/metadata-server.hh"
#include "providers/nocloud/nocloud.hh"

#include <unistd.h>

namespace imprint {

namespace {

using namespace std::chrono_literals;

std::optional<std::string> findRpctool(const Config & config)
{
    if (config.vmwareRpctool)
        return ::access(config.vmwareRpctool->c_str(), X_OK) == 0 ? config.vmwareRpctool : std::nullopt;
    for (const char * p : {"/run/current-system/sw/bin/vmware-rpctool", "/usr/bin/vmware-rpctool", "/usr/local/bin/vmware-rpctool"})
        if (::access(p, X_OK) == 0)
            return std::string(p);
    return std::nullopt;
}

// One guestinfo key's raw value: nullopt for "No value found" (and for any refusal, as a key
// the hypervisor will not give is one imprint does not have).
std::optional<std::string> infoGet(const std::string & rpctool, const std::string & key)
{
    auto r = runCommand({rpctool, "info-get guestinfo." + key}, 5s, kUserDataCap + 1);
    if (r.exitCode != 0)
        return std::nullopt;
    if (r.out.ends_with('\n'))
        r.out.pop_back();  // the one newline the tool adds
    return r.out;
}

bool isVmware(const Host & host)
{
    auto vendor = dmiValue(host, "sys_vendor");
    auto product = dmiValue(host, "product_name");
    return (vendor && vendor->starts_with("VMware")) || (product && lowerAscii(*product).find("vmware") != std::string::npos);
}

class VmwareProvider : public Provider
{
public:
    std::string name() const override { return "vmware"; }

    std::optional<std::string> detect(const Host & host, const Config & config) const override
    {
        if (!isVmware(host))
            return std::nullopt;
        auto tool = findRpctool(config);
        if (!tool)
            return std::nullopt;
        try {
            for (const char * key : {"metadata", "userdata"})
                if (auto v = infoGet(*tool, key); v && !trim(*v).empty() && trim(*v) != "---")
                    return "DMI says VMware and " + *tool + " has guestinfo." + key;
        } catch (const Error &) {
            // A tool that hangs or floods is no signal; fetch says what it does.
        }
        return std::nullopt;
    }

    SourceData fetch(const FetchContext & ctx) const override
    {
        auto tool = findRpctool(ctx.config);
        if (!tool)
            throw Error("vmware-rpctool (open-vm-tools) not found: set vmware.rpctool to its absolute path");
        auto read = [&](const std::string & key) -> std::optional<std::string> {
            std::string origin = "guestinfo." + key + " (" + *tool + ")";
            auto value = withContext("while reading " + origin, [&] { return infoGet(*tool, key); });
            if (!value)
                return std::nullopt;
            auto encoding = infoGet(*tool, key + ".encoding");
            return decodeGuestinfo(*value, encoding ? trim(*encoding) : "", origin);
        };
        auto metadata = read("metadata");
        if (!metadata)
            throw Error("guestinfo.metadata (" + *tool + "): not set: nothing describes this VM");
        SourceData d = parseVmwareMetadata(*metadata, "guestinfo.metadata");
        d.source = name();
        d.origin = *tool;
        if (d.instanceId.empty()) {
            auto uuid = dmiValue(ctx.host, "product_uuid");
            if (!uuid || uuid->empty())
                throw Error("guestinfo.metadata has no instance-id and DMI has no product_uuid");
            d.instanceId = lowerAscii(*uuid);
        }
        if (auto ud = read("userdata")) {
            d.userData = std::move(*ud);
            d.userDataOrigin = "guestinfo.userdata";
        }
        return d;
    }
};

} // namespace

std::optional<std::string> decodeGuestinfo(std::string_view value, std::string_view encoding, const std::string & origin)
{
    std::string v = trim(value);
    if (v.empty() || v == "---")
        return std::nullopt;
    std::string e = lowerAscii(trim(encoding));
    if (e == "base64" || e == "b64")
        return base64Decode(v, origin);
    if (e == "gzip+base64" || e == "gz+b64")
        return gunzip(base64Decode(v, origin), kUserDataCap, origin);
    return std::string(value);
}

SourceData parseVmwareMetadata(std::string_view text, const std::string & origin)
{
    auto md = parseYamlOrJson(text, origin);
    if (!md.is_object())
        throw Error(origin + ": expected a mapping (JSON or YAML)");
    SourceData d;
    d.origin = origin;
    takeMetaDataIdentity(d, md, origin, {"public-keys-data", "public_keys_data", "public-keys", "public_keys"});
    return d;
}

std::unique_ptr<Provider> makeVmwareProvider()
{
    return std::make_unique<VmwareProvider>();
}

} // namespace imprint
