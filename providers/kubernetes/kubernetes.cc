// The Kubernetes downward API: a downwardAPI volume (default /etc/podinfo) with `name`,
// `namespace`, `uid`, `labels`, `annotations` and any other single-item files, plus environment
// variables for what only env can carry (node name, pod IP, host IP, service account).
//
// Detection (local only, and it must not misfire):
//  1. the volume directory holds `..data` (kubelet's atomic-writer layout) or a `uid` file;
//  2. otherwise, on the real root only, KUBERNETES_SERVICE_HOST is set: kubelet puts it into
//     every container, and nothing else does. A pod without a downward-API volume is still
//     claimed, on purpose: falling through to the metadata-server sources would let a pod take
//     the identity of the node it runs on (EC2/GCE metadata is often reachable from pods). Its
//     fetch then fails with an error that says which volume to add.
// With --root, the process environment is not the fake machine's, so rule 2 does not apply.

#include "providers/kubernetes/kubernetes.hh"

#include "agent/fetch/documents.hh"
#include "agent/fetch/encoding.hh"
#include "agent/system/error.hh"
#include "providers/kubernetes/kubelet-format.hh"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

namespace imprint {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMapFileCap = 4 * 1024 * 1024;    // labels/annotations: 256 KiB of values, %q-escaped
constexpr std::size_t kItemFileCap = 64 * 1024;         // name, uid, resource limits...
constexpr std::size_t kTotalCap = 16 * 1024 * 1024;
constexpr std::size_t kMaxFiles = 256;
constexpr int kMaxDepth = 8;
constexpr int kMaxAttempts = 5;

// Thrown when the resolved version directory vanished under us: kubelet swapped `..data` and
// removed the old directory. The caller resolves again.
struct VersionGone {};

std::optional<std::string> readLink(const fs::path & link)
{
    std::vector<char> buf(4096);
    ssize_t n = ::readlink(link.c_str(), buf.data(), buf.size());
    if (n < 0) {
        if (errno == ENOENT || errno == EINVAL)  // missing, or not a symlink
            return std::nullopt;
        throw Error("cannot read the link " + link.string() + ": " + std::strerror(errno));
    }
    return std::string(buf.data(), static_cast<std::size_t>(n));
}

// Reads every regular file under `base/rel` into `files`. In a version directory (`versioned`),
// anything vanishing means the version was removed; symlinks there are refused (kubelet never
// makes any). In a plain directory, the top-level `..*` entries are kubelet's and skipped.
void readTree(const fs::path & base, const std::string & rel, bool versioned, int depth,
              std::map<std::string, std::string> & files, std::size_t & total, const PodInfoHooks & hooks)
{
    if (depth > kMaxDepth)
        throw Error((base / rel).string() + ": directories nested deeper than " + std::to_string(kMaxDepth));
    fs::path dir = rel.empty() ? base : base / rel;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
        if (versioned && ec == std::errc::no_such_file_or_directory)
            throw VersionGone{};
        throw Error("cannot list " + dir.string() + ": " + ec.message());
    }
    std::vector<std::string> names;
    for (fs::directory_iterator end; it != end; it.increment(ec)) {
        if (ec)
            break;
        names.push_back(it->path().filename().string());
    }
    if (ec) {
        if (versioned && ec == std::errc::no_such_file_or_directory)
            throw VersionGone{};
        throw Error("cannot list " + dir.string() + ": " + ec.message());
    }
    std::sort(names.begin(), names.end());
    for (const auto & name : names) {
        if (name.rfind("..", 0) == 0)
            continue;  // ..data, ..2026_..., ..data_tmp: kubelet's bookkeeping
        std::string relName = rel.empty() ? name : rel + "/" + name;
        fs::path p = base / relName;
        auto st = versioned ? fs::symlink_status(p, ec) : fs::status(p, ec);
        if (ec) {
            if (ec == std::errc::no_such_file_or_directory) {
                if (versioned)
                    throw VersionGone{};
                continue;  // a dangling link in a plain directory: nothing to read
            }
            throw Error("cannot stat " + p.string() + ": " + ec.message());
        }
        if (fs::is_directory(st)) {
            readTree(base, relName, versioned, depth + 1, files, total, hooks);
            continue;
        }
        if (!fs::is_regular_file(st))
            throw Error(p.string() + " is neither a regular file nor a directory");
        if (files.size() >= kMaxFiles)
            throw Error(base.string() + " holds more than " + std::to_string(kMaxFiles) + " files");
        bool isMap = relName == "labels" || relName == "annotations";
        // Read inside `base`: kubelet's links (labels -> ..data/labels) stay in the volume, and a
        // link that would leave it does not.
        auto data = Host(base).readFile(relName, isMap ? kMapFileCap : kItemFileCap);
        if (!data) {
            if (versioned)
                throw VersionGone{};
            continue;
        }
        total += data->size();
        if (total > kTotalCap)
            throw Error(base.string() + " holds more than " + std::to_string(kTotalCap) + " bytes");
        files.emplace(relName, std::move(*data));
        if (hooks.afterFile)
            hooks.afterFile(relName);
    }
}

