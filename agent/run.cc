#include "agent/run.hh"
#include "agent/detect/block-devices.hh"
#include "agent/fetch/documents.hh"
#include "agent/report/log.hh"
#include "agent/fetch/encoding.hh"
#include "agent/system/error.hh"
#include "agent/render/flake-wrapper.hh"
#include "agent/system/http.hh"
#include "agent/apply/memory-check.hh"
#include "agent/render/render.hh"
#include "agent/commit/state.hh"
#include "providers/provider.hh"

#include <climits>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace imprint {

using nlohmann::json;

Detection chooseSource(const Runtime & rt)
{
    if (rt.source)
        return Detection{rt.source->provider, "--source " + rt.source->text};
    if (auto waited = waitForBlockDevicesProbed(rt.host, rt.clock, kBlockDeviceProbeTimeout))
        spdlog::info("{}", *waited);
    if (auto d = detectSource(rt.host, rt.config))
        return *d;
    throw NoSourceError("no source identified from local signals (nothing was probed over the network); "
                        "use --source, `sources:` in the configuration or imprint.source= on the kernel command line");
}

Fetched fetchAndNormalize(const Runtime & rt)
{
    Detection det = chooseSource(rt);
    const Provider & provider = *det.provider;
    const std::string source = provider.name();
    std::optional<std::string> endpoint = rt.endpoint;
    if (!endpoint)
        if (auto it = rt.config.endpoints.find(source); it != rt.config.endpoints.end())
            endpoint = it->second;
    FetchContext ctx{rt.host, rt.config, rt.source ? rt.source->location : std::nullopt, endpoint, rt.http, &rt.mounter, &rt.clock};
    if (provider.needsNetwork() && !rt.http)
        throw Error("source " + source + " needs the network, which this build cannot use");
    SourceData data = withContext("while fetching from " + source + " (" + det.signal + ")", [&] { return provider.fetch(ctx); });
    for (const auto & warning : data.warnings)
        spdlog::warn("{}: {}", source, warning);
    Normalized norm = withContext("while reading what " + source + " said", [&] { return normalize(data, rt.config, gatherMachineFacts(rt.host)); });
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
    return RenderOptions{config.overlayPriority, config.sshUser, config.overlayFileSystemsPriority,
                         config.overlayRootFileSystemPriority};
}

const char * resultName(RunResult result)
{
    switch (result) {
    case RunResult::Applied: return "applied";
    case RunResult::Committed: return "committed";
    case RunResult::Unchanged: return "unchanged";
    case RunResult::DryRun: return "dry-run";
    }
    return "unknown";
}

json RunReport::toJson() const
{
    return json{{"result", resultName(result)},           {"source", source},          {"signal", signal},
                {"instance_id", instanceId},  {"new_instance", newInstance}, {"previous_instance_id", previousInstanceId},
                {"plan", plan},               {"reason", reason}};
}

