// cloud-init's NoCloud source: a seed directory, a filesystem labelled cidata/CIDATA, or
// `ds=nocloud;...` on the kernel command line or in DMI product_serial. Values given on the
// command line (h=, i=) win over the seed's meta-data, as in cloud-init.

#include "providers/nocloud/nocloud.hh"
#include "agent/system/http.hh"
#include "agent/detect/detect.hh"
#include "agent/fetch/documents.hh"
#include "agent/system/error.hh"
#include "agent/fetch/mount.hh"
#include "providers/common/metadata-server.hh"
#include "providers/provider.hh"

namespace imprint {

using nlohmann::json;
namespace fs = std::filesystem;

std::optional<std::map<std::string, std::string>> parseNoCloudSelector(const std::string & text)
{
    std::string s = text;
    if (s.rfind("ds=", 0) == 0)
        s = s.substr(3);
    auto semi = s.find(';');
    std::string name = s.substr(0, semi);
    if (name != "nocloud" && name != "nocloud-net")
        return std::nullopt;
    std::map<std::string, std::string> values;
    if (semi == std::string::npos)
        return values;
    std::string rest = s.substr(semi + 1);
    std::size_t pos = 0;
    while (pos <= rest.size()) {
        auto next = rest.find(';', pos);
        std::string item = rest.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
        auto eq = item.find('=');
        if (eq != std::string::npos) {
            std::string key = item.substr(0, eq), value = item.substr(eq + 1);
            if (key == "h") key = "local-hostname";
            else if (key == "i") key = "instance-id";
            else if (key == "s") key = "seedfrom";
            values[key] = value;
        }
        if (next == std::string::npos)
            break;
        pos = next + 1;
    }
    return values;
}

std::vector<std::string> publicKeysFromMetaData(const json & value, const std::string & origin)
{
    std::vector<std::string> keys;
    auto addText = [&](const std::string & text) {
        std::size_t pos = 0;
        while (pos <= text.size()) {
            auto nl = text.find('\n', pos);
            std::string line = trim(text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
            if (!line.empty() && line.front() != '#')
                keys.push_back(line);
            if (nl == std::string::npos)
                break;
            pos = nl + 1;
        }
    };
    auto addValue = [&](const json & v, const std::string & where) {
        if (v.is_string())
            addText(v.get<std::string>());
        else if (v.is_array()) {
            for (const auto & item : v) {
                if (!item.is_string())
                    throw Error(where + " must contain only strings");
                addText(item.get<std::string>());
            }
        } else if (!v.is_null())
            throw Error(where + " must be a string, a list or a mapping");
    };
    if (value.is_object()) {
        for (const auto & [name, v] : value.items())
            addValue(v, origin + " entry '" + name + "'");
    } else {
        addValue(value, origin);
    }
    return keys;
}

namespace {

const char * kLabels[] = {"cidata", "CIDATA"};

struct Seed
{
    json metaData = json::object();
    std::optional<std::string> userData;
    std::string metaDataOrigin;
    std::string userDataOrigin;
};

// Reads meta-data and user-data from the seed directory `dir` of `tree` (the machine, a mounted
// medium or a directory given with --source), as seed files: regular files only, never through a
// link that leaves the tree. `shown` is how errors name the directory.
Seed readSeedDir(const Host & tree, const std::string & dir, const std::string & shown)
{
    Seed seed;
    seed.metaDataOrigin = shown + "/meta-data";
    seed.userDataOrigin = shown + "/user-data";
    std::string base = dir == "/" ? "" : dir;
    auto md = tree.readSeedFile(base + "/meta-data", kMetaDataCap);
    if (!md)
        throw Error(seed.metaDataOrigin + ": no such file (a NoCloud seed needs meta-data)");
    json parsed = parseYamlOrJson(*md, seed.metaDataOrigin);
    if (!parsed.is_null() && !parsed.is_object())
        throw Error(seed.metaDataOrigin + ": meta-data must be a mapping");
    if (parsed.is_object())
        seed.metaData = parsed;
    seed.userData = tree.readSeedFile(base + "/user-data", kUserDataCap);
    return seed;
}

std::optional<std::map<std::string, std::string>> selectorFromHost(const Host & host, std::string & where)
{
    for (const auto & word : kernelCommandLine(host)) {
        if (auto sel = parseNoCloudSelector(word)) {
            where = "the kernel command line";
            return sel;
        }
    }
    if (auto serial = host.readValue("/sys/class/dmi/id/product_serial")) {
        if (auto sel = parseNoCloudSelector(*serial)) {
            where = "DMI product_serial";
            return sel;
        }
    }
    return std::nullopt;
}

std::optional<std::string> labelledDevice(const Host & host)
{
    for (const char * label : kLabels) {
        std::string dev = std::string("/dev/disk/by-label/") + label;
        if (host.hasEntry(dev))
            return dev;
    }
    return std::nullopt;
}

class NoCloudProvider : public Provider
{
public:
    std::string name() const override { return "nocloud"; }

    std::optional<std::string> detect(const Host & host, const Config & config) const override
    {
        std::string where;
        if (selectorFromHost(host, where))
            return "ds=nocloud on " + where;
        for (const auto & dir : config.nocloudSeedDirs)
            if (host.exists(dir + "/meta-data"))
                return "seed directory " + dir;
        if (auto dev = labelledDevice(host))
            return "filesystem label " + fs::path(*dev).filename().string() + " (" + *dev + ")";
        return std::nullopt;
    }

    SourceData fetch(const FetchContext & ctx) const override
    {
        if (ctx.location)
            return fromSeed(readSeedDir(Host(*ctx.location), "/", *ctx.location), *ctx.location, {});

        std::string where;
        auto selector = selectorFromHost(ctx.host, where).value_or(std::map<std::string, std::string>{});
        if (auto it = selector.find("seedfrom"); it != selector.end())
            return fromSeedFrom(ctx, it->second, "seedfrom in " + where, selector);
        for (const auto & dir : ctx.config.nocloudSeedDirs)
            if (ctx.host.exists(dir + "/meta-data"))
                return fromSeedWithSeedFrom(ctx, readSeedDir(ctx.host, dir, dir), dir, selector);
        if (auto dev = labelledDevice(ctx.host)) {
            if (!ctx.mounter)
                throw Error("found " + *dev + " but mounting is not available here");
            return withContext("while reading the NoCloud seed on " + *dev, [&] {
                MountedMedia media(*ctx.mounter, ctx.host.path(*dev), ctx.host.path(ctx.config.runDir), {"iso9660", "vfat"});
                return fromSeedWithSeedFrom(ctx, readSeedDir(Host(media.path()), "/", *dev), *dev, selector);
            });
        }
        if (!selector.empty())
            return fromSeed(Seed{}, where, selector);
        throw Error("no NoCloud seed found (no ds=nocloud, seed directory or cidata filesystem)");
    }

private:
    // A seed's own meta-data may point elsewhere with `seedfrom`; the values seen first win.
    SourceData fromSeedWithSeedFrom(const FetchContext & ctx, Seed seed, const std::string & where,
                                    const std::map<std::string, std::string> & selector) const
    {
        if (seed.metaData.contains("seedfrom") && seed.metaData["seedfrom"].is_string()) {
            auto merged = selector;
            for (const auto & [k, v] : seed.metaData.items())
                if (auto t = scalarText(v); t && !merged.count(k))
                    merged[k] = *t;
            return fromSeedFrom(ctx, seed.metaData["seedfrom"].get<std::string>(), "seedfrom in " + seed.metaDataOrigin, merged);
        }
        return fromSeed(std::move(seed), where, selector);
    }

    SourceData fromSeedFrom(const FetchContext & ctx, const std::string & url, const std::string & where,
                            const std::map<std::string, std::string> & selector) const
    {
        if (url.rfind("file://", 0) == 0) {
            std::string dir = url.substr(7);
            while (dir.size() > 1 && dir.back() == '/')
                dir.pop_back();
            return withContext("while reading the NoCloud seed " + url + " (" + where + ")",
                               [&] { return fromSeed(readSeedDir(ctx.host, dir, dir), dir, selector); });
        }
        if (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0)
            return fetchSeedOverHttp(ctx, url, where, selector);
        throw Error(where + ": unsupported seedfrom URL '" + url + "' (file://, http:// or https://)");
    }

    // seedfrom over http(s): BASE/meta-data (required) and BASE/user-data, under the one HTTP
    // policy (agent/system/http.hh): an IP-literal host, no proxy, bounded retries and deadline.
    SourceData fetchSeedOverHttp(const FetchContext & ctx, const std::string & url, const std::string & where,
                                 const std::map<std::string, std::string> & selector) const
    {
        if (!ctx.http)
            throw Error(where + ": seedfrom " + url + " needs the network, which may not be used here");
        std::string base = url.back() == '/' ? url : url + "/";
        return withContext("while reading the NoCloud seed " + url + " (" + where + ")", [&] {
            Seed seed;
            seed.metaDataOrigin = base + "meta-data";
            seed.userDataOrigin = base + "user-data";
            auto md = ctx.http->get(seed.metaDataOrigin);
            if (!md)
                throw Error(seed.metaDataOrigin + ": not found (HTTP 404; a NoCloud seed needs meta-data)");
            json parsed = parseYamlOrJson(*md, seed.metaDataOrigin);
            if (!parsed.is_null() && !parsed.is_object())
                throw Error(seed.metaDataOrigin + ": meta-data must be a mapping");
            if (parsed.is_object())
                seed.metaData = parsed;
            seed.userData = ctx.http->get(seed.userDataOrigin);
            return fromSeed(std::move(seed), base, selector);
        });
    }

    SourceData fromSeed(Seed seed, const std::string & where, const std::map<std::string, std::string> & selector) const
    {
        SourceData d;
        d.source = name();
        d.origin = where;
        json & md = seed.metaData;
        for (const auto & [key, value] : selector)  // the command line wins over the seed
            md[key] = value;
        std::string mdOrigin = seed.metaDataOrigin.empty() ? where : seed.metaDataOrigin;
        if (md.contains("instance-id"))
            d.instanceId = scalarText(md["instance-id"]).value_or("");
        if (d.instanceId.empty())
            throw Error(mdOrigin + ": missing required key 'instance-id'");
        for (const char * key : {"local-hostname", "hostname"}) {  // "hostname": older seeds
            if (md.contains(key) && !md[key].is_null()) {
                d.localHostname = scalarText(md[key]);
                if (!d.localHostname)
                    throw Error(mdOrigin + ": key '" + key + "' must be a string");
                d.localHostnameOrigin = "key '" + std::string(key) + "' in " + mdOrigin;
                break;
            }
        }
        if (md.contains("public-keys")) {
            d.publicKeysOrigin = "key 'public-keys' in " + mdOrigin;
            d.publicKeys = publicKeysFromMetaData(md["public-keys"], d.publicKeysOrigin);
        }
        d.userData = std::move(seed.userData);
        d.userDataOrigin = seed.userDataOrigin.empty() ? where + " user-data" : seed.userDataOrigin;
        return d;
    }
};

} // namespace

std::unique_ptr<Provider> makeNoCloudProvider()
{
    return std::make_unique<NoCloudProvider>();
}

void takeMetaDataIdentity(SourceData & d, const nlohmann::json & metaData, const std::string & origin,
                          std::initializer_list<const char *> keyNames)
{
    Text id, host;
    readKey(metaData, "instance-id", id);
    readKey(metaData, "local-hostname", host);
    if (id.present())
        d.instanceId = *id;
    takeHostname(d, host, "key 'local-hostname' in " + origin);
    for (const char * key : keyNames)
        if (auto keys = metaData.find(key); keys != metaData.end() && !keys->is_null()) {
            d.publicKeysOrigin = std::string("key '") + key + "' in " + origin;
            d.publicKeys = publicKeysFromMetaData(*keys, d.publicKeysOrigin);
            return;
        }
}

} // namespace imprint
