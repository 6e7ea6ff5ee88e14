// The command line, and the one place where errors become exit codes.

#include "agent/system/error.hh"
#include "agent/system/http.hh"
#include "agent/report/log.hh"
#include "agent/run.hh"
#include "agent/commit/state.hh"
#include "agent/apply/systemd-rebuild.hh"
#include "agent/system/systemd.hh"
#include "providers/provider.hh"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <unistd.h>

using namespace imprint;
using nlohmann::json;

namespace {

const char * kDescription = R"(imprint: give each copy of a golden NixOS image its own identity.

At first boot, and whenever asked, imprint finds out who this machine is from local signals
(a cloud-init NoCloud seed, a config drive, the Kubernetes downward API, a cloud's metadata
server), writes a NixOS module with this host's name, root device, SSH keys and facts
(default /var/lib/imprint/host.nix, at priority mkOverride 90: above the image's plain
definitions, below your own mkForce), and converges the system with nixos-rebuild.

Commands:
  detect      say which source describes this machine and which local signal chose it;
              never touches the network (exit 3 when nothing matches)
  fetch       print the normalized instance (hostname, domain, root device, keys, facts) as JSON
  render      print the overlay module that `run` would write
  run         fetch, render, commit and rebuild; does nothing when nothing changed
  status      show the last run's result from /var/lib/imprint/state.json

Exit codes: 0 done or nothing to do, 1 failed, 2 usage or configuration error, 3 no source.)";

const char * kFooter = R"(
Examples:
  imprint detect
  imprint --source nocloud:/srv/seed fetch
  imprint --root /tmp/fake-machine run --dry-run
  imprint run --no-rebuild          # write the overlay, leave the rebuild to you

Configuration: /etc/imprint/imprint.yaml (see the README for every key).)";

Config loadConfig(const Host & host, const std::string & explicitPath)
{
    std::string path = explicitPath.empty() ? host.path(kDefaultConfigPath).string() : explicitPath;
    std::optional<std::string> text;
    try {
        text = realDisk().readFile(path, kMetaDataCap);
    } catch (const Error & e) {
        throw UsageError(e.what());
    }
    if (!text) {
        if (!explicitPath.empty())
            throw UsageError("configuration file " + path + " does not exist");
        return Config{};
    }
    return parseConfig(*text, path);
}

void printDetect(const Runtime & rt, bool asJson)
{
    Detection d = chooseSource(rt);
    if (asJson)
        std::cout << json{{"source", d.provider->name()}, {"signal", d.signal}}.dump(2) << "\n";
    else
        std::cout << d.provider->name() << ": " << d.signal << "\n";
}

void printStatus(const Runtime & rt, bool asJson)
{
    std::string warning;
    auto path = rt.host.path(rt.config.statePath().string());
    auto state = loadState(rt.disk, path, warning);
    if (!warning.empty())
        spdlog::warn("{}", warning);
    if (asJson) {
        std::cout << (state ? toJson(*state) : json(nullptr)).dump(2) << "\n";
        return;
    }
    if (!state) {
        std::cout << "imprint has not run on this machine yet (no " << path.string() << ")\n";
        return;
    }
    std::cout << "last run:     " << state->result << (state->reason.empty() ? "" : " (" + state->reason + ")") << "\n"
              << "at:           " << state->time << "\n"
              << "source:       " << state->source << "\n"
              << "instance:     " << state->instanceId << "\n"
              << "overlay:      " << rt.config.overlayPath << " sha256 " << state->committedOverlaySha256 << "\n"
              << "last success: " << (state->lastSuccessTime.empty() ? "never" : state->lastSuccessTime) << "\n";
    for (const auto & sentence : state->notApplied)
        std::cout << "not applied:  " << sentence << "\n";
}

void printRun(const RunReport & r, bool asJson)
{
    if (asJson) {
        std::cout << r.toJson().dump(2) << "\n";
        return;
    }
    std::cout << (r.result == RunResult::DryRun ? "plan (dry run, nothing written):\n" : "plan:\n");
    for (const auto & step : r.plan)
        std::cout << "  - " << step << "\n";
    std::cout << "result: " << resultName(r.result) << (r.reason.empty() ? "" : " (" + r.reason + ")") << "\n";
}

// `run`, with what systemd and the journal see of it: STATUS/READY for the unit (Type=notify),
// and one event line with a MESSAGE_ID per outcome.
int runCommand(const Runtime & rt, const RunOptions & options, bool localOnly, bool asJson)
{
    try {
        if (localOnly) {
            auto detection = chooseSource(rt);
            if (detection.provider->needsNetwork()) {
                const std::string source = detection.provider->name();
                spdlog::info("source {} needs the network; imprint.service applies it once the network is up", source);
                notifyReady("deferred to the network phase (" + source + ")");
                return 0;
            }
        }
        notifyStatus("fetching the instance identity");
        auto report = runImprint(rt, options);
        if (report.newInstance)
            logEvent(LogEvent::NewInstance, report.source, report.instanceId,
                "new instance " + report.instanceId + " (was " + report.previousInstanceId + ")");
        if (report.result == RunResult::Applied)
            logEvent(LogEvent::Applied, report.source, report.instanceId, "applied instance " + report.instanceId + " from " + report.source);
        else if (report.result == RunResult::Unchanged)
            logEvent(LogEvent::Unchanged, report.source, report.instanceId, "instance " + report.instanceId + " unchanged; nothing to do");
        notifyReady(resultName(report.result) + (report.instanceId.empty() ? "" : ": " + report.instanceId));
        printRun(report, asJson);
        return 0;
    } catch (...) {
        Failure failure = describeFailure(std::current_exception());
        if (failure.code == ExitCode::NoSource) {
            // A bare boot of the golden image: nothing to do is not a failure of the unit
            // (Type=notify without READY=1 would end it as "protocol", failed).
            spdlog::info("{}", failure.message);
            notifyReady("no source: nothing to do");
            return static_cast<int>(failure.code);
        }
        logEvent(LogEvent::Failed, "", "", failure.message);
        notifyStatus("failed: " + failure.message);
        return static_cast<int>(failure.code);
    }
}

} // namespace

