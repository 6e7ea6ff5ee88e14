#include "agent/run.hh"
#include "agent/encoding.hh"
#include "agent/error.hh"
#include "agent/flake-wrapper.hh"
#include "agent/memory-check.hh"
#include "agent/render.hh"
#include "agent/state.hh"
#include "providers/metadata.hh"

#include <climits>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace imprint {

using nlohmann::json;

Detection chooseSource(const Runtime & rt)
{
    if (rt.source)
        return Detection{rt.source->name, "--source " + rt.source->name + (rt.source->location ? ":" + *rt.source->location : "")};
    if (auto d = detectSource(rt.host, rt.config))
        return *d;
    throw NoSourceError("no source identified from local signals (nothing was probed over the network); "
                        "use --source, `sources:` in the configuration or imprint.source= on the kernel command line");
}

Fetched fetchAndNormalize(const Runtime & rt)
{
    Detection det = chooseSource(rt);
    const Provider * provider = findProvider(det.source);
    if (!provider)
        throw UsageError("unknown source '" + det.source + "'");
    std::optional<std::string> endpoint = rt.endpoint;
    if (!endpoint)
        if (auto it = rt.config.endpoints.find(det.source); it != rt.config.endpoints.end())
            endpoint = it->second;
    FetchContext ctx{rt.host, rt.config, rt.source ? rt.source->location : std::nullopt, endpoint, rt.http, &rt.mounter};
    if (provider->needsNetwork() && !rt.http)
        throw Error("source " + det.source + " needs the network, which this build cannot use");
    SourceData data = withContext("while fetching from " + det.source + " (" + det.signal + ")", [&] { return provider->fetch(ctx); });
    Normalized norm = withContext("while reading what " + det.source + " said", [&] { return normalize(data, rt.config, rt.host); });
    for (const auto & part : norm.ignoredParts)
        spdlog::info("user-data {} ignored", part);
    if (!norm.unhandledKeys.empty()) {
        std::string keys;
        for (const auto & k : norm.unhandledKeys)
            keys += (keys.empty() ? "" : ", ") + k;
        spdlog::info("cloud-config keys imprint does not handle: {}", keys);
    }
    return Fetched{std::move(det), std::move(data), std::move(norm)};
}

RenderOptions renderOptionsFor(const Config & config)
{
    return RenderOptions{config.overlayPriority, config.sshUser};
}

json RunReport::toJson() const
{
    return json{{"result", result},           {"source", source},          {"signal", signal},
                {"instance_id", instanceId},  {"new_instance", newInstance}, {"previous_instance_id", previousInstanceId},
                {"plan", plan},               {"reason", reason}};
}

namespace {

bool platformOwnsHostname(const std::string & source)
{
    const Provider * provider = findProvider(source);
    return provider && provider->platformOwnsHostname();
}

bool liveHostnameWanted(const Runtime & rt, const InstanceData & in)
{
    return rt.hostname && in.hostname && !in.preserveHostname && !platformOwnsHostname(in.source);
}

std::string kernelHostname()
{
    char buf[HOST_NAME_MAX + 1] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0)
        return "";
    return buf;
}

void applyLiveHostname(const Runtime & rt, const std::string & name)
{
    if (kernelHostname() == name) {
        spdlog::info("the live host name is already {}", name);
        return;
    }
    try {
        rt.hostname->setHostname(name);
    } catch (const Error & e) {
        spdlog::warn("could not set the live host name: {}; it takes effect with the rebuild", e.what());
    }
    // hostnamed keeps a static name (/etc/hostname, declarative on NixOS until the rebuild) in
    // force over a transient one; the kernel's name is what DHCP and the prompt use right now.
    if (kernelHostname() != name) {
        try {
            KernelHostnameSetter().setHostname(name);
        } catch (const Error & e) {
            spdlog::warn("could not set the live host name: {}; it takes effect with the rebuild", e.what());
        }
    }
}

