#include "agent/cli/config.hh"
#include "agent/fetch/documents.hh"
#include "agent/system/error.hh"

#include <functional>
#include <set>

namespace imprint {

using nlohmann::json;

namespace {

// Reads one mapping of the config, remembering which keys were consumed so unknown ones (typos)
// are reported by name instead of being silently ignored.
class Section
{
public:
    Section(const json & node, std::string path, const std::string & origin) : node_(node), path_(std::move(path)), origin_(origin)
    {
        if (!node_.is_null() && !node_.is_object())
            fail(path_.empty() ? "the configuration must be a mapping" : "must be a mapping");
    }

    [[noreturn]] void fail(const std::string & what, const std::string & key = "") const
    {
        std::string full = path_.empty() ? key : (key.empty() ? path_ : path_ + "." + key);
        throw UsageError(origin_ + ": " + (full.empty() ? "" : "key '" + full + "' ") + what);
    }

    const json * get(const std::string & key)
    {
        seen_.insert(key);
        if (node_.is_null() || !node_.contains(key) || node_[key].is_null())
            return nullptr;
        return &node_[key];
    }

    void string(const std::string & key, std::string & out)
    {
        if (auto v = get(key)) {
            auto s = scalarText(*v);
            if (!s) fail("must be a string", key);
            out = *s;
        }
    }
    void optionalString(const std::string & key, std::optional<std::string> & out)
    {
        seen_.insert(key);
        if (!node_.is_null() && node_.contains(key)) {
            if (node_[key].is_null()) { out.reset(); return; }
            std::string s;
            string(key, s);
            out = s;
        }
    }
    void boolean(const std::string & key, bool & out)
    {
        if (auto v = get(key)) {
            auto b = boolValue(*v);
            if (!b) fail("must be true or false", key);
            out = *b;
        }
    }
    template<typename Int>
    void integer(const std::string & key, Int & out, long long min, long long max)
    {
        if (auto v = get(key)) {
            auto s = scalarText(*v);
            long long n = 0;
            std::size_t used = 0;
            try { n = s ? std::stoll(*s, &used) : 0; } catch (...) { s.reset(); }
            if (!s || used != s->size()) fail("must be a whole number", key);
            if (n < min || n > max) fail("must be between " + std::to_string(min) + " and " + std::to_string(max), key);
            out = static_cast<Int>(n);
        }
    }
    void millis(const std::string & key, std::chrono::milliseconds & out, long long max = 3'600'000)
    {
        long long n = out.count();
        integer(key, n, 0, max);
        out = std::chrono::milliseconds(n);
    }
    void stringList(const std::string & key, std::vector<std::string> & out)
    {
        if (auto v = get(key)) {
            if (!v->is_array()) fail("must be a list of strings", key);
            out.clear();
            for (const auto & item : *v) {
                auto s = scalarText(item);
                if (!s) fail("must be a list of strings", key);
                out.push_back(*s);
            }
        }
    }
    void stringMap(const std::string & key, std::map<std::string, std::string> & out)
    {
        if (auto v = get(key)) {
            if (!v->is_object()) fail("must be a mapping of strings", key);
            for (const auto & [k, item] : v->items()) {
                auto s = scalarText(item);
                if (!s) fail("must be a mapping of strings", key + "." + k);
                out[k] = *s;
            }
        }
    }
    Section sub(const std::string & key)
    {
        static const json empty;
        auto v = get(key);
        return Section(v ? *v : empty, path_.empty() ? key : path_ + "." + key, origin_);
    }
    void finish() const
    {
        if (!node_.is_object())
            return;
        for (const auto & [key, value] : node_.items())
            if (!seen_.count(key))
                fail("is not a known setting", key);
    }

private:
    const json & node_;
    std::string path_;
    const std::string & origin_;
    std::set<std::string> seen_;
};

void parseHttp(Section s, HttpConfig & http)
{
    s.millis("connect_timeout_ms", http.connectTimeout);
    s.millis("request_timeout_ms", http.requestTimeout);
    s.millis("deadline_ms", http.deadline);
    s.integer("retries", http.retries, 0, 100);
    s.millis("backoff_initial_ms", http.backoffInitial);
    s.millis("backoff_max_ms", http.backoffMax);
    s.integer("max_body_bytes", http.maxBodyBytes, 1024, 256LL * 1024 * 1024);
    s.finish();
}

void parseRebuild(Section s, RebuildConfig & r)
{
    static const std::set<std::string> actions = {"switch", "boot", "test", "dry-activate", "build"};
    s.boolean("enable", r.enable);
    s.stringList("command", r.command);
    if (r.command.empty())
        s.fail("must name a program", "command");
    s.string("action", r.action);
    if (!actions.count(r.action))
        s.fail("must be one of switch, boot, test, dry-activate, build", "action");
    s.optionalString("flake", r.flake);
    s.optionalString("attribute", r.attribute);
    if (r.flake && !r.attribute)
        s.fail("is required with rebuild.flake: name nixosConfigurations.<attribute> explicitly, because the host name is about to change", "attribute");
    s.boolean("offline", r.offline);
    s.stringList("extra_args", r.extraArgs);
    s.optionalString("base", r.base);
    if (r.base && !r.flake)
        s.fail("needs rebuild.flake: the wrapper flake's directory (path:<directory of overlay.path>)", "base");
    s.integer("min_memory_mb", r.minMemoryMb, 0, 1024 * 1024);
    s.millis("timeout_ms", r.timeout, 86'400'000);
    if (r.timeout.count() == 0)
        s.fail("must be at least 1 (the wait for the rebuild is always bounded)", "timeout_ms");
    s.finish();
}

void parseKubernetes(Section s, KubernetesConfig & k)
{
    s.string("podinfo_dir", k.podinfoDir);
    s.optionalString("hostname_annotation", k.hostnameAnnotation);
    s.optionalString("domain_annotation", k.domainAnnotation);
    s.stringList("facts_allow", k.factsAllow);
    s.stringList("facts_deny", k.factsDeny);
    s.millis("settle_ms", k.settle, 60'000);
    s.stringMap("env", k.env);
    s.finish();
}

} // namespace

Config parseConfig(const std::string & yamlText, const std::string & origin)
{
    json doc;
    try {
        doc = parseYaml(yamlText, origin);
    } catch (const UsageError &) {
        throw;
    } catch (const Error & e) {
        throw UsageError(e.what());
    }
    Config c;
    c.origin = origin;
    Section top(doc, "", origin);
    {
        Section overlay = top.sub("overlay");
        overlay.string("path", c.overlayPath);
        overlay.integer("priority", c.overlayPriority, 0, 1500);
        // 9999 is what nixpkgs reports for an option with no definition at all.
        overlay.integer("file_systems_priority", c.overlayFileSystemsPriority, 0, 9999);
        overlay.integer("root_file_system_priority", c.overlayRootFileSystemPriority, 0, 9999);
        overlay.finish();
    }
    top.string("state_dir", c.stateDir);
    top.string("run_dir", c.runDir);
    top.string("ssh_user", c.sshUser);
    top.boolean("preserve_hostname", c.preserveHostname);
    top.millis("lock_timeout_ms", c.lockTimeout);
    top.optionalString("root_device", c.rootDevice);
    top.optionalString("root_fs_type", c.rootFsType);
    top.stringList("sources", c.sources);
    top.stringMap("endpoints", c.endpoints);
    {
        Section nocloud = top.sub("nocloud");
        nocloud.stringList("seed_dirs", c.nocloudSeedDirs);
        nocloud.finish();
    }
    {
        Section ec2 = top.sub("ec2");
        ec2.boolean("allow_imdsv1", c.ec2AllowImdsV1);
        ec2.boolean("ipv6", c.ec2UseIpv6);
        ec2.finish();
    }
    {
        Section vmware = top.sub("vmware");
        vmware.optionalString("rpctool", c.vmwareRpctool);
        vmware.finish();
    }
    if (c.vmwareRpctool && !c.vmwareRpctool->starts_with("/"))
        throw UsageError(origin + ": key 'vmware.rpctool': an absolute path, not '" + *c.vmwareRpctool + "'");
    for (auto [name, flag] : {std::pair{"scaleway", &c.scalewayUseIpv6}, std::pair{"akamai", &c.akamaiUseIpv6}}) {
        Section platform = top.sub(name);
        platform.boolean("ipv6", *flag);
        platform.finish();
    }
    parseHttp(top.sub("http"), c.http);
    parseRebuild(top.sub("rebuild"), c.rebuild);
    parseKubernetes(top.sub("kubernetes"), c.kubernetes);
    top.finish();

    for (const std::string * p : {&c.overlayPath, &c.stateDir, &c.runDir})
        if (p->empty() || p->front() != '/')
            throw UsageError(origin + ": paths must be absolute ('" + *p + "')");
    return c;
}

} // namespace imprint