bool globMatch(const std::string & pattern, std::string_view key, bool caseless)
{
    std::string k(key);
    return ::fnmatch(pattern.c_str(), k.c_str(), caseless ? FNM_CASEFOLD : 0) == 0;
}

// A fact value must be a Nix string and a JSON string: valid UTF-8 without NUL.
bool usableFactValue(const std::string & v)
{
    return v.find('\0') == std::string::npos && isValidUtf8(v);
}

class KubernetesProvider : public Provider
{
public:
    explicit KubernetesProvider(EnvLookup env) : env_(std::move(env)) {}

    std::string name() const override { return "kubernetes"; }
    bool changesWhileRunning() const override { return true; }
    bool platformOwnsHostname() const override { return true; }

    std::optional<std::string> detect(const Host & host, const Config & config) const override
    {
        const std::string & dir = config.kubernetes.podinfoDir;
        std::error_code ec;
        if (fs::is_symlink(fs::symlink_status(host.path(dir + "/..data"), ec)))
            return "downward-API volume at " + dir + " (..data)";
        if (host.exists(dir + "/uid"))
            return "downward-API files at " + dir + " (uid)";
        if (host.isRealRoot() && env_("KUBERNETES_SERVICE_HOST"))
            return "KUBERNETES_SERVICE_HOST is set (a pod); no downward-API volume at " + dir;
        return std::nullopt;
    }