namespace {

bool liveHostnameWanted(const Runtime & rt, const Provider & provider, const InstanceData & in)
{
    return rt.hostname && in.hostname && !in.preserveHostname && !provider.platformOwnsHostname();
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

// apply, the platform's part: the step the provider that produced the data takes once the
// overlay is committed (Azure's Ready report). Its failure is logged, not fatal: the overlay is
// committed and the rebuild still worth doing.
void runProviderAfterCommit(const Runtime & rt, const Provider & provider)
{
    // Its own deadline (http.deadline_ms), not what the fetch left of it.
    std::unique_ptr<HttpClient> http = rt.http ? rt.http->withOwnDeadline() : nullptr;
    try {
        if (auto line = provider.afterCommit(AfterCommitContext{rt.host, rt.config, http.get()}))
            spdlog::info("{}", *line);
    } catch (const Error & e) {
        spdlog::error("{}", e.what());
    }
}

// Everything decided before anything is written: the rendered overlay, what the last run left,
// and whether this run has anything to do.
struct Plan
{
    std::string overlay;
    std::string sha;
    std::string instanceJson;
    std::optional<State> previous;
    bool overlayOnDisk = false;
    bool wantRebuild = false;
    std::vector<std::string> argv;
    bool unchanged = false;
};

// render, and compare with the overlay on disk and the state of the last run.
Plan makePlan(const Runtime & rt, const RunOptions & opt, const InstanceData & in, const Committer & committer)
{
    const Config & config = rt.config;
    Plan p;
    p.overlay = renderOverlay(in, renderOptionsFor(config));
    p.sha = sha256Hex(p.overlay);
    p.instanceJson = toJson(in).dump(2) + "\n";
    std::string warning;
    p.previous = loadState(rt.disk, rt.host.path(config.statePath().string()), warning);
    if (!warning.empty())
        spdlog::warn("{}", warning);
    auto onDisk = rt.disk.readFile(committer.overlayPath(), kMetaDataCap);
    p.overlayOnDisk = onDisk.has_value();
    p.wantRebuild = config.rebuild.enable && !opt.noRebuild;
    p.argv = rebuildArgv(config.rebuild);
    p.unchanged = !opt.force && p.previous && onDisk && *onDisk == p.overlay &&
                  (p.wantRebuild ? p.previous->appliedOverlaySha256 == p.sha : p.previous->committedOverlaySha256 == p.sha);
    return p;
}

RunReport startReport(const Fetched & f, const Plan & p)
{
    const InstanceData & in = f.normalized.instance;
    RunReport report;
    report.provider = f.detection.provider;
    report.source = f.detection.provider->name();
    report.signal = f.detection.signal;
    report.instanceId = in.instanceId;
    if (p.previous && !p.previous->instanceId.empty() && p.previous->instanceId != in.instanceId) {
        report.newInstance = true;
        report.previousInstanceId = p.previous->instanceId;
    }
    report.plan.push_back("source " + report.source + " (" + f.detection.signal + ")");
    report.plan.push_back(report.newInstance ? "instance " + in.instanceId + ": a new instance (was " + report.previousInstanceId + ")"
                                             : "instance " + in.instanceId);
    return report;
}

// Nothing to do but keep the runtime copy of the instance, which /run loses at every reboot.
RunReport reportUnchanged(const Runtime & rt, const RunOptions & opt, const InstanceData & in, const Plan & p, RunReport report)
{
    const Config & config = rt.config;
    report.result = RunResult::Unchanged;
    report.plan.push_back("overlay " + config.overlayPath + " is already in place: nothing to do");
    if (!opt.dryRun) {
        auto runtimeCopy = rt.disk.readFile(rt.host.path(config.instanceJsonPath().string()), kMetaDataCap);
        if (!runtimeCopy || *runtimeCopy != p.instanceJson) {
            rt.disk.makeDirs(rt.host.path(config.runDir), 0755);
            atomicWrite(rt.disk, rt.host.path(config.instanceJsonPath().string()), p.instanceJson, 0644);
        }
    }
    spdlog::info("unchanged: the overlay for instance {} is already applied", in.instanceId);
    return report;
}

// The plan lines of a run that changes something: what is written, the host name, the rebuild.
void describeChanges(const Runtime & rt, const RunOptions & opt, const InstanceData & in, const Plan & p, RunReport & report)
{
    const Config & config = rt.config;
    report.plan.push_back(std::string(p.overlayOnDisk ? "replace " : "write ") + config.overlayPath + " (previous kept as " +
                          config.previousOverlayPath().string() + ")");
    if (in.hostname && in.preserveHostname)
        report.plan.push_back("leave the host name alone (preserve_hostname)");
    else if (in.hostname && report.provider->platformOwnsHostname())
        report.plan.push_back("the pod's host name belongs to Kubernetes: not set live");
    else if (liveHostnameWanted(rt, *report.provider, in))
        report.plan.push_back("set the live host name to " + *in.hostname + " (" + rt.hostname->describe() + ")");
    else if (in.hostname)
        report.plan.push_back("host name " + *in.hostname + " takes effect with the rebuild");
    report.plan.push_back(p.wantRebuild ? "rebuild: " + displayArgv(p.argv) + " (" + rt.rebuilder.describe() + ")"
                                        : std::string("no rebuild (") + (opt.noRebuild ? "--no-rebuild" : "rebuild.enable is false") + ")");
}

// commit: overlay, instance JSON and raw user-data, with a state that says what comes next.
State commitOverlay(const Runtime & rt, const RunOptions & opt, const Fetched & f, const Plan & p, Committer & committer)
{
    const InstanceData & in = f.normalized.instance;
    State state = p.previous.value_or(State{});
    state.version = kStateVersion;
    state.instanceId = in.instanceId;
    state.source = f.detection.provider->name();
    state.committedOverlaySha256 = p.sha;
    state.result = "committed";
    state.reason = p.wantRebuild ? "rebuild pending" : (opt.noRebuild ? "rebuild skipped (--no-rebuild)" : "rebuild disabled (rebuild.enable)");
    state.time = rfc3339(rt.clock.wallNow());
    withContext("while committing the overlay", [&] {
        committer.commit(CommitFiles{p.overlay, p.instanceJson, f.data.userData, state});
    });
    return state;
}

// The run ends with the overlay committed and no rebuild; the state says why.
RunReport endCommitted(Committer & committer, const State & state, RunReport report)
{
    committer.writeState(state);
    report.result = RunResult::Committed;
    report.reason = state.reason;
    return report;
}

// What the rebuilt system did not take from the overlay: the module writes the overlay's own
// "imprint: ..." warnings to /etc/imprint/not-applied.json of the system it builds. Read from the
// system the rebuild made current (`boot` makes it the next boot's), each said in the journal.
std::vector<std::string> notAppliedInBuiltSystem(const Runtime & rt, const std::string & source, const std::string & instanceId)
{
    const std::string & action = rt.config.rebuild.action;
    std::string system = action == "boot" ? "/nix/var/nix/profiles/system" : "/run/current-system";
    if (action != "switch" && action != "test" && action != "boot")
        return {};
    std::vector<std::string> lost;
    try {
        auto text = rt.host.readFile(system + "/etc/imprint/not-applied.json", kMetaDataCap);
        if (!text)
            return {};  // a system built without imprint's module
        json list = parseJson(*text, rt.host.path(system + "/etc/imprint/not-applied.json").string());
        for (const auto & item : list)
            if (item.is_string())
                lost.push_back(item.get<std::string>());
    } catch (const Error & e) {
        spdlog::warn("cannot tell what the rebuilt system did not take from the overlay: {}", e.what());
        return {};
    }
    for (const auto & sentence : lost)
        logEvent(LogEvent::NotApplied, source, instanceId, sentence);
    return lost;
}

// One rule after a failed rebuild: the running system matches the committed overlay. The previous
// overlay is back, so the live host name goes back to what it was before this run set it.
// Returns whether it was put back.
bool restoreLiveHostname(const Runtime & rt, const Provider & provider, const InstanceData & in, const std::string & nameBefore)
{
    if (!liveHostnameWanted(rt, provider, in) || nameBefore.empty() || nameBefore == *in.hostname)
        return false;
    spdlog::info("putting the live host name back to {}, as the restored overlay has it", nameBefore);
    applyLiveHostname(rt, nameBefore);
    return true;
}

// apply, the rebuild: run it, record the outcome, and put the previous overlay (and the live host
// name) back on failure. `nameBefore` is the live host name before this run.
RunReport rebuild(const Runtime & rt, const InstanceData & in, const Plan & p, Committer & committer, State state, RunReport report,
                  const std::string & nameBefore)
{
    if (auto shortfall = memoryShortfall(rt.host, rt.config.rebuild.minMemoryMb)) {
        // Better a clear word in the journal than the OOM killer half-way through evaluation;
        // the overlay stays committed for a rebuild on a larger instance or by hand.
        spdlog::error("{}", *shortfall);
        state.reason = "rebuild skipped: " + *shortfall;
        return endCommitted(committer, state, std::move(report));
    }
    if (auto line = withContext("while preparing the wrapper flake",
                                [&] { return prepareWrapperFlake(rt.disk, rt.host, rt.config, in.hostname); })) {
        spdlog::info("{}", *line);
        report.plan.push_back(*line);
    }
    spdlog::info("rebuilding: {}", displayArgv(p.argv));
    RebuildOutcome outcome = rt.rebuilder.rebuild(p.argv);
    state.time = rfc3339(rt.clock.wallNow());
    if (outcome.ok) {
        state.result = "applied";
        state.reason.clear();
        state.notApplied = notAppliedInBuiltSystem(rt, report.source, in.instanceId);
        state.appliedOverlaySha256 = p.sha;
        state.lastSuccessTime = state.time;
        committer.writeState(state);
        report.result = RunResult::Applied;
        return report;
    }
    committer.restorePrevious();
    auto restored = rt.disk.readFile(committer.overlayPath(), kMetaDataCap);
    state.committedOverlaySha256 = restored ? sha256Hex(*restored) : "";
    bool nameBack = restoreLiveHostname(rt, *report.provider, in, nameBefore);
    state.result = "failed";
    state.reason = "rebuild failed: " + outcome.reason + (nameBack ? "; the live host name is " + nameBefore + " again" : "");
    committer.writeState(state);
    throw Error("the rebuild failed (" + outcome.reason + "); the previous overlay" +
                (nameBack ? " and host name " + nameBefore + " were" : " was") + " put back");
}

// One pass of detect -> fetch -> normalize -> render -> commit -> apply -> report.
RunReport runOnce(const Runtime & rt, const RunOptions & opt)
{
    Fetched f = fetchAndNormalize(rt);
    const InstanceData & in = f.normalized.instance;
    Committer committer(rt.disk, rt.host, rt.config);
    const Plan plan = makePlan(rt, opt, in, committer);
    RunReport report = startReport(f, plan);
    if (plan.unchanged)
        return reportUnchanged(rt, opt, in, plan, std::move(report));
    describeChanges(rt, opt, in, plan, report);
    if (opt.dryRun) {
        report.result = RunResult::DryRun;
        return report;
    }

    if (report.newInstance)
        spdlog::info("new instance {} (was {}): a cloned disk or a new machine", in.instanceId, report.previousInstanceId);
    State state = commitOverlay(rt, opt, f, plan, committer);
    const std::string nameBefore = kernelHostname();
    if (liveHostnameWanted(rt, *report.provider, in))
        applyLiveHostname(rt, *in.hostname);
    runProviderAfterCommit(rt, *report.provider);

    if (!plan.wantRebuild) {
        state.lastSuccessTime = state.time;
        return endCommitted(committer, state, std::move(report));
    }
    return rebuild(rt, in, plan, committer, std::move(state), std::move(report), nameBefore);
}

} // namespace

RunReport runImprint(const Runtime & rt, const RunOptions & opt)
{
    std::optional<RunLock> lock;
    if (!opt.dryRun)
        lock.emplace(rt.disk, rt.host.path(rt.config.lockPath().string()), rt.config.lockTimeout, rt.clock);
    RunReport report = runOnce(rt, opt);
    // A local source can change while the rebuild runs (kubelet republishing labels), and a path
    // unit does not fire again for changes made while its service runs: look once more, so a
    // burst of changes still ends in the system matching the latest one.
    for (int pass = 1; pass < 3 && report.result == RunResult::Applied && !opt.dryRun; ++pass) {
        if (!report.provider->changesWhileRunning())
            break;
        RunOptions again = opt;
        again.force = false;
        RunReport next = runOnce(rt, again);
        if (next.result == RunResult::Unchanged)
            break;
        spdlog::info("the source changed during the run; applied again");
        report = next;
    }
    return report;
}

} // namespace imprint