int main(int argc, char ** argv)
{
    CLI::App app{kDescription, "imprint"};
    app.footer(kFooter);
    app.set_version_flag("--version", std::string("imprint ") + IMPRINT_VERSION);
    // At most one command; what CLI11 leaves over is a command it does not know (said below).
    app.require_subcommand(0, 1);
    app.allow_extras();
    // Global options may also follow the command: `imprint fetch --source ec2 --json`.
    app.fallthrough();

    std::string configPath, rootDir = "/", sourceSpec, endpoint;
    bool asJson = false, verbose = false, quiet = false;
    app.add_option("--config", configPath, "configuration file (default /etc/imprint/imprint.yaml under --root)");
    app.add_option("--root", rootDir, "take every host path under DIR (a fake machine for tests)")->type_name("DIR");
    app.add_option("--source", sourceSpec, "skip detection: nocloud:DIR, configdrive:DIR, kubernetes:DIR or a metadata-server name")->type_name("SPEC");
    app.add_option("--endpoint", endpoint, "base URL of the metadata server (tests, private clouds)")->type_name("URL");
    app.add_flag("--json", asJson, "machine-readable output");
    app.add_flag("-v,--verbose", verbose, "log debug details");
    app.add_flag("-q,--quiet", quiet, "log only warnings and errors");
    bool noSystemd = false;
    app.add_flag("--no-systemd", noSystemd, "run the rebuild directly and set the host name with sethostname(2), "
                                            "even when PID 1 is systemd (the default without systemd)");

    auto * detectCmd = app.add_subcommand("detect", "which source, and the local signal that chose it");
    auto * fetchCmd = app.add_subcommand("fetch", "the normalized instance as JSON");
    auto * renderCmd = app.add_subcommand("render", "the overlay module on stdout");
    auto * statusCmd = app.add_subcommand("status", "the last run, from state");
    RunOptions runOptions;
    auto * runCmd = app.add_subcommand("run", "fetch, render, commit, apply; unchanged input => nothing to do");
    runCmd->add_flag("--dry-run", runOptions.dryRun, "show the plan, write nothing");
    runCmd->add_flag("--no-rebuild", runOptions.noRebuild, "commit the overlay but do not rebuild");
    runCmd->add_flag("--force", runOptions.force, "apply even when nothing changed");
    bool localOnly = false;
    runCmd->add_flag("--local-only", localOnly, "early-boot phase (imprint-local.service): do nothing, "
                                                "successfully, when the source needs the network");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError & e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : static_cast<int>(ExitCode::Usage);
    }
    if (app.get_subcommands().empty() || !app.remaining().empty()) {
        auto extra = app.remaining();
        if (!extra.empty())
            std::cerr << "imprint: unknown " << (app.get_subcommands().empty() ? "command" : "argument") << " '"
                      << extra.front() << "'\n";
        else
            std::cerr << "imprint: a command is required (detect, fetch, render, run, status)\n";
        std::cerr << "Run with --help for more information.\n";
        return static_cast<int>(ExitCode::Usage);
    }

    setupLogging(verbose ? Verbosity::Debug : quiet ? Verbosity::Quiet : Verbosity::Normal);
    try {
        std::error_code ec;
        if (!std::filesystem::is_directory(rootDir, ec))
            throw UsageError("--root " + rootDir + ": no such directory");
        Host host(rootDir);
        const Config config = loadConfig(host, configPath);
        // Under systemd the rebuild is a unit of its own and the host name goes through hostnamed;
        // pods without systemd (and --no-systemd) run the rebuild directly and use sethostname(2).
        const bool useSystemd = !noSystemd && systemdBooted();
        auto rebuilder = makeRebuilder(useSystemd, config.rebuild);
        auto hostnameSetter = makeHostnameSetter(useSystemd);
        Runtime rt{host, config, std::nullopt, std::nullopt, realDisk(), systemClock(), realMounter(), *rebuilder};
        if (!sourceSpec.empty())
            rt.source = parseSourceSpec(sourceSpec);
        if (!endpoint.empty())
            rt.endpoint = endpoint;
        // Creating the client opens nothing; only a metadata-server source's fetch sends a request.
        // detect and status never use the network: they do not even set the client up.
        std::unique_ptr<HttpClient> http;
        if (!*detectCmd && !*statusCmd) {
            http = makeHttpClient(config.http);
            rt.http = http.get();
        }
        // Only a run on the real machine touches its live host name; --root means a fake machine.
        if (host.isRealRoot())
            rt.hostname = hostnameSetter.get();

        if (*detectCmd)
            printDetect(rt, asJson);
        else if (*fetchCmd)
            std::cout << toJson(fetchAndNormalize(rt).normalized.instance).dump(2) << "\n";
        else if (*renderCmd)
            std::cout << renderOverlay(fetchAndNormalize(rt).normalized.instance, renderOptionsFor(config));
        else if (*statusCmd)
            printStatus(rt, asJson);
        else if (*runCmd)
            return runCommand(rt, runOptions, localOnly, asJson);
        return 0;
    } catch (...) {
        Failure failure = describeFailure(std::current_exception());
        spdlog::error("{}", failure.message);
        return static_cast<int>(failure.code);
    }
}