    SourceData fetch(const FetchContext & ctx) const override
    {
        const auto & kc = ctx.config.kubernetes;
        fs::path dir = ctx.location ? fs::path(*ctx.location) : ctx.host.path(kc.podinfoDir);
        std::error_code ec;
        if (!fs::is_directory(dir, ec))
            throw Error("no downward-API volume at " + dir.string() +
                        ": mount a downwardAPI volume there with the items uid (fieldRef metadata.uid), "
                        "name, namespace, labels and annotations (kubernetes.podinfo_dir moves it)");
        waitForSettledVolume(dir, kc.settle, systemClock());
        PodInfo info = withContext("while reading the downward-API volume " + dir.string(),
                                   [&] { return readPodInfo(dir); });
        std::string where = dir.string() + (info.version ? "/" + *info.version : "");
        auto origin = [&](const std::string & file) { return where + "/" + file; };
        auto item = [&](const std::string & file) -> std::optional<std::string> {
            auto it = info.files.find(file);
            if (it == info.files.end())
                return std::nullopt;
            auto v = trim(it->second);
            return v.empty() ? std::nullopt : std::optional(v);
        };

        SourceData d;
        d.source = name();
        d.origin = dir.string();

        auto uid = item("uid");
        if (!uid)
            throw Error(origin("uid") + " is missing or empty: the downwardAPI volume needs an item "
                        "'uid' with fieldRef metadata.uid (the pod uid is the instance id)");
        d.instanceId = *uid;

        std::map<std::string, std::string> labels, annotations;
        if (auto it = info.files.find("labels"); it != info.files.end())
            labels = parseKubeletMap(it->second, origin("labels"));
        if (auto it = info.files.find("annotations"); it != info.files.end())
            annotations = parseKubeletMap(it->second, origin("annotations"));

        setHostname(d, kc, annotations, item("name"), origin);

        auto & platform = d.facts["platform"];
        platform["pod_uid"] = *uid;
        if (auto v = item("name"))
            platform["pod_name"] = *v;
        if (auto v = item("namespace"))
            platform["namespace"] = *v;
        for (const auto & [fact, variable] : kc.env)
            if (auto v = env_(variable); v && !v->empty())
                addFact(platform, "platform", fact, *v);
        for (const auto & [key, value] : labels)
            addFact(d.facts["labels"], "labels", key, value);
        for (const auto & [key, value] : annotations)
            if (annotationIsFact(kc, key))
                addFact(d.facts["annotations"], "annotations", key, value);
        // Other single-item files: the pod's own fields the volume's author chose to publish
        // (resource limits, labels['x']); the deny-list still applies to their names.
        for (const auto & [file, value] : info.files) {
            if (file == "uid" || file == "name" || file == "namespace" || file == "labels" || file == "annotations")
                continue;
            if (!factKeyDenied(kc, file))
                addFact(d.facts["podinfo"], "podinfo", file, trim(value));
        }
        for (auto it = d.facts.begin(); it != d.facts.end();)
            it = it->second.empty() ? d.facts.erase(it) : std::next(it);
        return d;
    }

private:
    static void addFact(std::map<std::string, std::string> & into, const std::string & category,
                        const std::string & key, const std::string & value)
    {
        if (!usableFactValue(key) || !usableFactValue(value)) {
            // Go's %q can carry NUL and invalid UTF-8 (\x00, \xff); neither fits a Nix string.
            spdlog::warn("kubernetes: {} entry skipped: its name or value has a NUL byte or invalid UTF-8", category);
            return;
        }
        into[key] = value;
    }

    static void setHostname(SourceData & d, const KubernetesConfig & kc,
                            const std::map<std::string, std::string> & annotations,
                            const std::optional<std::string> & podName,
                            const std::function<std::string(const std::string &)> & origin)
    {
        std::optional<std::string> host;
        if (kc.hostnameAnnotation)
            if (auto it = annotations.find(*kc.hostnameAnnotation); it != annotations.end() && !trim(it->second).empty()) {
                // Taken as written: a bad value is the user's to fix, and normalize says so.
                host = trim(it->second);
                d.localHostnameOrigin = "annotation '" + *kc.hostnameAnnotation + "' in " + origin("annotations");
            }
        if (!host && podName) {
            host = podNameToHostLabel(*podName);
            if (!host)
                throw Error("the pod name in " + origin("name") + " leaves no character for a host name");
            d.localHostnameOrigin = "the pod name in " + origin("name") + " (made a DNS label)";
        }
        if (!host)
            throw Error("no host name for this pod: neither annotation '" + kc.hostnameAnnotation.value_or("") +
                        "' in " + origin("annotations") + " nor the file " + origin("name") +
                        " (add an item 'name' with fieldRef metadata.name to the downwardAPI volume)");
        if (kc.domainAnnotation && host->find('.') == std::string::npos)
            if (auto it = annotations.find(*kc.domainAnnotation); it != annotations.end() && !trim(it->second).empty()) {
                *host += "." + trim(it->second);
                d.localHostnameOrigin += " with the domain from annotation '" + *kc.domainAnnotation + "'";
            }
        d.localHostname = host;
    }

    EnvLookup env_;
};

} // namespace