// Azure marks provisioning failed unless the VM reports Ready to the wireserver.
void reportReadyIfAzure(const Runtime & rt, const std::string & source)
{
    if (source != "azure" || !rt.http || !rt.host.isRealRoot())
        return;
    auto it = rt.config.endpoints.find("azure-wireserver");
    std::string wireserver = it != rt.config.endpoints.end() ? it->second : "http://168.63.129.16";
    try {
        withContext("while reporting Ready to the Azure wireserver " + wireserver, [&] { reportAzureReady(*rt.http, wireserver); });
        spdlog::info("reported Ready to the Azure wireserver");
    } catch (const Error & e) {
        spdlog::error("{}", e.what());
    }
}

} // namespace

namespace {

RunReport runOnce(const Runtime & rt, const RunOptions & opt)
{
    const Config & config = rt.config;
    Fetched f = fetchAndNormalize(rt);
    const InstanceData & in = f.normalized.instance;
    RunReport report;
    report.source = f.detection.source;
    report.signal = f.detection.signal;
    report.instanceId = in.instanceId;

    const std::string overlay = renderOverlay(in, renderOptionsFor(config));
    const std::string sha = sha256Hex(overlay);
    const std::string instanceJson = toJson(in).dump(2) + "\n";

    std::string warning;
    auto previous = loadState(rt.host.path(config.statePath().string()), warning);
    if (!warning.empty())
        spdlog::warn("{}", warning);
    if (previous && !previous->instanceId.empty() && previous->instanceId != in.instanceId) {
        report.newInstance = true;
        report.previousInstanceId = previous->instanceId;
    }

    Committer committer(rt.files, rt.host, config);
    auto onDisk = readFileCapped(committer.overlayPath(), kMetaDataCap);
    const bool wantRebuild = config.rebuild.enable && !opt.noRebuild;
    const std::vector<std::string> argv = rebuildArgv(config.rebuild);
    const bool unchanged = !opt.force && previous && onDisk && *onDisk == overlay &&
                           (wantRebuild ? previous->appliedOverlaySha256 == sha : previous->committedOverlaySha256 == sha);

    report.plan.push_back("source " + f.detection.source + " (" + f.detection.signal + ")");
    report.plan.push_back(report.newInstance ? "instance " + in.instanceId + ": a new instance (was " + report.previousInstanceId + ")"
                                             : "instance " + in.instanceId);
    if (unchanged) {
        report.result = "unchanged";
        report.plan.push_back("overlay " + config.overlayPath + " is already in place: nothing to do");
        if (!opt.dryRun) {
            // /run does not survive a reboot; keep the runtime copy of the instance there.
            auto runtimeCopy = readFileCapped(rt.host.path(config.instanceJsonPath().string()), kMetaDataCap);
            if (!runtimeCopy || *runtimeCopy != instanceJson) {
                rt.files.makeDirs(rt.host.path(config.runDir), 0755);
                atomicWrite(rt.files, rt.host.path(config.instanceJsonPath().string()), instanceJson, 0644);
            }
        }
        spdlog::info("unchanged: the overlay for instance {} is already applied", in.instanceId);
        return report;
    }
    report.plan.push_back(std::string(onDisk ? "replace " : "write ") + config.overlayPath + " (previous kept as " +
                          config.previousOverlayPath().string() + ")");
    if (in.hostname && in.preserveHostname)
        report.plan.push_back("leave the host name alone (preserve_hostname)");
    else if (in.hostname && platformOwnsHostname(in.source))
        report.plan.push_back("the pod's host name belongs to Kubernetes: not set live");
    else if (liveHostnameWanted(rt, in))
        report.plan.push_back("set the live host name to " + *in.hostname + " (" + rt.hostname->describe() + ")");
    else if (in.hostname)
        report.plan.push_back("host name " + *in.hostname + " takes effect with the rebuild");
    report.plan.push_back(wantRebuild ? "rebuild: " + displayArgv(argv) + " (" + rt.rebuilder.describe() + ")"
                                      : std::string("no rebuild (") + (opt.noRebuild ? "--no-rebuild" : "rebuild.enable is false") + ")");
    if (opt.dryRun) {
        report.result = "dry-run";
        return report;
    }

    if (report.newInstance)
        spdlog::info("new instance {} (was {}): a cloned disk or a new machine", in.instanceId, report.previousInstanceId);
    State state = previous.value_or(State{});
    state.version = kStateVersion;
    state.instanceId = in.instanceId;
    state.source = f.detection.source;
    state.committedOverlaySha256 = sha;
    state.result = "committed";
    state.reason = wantRebuild ? "rebuild pending" : (opt.noRebuild ? "rebuild skipped (--no-rebuild)" : "rebuild disabled (rebuild.enable)");
    state.time = rfc3339(rt.clock.wallNow());
    withContext("while committing the overlay", [&] {
        committer.commit(CommitFiles{overlay, instanceJson, f.data.userData, state});
    });

    if (liveHostnameWanted(rt, in))
        applyLiveHostname(rt, *in.hostname);
    reportReadyIfAzure(rt, f.detection.source);

    if (!wantRebuild) {
        state.lastSuccessTime = state.time;
        committer.writeState(state);
        report.result = "committed";
        report.reason = state.reason;
        return report;
    }
    if (auto shortfall = memoryShortfall(rt.host, config.rebuild.minMemoryMb)) {
        // Better a clear word in the journal than the OOM killer half-way through evaluation;
        // the overlay stays committed for a rebuild on a larger instance or by hand.
        spdlog::error("{}", *shortfall);
        state.reason = "rebuild skipped: " + *shortfall;
        committer.writeState(state);
        report.result = "committed";
        report.reason = state.reason;
        return report;
    }
    if (auto line = withContext("while preparing the wrapper flake",
                                [&] { return prepareWrapperFlake(rt.files, rt.host, config, in.hostname); })) {
        spdlog::info("{}", *line);
        report.plan.push_back(*line);
    }
    spdlog::info("rebuilding: {}", displayArgv(argv));
    RebuildOutcome outcome = rt.rebuilder.rebuild(argv);
    state.time = rfc3339(rt.clock.wallNow());
    if (outcome.ok) {
        state.result = "applied";
        state.reason.clear();
        state.appliedOverlaySha256 = sha;
        state.lastSuccessTime = state.time;
        committer.writeState(state);
        report.result = "applied";
        return report;
    }
    committer.restorePrevious();
    auto restored = readFileCapped(committer.overlayPath(), kMetaDataCap);
    state.committedOverlaySha256 = restored ? sha256Hex(*restored) : "";
    state.result = "failed";
    state.reason = "rebuild failed: " + outcome.reason;
    committer.writeState(state);
    throw Error("the rebuild failed (" + outcome.reason + "); the previous overlay was put back");
}

} // namespace

RunReport runImprint(const Runtime & rt, const RunOptions & opt)
{
    std::optional<RunLock> lock;
    if (!opt.dryRun)
        lock.emplace(rt.host.path(rt.config.lockPath().string()), rt.config.lockTimeout, rt.clock);
    RunReport report = runOnce(rt, opt);
    // A local source can change while the rebuild runs (kubelet republishing labels), and a path
    // unit does not fire again for changes made while its service runs: look once more, so a
    // burst of changes still ends in the system matching the latest one.
    for (int pass = 1; pass < 3 && report.result == "applied" && !opt.dryRun; ++pass) {
        const Provider * provider = findProvider(report.source);
        if (!provider || !provider->changesWhileRunning())
            break;
        RunOptions again = opt;
        again.force = false;
        RunReport next = runOnce(rt, again);
        if (next.result == "unchanged")
            break;
        spdlog::info("the source changed during the run; applied again");
        report = next;
    }
    return report;
}

} // namespace imprint
