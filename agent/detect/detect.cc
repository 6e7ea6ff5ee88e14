#include "agent/detect/detect.hh"
#include "agent/system/credentials.hh"
#include "agent/system/error.hh"

namespace imprint {

std::vector<std::string> knownSources()
{
    std::vector<std::string> names;
    for (const auto & p : allProviders())
        names.push_back(p->name());
    return names;
}

SourceSpec parseSourceSpec(const std::string & spec)
{
    SourceSpec s{nullptr, std::nullopt, spec};
    auto colon = spec.find(':');
    std::string name = spec.substr(0, colon);
    if (colon != std::string::npos) {
        s.location = spec.substr(colon + 1);
        if (s.location->empty())
            throw UsageError("--source " + spec + ": the directory after ':' is empty");
    }
    s.provider = findProvider(name);
    if (!s.provider) {
        std::string known;
        for (const auto & n : knownSources())
            known += (known.empty() ? "" : ", ") + n;
        throw UsageError("unknown source '" + name + "' (known: " + known + ")");
    }
    return s;
}

std::vector<std::string> kernelCommandLine(const Host & host)
{
    std::vector<std::string> words;
    auto text = host.readFile("/proc/cmdline", kSmallFileCap);
    if (!text)
        return words;
    std::string word;
    bool quoted = false, inWord = false;
    for (char c : *text) {
        if (c == '"') {
            quoted = !quoted;
            inWord = true;
            continue;
        }
        if (!quoted && (c == ' ' || c == '\n' || c == '\t')) {
            if (inWord)
                words.push_back(word);
            word.clear();
            inWord = false;
            continue;
        }
        word += c;
        inWord = true;
    }
    if (inWord)
        words.push_back(word);
    return words;
}

std::optional<std::string> kernelParameter(const Host & host, const std::string & key)
{
    std::optional<std::string> value;
    for (const auto & w : kernelCommandLine(host))
        if (w.rfind(key + "=", 0) == 0)
            value = w.substr(key.size() + 1);
    return value;
}

std::optional<Detection> detectSource(const Host & host, const Config & config)
{
    if (auto forced = kernelParameter(host, "imprint.source")) {
        SourceSpec spec = withContext("in imprint.source= on the kernel command line", [&] { return parseSourceSpec(*forced); });
        return Detection{spec.provider, "kernel command line imprint.source=" + *forced};
    }
    // The same choice as a systemd credential (SMBIOS, fw_cfg, a container manager), for a
    // machine whose kernel command line the administrator does not write.
    if (auto forced = readCredential(host, processEnv, "imprint.source")) {
        std::string name = trim(forced->value);
        SourceSpec spec = withContext("in the " + forced->origin, [&] { return parseSourceSpec(name); });
        return Detection{spec.provider, forced->origin + " says " + name};
    }
    if (config.sources.size() == 1) {
        SourceSpec spec = withContext("in 'sources' of " + config.origin, [&] { return parseSourceSpec(config.sources[0]); });
        return Detection{spec.provider, "configuration 'sources' names only " + spec.provider->name()};
    }
    std::vector<const Provider *> order;
    // systemd-imds's locked mode (systemd >= 261) lets only systemd-imdsd reach the metadata
    // server; what it imported is in the credentials, so they come first.
    if (config.sources.empty() && kernelParameter(host, "systemd.imds.network") == "locked")
        if (const Provider * credentials = findProvider("credentials"))
            if (auto signal = credentials->detect(host, config))
                return Detection{credentials, *signal + ", with systemd.imds.network=locked"};
    if (config.sources.empty()) {
        for (const auto & p : allProviders())
            order.push_back(p.get());
    } else {
        for (const auto & name : config.sources) {
            auto p = findProvider(name);
            if (!p)
                throw UsageError(config.origin + ": key 'sources': unknown source '" + name + "'");
            order.push_back(p);
        }
    }
    for (const auto * p : order)
        if (auto signal = p->detect(host, config))
            return Detection{p, *signal};
    return std::nullopt;
}

} // namespace imprint