void waitForSettledVolume(const fs::path & dir, std::chrono::milliseconds settle, Clock & clock)
{
    using namespace std::chrono;
    if (settle.count() <= 0)
        return;
    const auto deadline = clock.now() + settle * 10;
    fs::path link = dir / "..data";
    for (;;) {
        struct stat st{};
        if (::lstat(link.c_str(), &st) != 0)
            return;  // no kubelet layout: nothing swaps
        auto changed = system_clock::time_point(duration_cast<system_clock::duration>(
            seconds(st.st_mtim.tv_sec) + nanoseconds(st.st_mtim.tv_nsec)));
        auto age = duration_cast<milliseconds>(clock.wallNow() - changed);
        if (age >= settle)
            return;
        auto remaining = duration_cast<milliseconds>(deadline - clock.now());
        if (remaining.count() <= 0) {
            spdlog::warn("kubernetes: {} keeps changing; reading it without waiting longer", link.string());
            return;
        }
        // A negative age (the clock went back) waits one full settle period.
        auto wait = age.count() < 0 ? settle : settle - age;
        spdlog::debug("kubernetes: {} changed {} ms ago; waiting {} ms for it to settle", link.string(), age.count(), wait.count());
        clock.sleepFor(std::min(wait, remaining));
    }
}

PodInfo readPodInfo(const fs::path & dir, const PodInfoHooks & hooks)
{
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
        PodInfo info;
        info.dir = dir;
        fs::path base = dir;
        info.version = readLink(dir / "..data");
        if (info.version) {
            const std::string & t = *info.version;
            if (t.empty() || t == "." || t == ".." || t.find('/') != std::string::npos)
                throw Error((dir / "..data").string() + " points outside the volume");
            base = dir / t;
            if (hooks.afterResolve)
                hooks.afterResolve(base);
        }
        std::size_t total = 0;
        try {
            readTree(base, "", info.version.has_value(), 0, info.files, total, hooks);
            // kubelet only removes a version once `..data` points elsewhere, and it empties
            // directories before removing them: a listing of a version being removed can come back
            // short without any error. A version still current after the read was read whole;
            // otherwise read the new one.
            if (!info.version || readLink(dir / "..data") == info.version)
                return info;
        } catch (const VersionGone &) {
            auto now = readLink(dir / "..data");
            if (now == info.version)
                throw Error((dir / "..data").string() + " points to " + *info.version +
                            ", which is missing or incomplete");
            // kubelet swapped `..data` while we read: start over from the new version.
        }
    }
    throw Error((dir / "..data").string() + " changed " + std::to_string(kMaxAttempts) +
                " times while it was being read");
}

std::optional<std::string> podNameToHostLabel(std::string_view podName)
{
    std::string s;
    for (char c : podName) {
        char l = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
        bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '-';
        s += ok ? l : '-';
    }
    auto first = s.find_first_not_of('-');
    if (first == std::string::npos)
        return std::nullopt;
    s = s.substr(first, s.find_last_not_of('-') - first + 1);
    if (s.size() <= 63)
        return s;
    std::string head = s.substr(0, 54);
    head.erase(head.find_last_not_of('-') + 1);
    return head + "-" + sha256Hex(podName).substr(0, 8);
}

bool factKeyDenied(const KubernetesConfig & config, std::string_view key)
{
    for (const auto & pattern : config.factsDeny)
        if (globMatch(pattern, key, true))
            return true;
    return false;
}

bool annotationIsFact(const KubernetesConfig & config, std::string_view key)
{
    if (factKeyDenied(config, key))
        return false;
    for (const auto & pattern : config.factsAllow)
        if (globMatch(pattern, key, false))
            return true;
    return false;
}

std::unique_ptr<Provider> makeKubernetesProvider(EnvLookup env)
{
    return std::make_unique<KubernetesProvider>(std::move(env));
}

std::unique_ptr<Provider> makeKubernetesProvider()
{
    return makeKubernetesProvider(processEnv);
}

} // namespace imprint
