#include "agent/commit/state.hh"
#include "agent/fetch/documents.hh"
#include "agent/system/error.hh"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace imprint {

using nlohmann::json;
namespace fs = std::filesystem;

json toJson(const State & s)
{
    return json{{"version", s.version},
                {"instance_id", s.instanceId},
                {"source", s.source},
                {"committed_overlay_sha256", s.committedOverlaySha256},
                {"applied_overlay_sha256", s.appliedOverlaySha256},
                {"result", s.result},
                {"reason", s.reason},
                {"time", s.time},
                {"last_success_time", s.lastSuccessTime},
                {"not_applied", s.notApplied}};
}

std::optional<State> loadState(DiskInterface & disk, const fs::path & path, std::string & warning)
{
    auto text = disk.readFile(path, kMetaDataCap);
    if (!text)
        return std::nullopt;
    try {
        json j = parseJson(*text, path.string());
        State s;
        s.version = j.at("version").get<int>();
        if (s.version > kStateVersion) {
            warning = path.string() + " was written by a newer imprint (state version " + std::to_string(s.version) +
                      "); starting afresh";
            return std::nullopt;
        }
        s.instanceId = j.value("instance_id", "");
        s.source = j.value("source", "");
        s.committedOverlaySha256 = j.value("committed_overlay_sha256", "");
        s.appliedOverlaySha256 = j.value("applied_overlay_sha256", "");
        s.result = j.value("result", "");
        s.reason = j.value("reason", "");
        s.time = j.value("time", "");
        s.lastSuccessTime = j.value("last_success_time", "");
        s.notApplied = j.value("not_applied", std::vector<std::string>{});
        return s;
    } catch (const Error & e) {
        warning = std::string(e.what()) + "; starting afresh";
    } catch (const json::exception & e) {
        warning = path.string() + ": unreadable state (" + e.what() + "); starting afresh";
    }
    return std::nullopt;
}

void Committer::commit(const CommitFiles & files)
{
    fs::path overlay = overlayPath();
    fs::path stateDir = host_.path(config_.stateDir);
    fs::path runDir = host_.path(config_.runDir);
    ops_.makeDirs(stateDir, 0755);
    ops_.makeDirs(overlay.parent_path(), 0755);
    ops_.makeDirs(runDir, 0755);

    atomicWrite(ops_, host_.path(config_.instanceJsonPath().string()), files.instanceJson, 0644);
    if (files.userData)
        atomicWrite(ops_, host_.path(config_.userDataPath().string()), *files.userData, 0600);
    auto current = ops_.readFile(overlay, kMetaDataCap);
    changedOverlay_ = !current || *current != files.overlay;
    if (current && *current != files.overlay)
        atomicWrite(ops_, previousPath(), *current, 0644);
    else if (!current)
        ops_.remove(previousPath());  // "previous" then means "there was no overlay"
    atomicWrite(ops_, overlay, files.overlay, 0644);
    writeState(files.state);
}

void Committer::restorePrevious()
{
    if (!changedOverlay_)
        return;  // this run did not change the overlay: there is nothing to undo
    auto previous = ops_.readFile(previousPath(), kMetaDataCap);
    if (previous) {
        atomicWrite(ops_, overlayPath(), *previous, 0644);
    } else {
        ops_.remove(overlayPath());
        ops_.fsyncDir(overlayPath().parent_path());
    }
}

void Committer::writeState(const State & state)
{
    atomicWrite(ops_, host_.path(config_.statePath().string()), toJson(state).dump(2) + "\n", 0600);
}

RunLock::RunLock(DiskInterface & disk, const fs::path & path, std::chrono::milliseconds timeout, Clock & clock)
{
    // 0755 whatever the umask: /run/imprint holds the world-readable instance JSON.
    disk.makeDirs(path.parent_path(), 0755);
    auto deadline = clock.now() + timeout;
    while (!(lock_ = disk.tryLock(path))) {
        if (clock.now() >= deadline)
            throw Error("another imprint run holds " + path.string() + "; gave up after " +
                        std::to_string(timeout.count()) + " ms (lock_timeout_ms)");
        clock.sleepFor(std::chrono::milliseconds(100));
    }
}

std::string rfc3339(std::chrono::system_clock::time_point t)
{
    std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

} // namespace imprint
