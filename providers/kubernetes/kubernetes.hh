#pragma once
// The Kubernetes downward API as a source. Exposed pieces (reader, hostname rule, facts filter)
// so tests can drive them directly; the registry only uses makeKubernetesProvider().

#include "agent/system/clock.hh"
#include "agent/system/environment.hh"
#include "agent/cli/config.hh"
#include "providers/provider.hh"

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imprint {

// One consistent version of a downwardAPI volume.
struct PodInfo
{
    std::filesystem::path dir;            // the volume's mount point
    std::optional<std::string> version;   // target of `..data` ("..2026_11_21_..."); nullopt for a plain directory
    std::map<std::string, std::string> files;  // relative path ("name", "labels", "limits/cpu") -> bytes
};

// Test hooks: run after `..data` was resolved, and after each file was read.
struct PodInfoHooks
{
    std::function<void(const std::filesystem::path & versionDir)> afterResolve;
    std::function<void(const std::string & file)> afterFile;
};

// Reads every file of the volume through ONE resolved `..data` target: readlink once, then read
// from that timestamped directory, whose files kubelet never changes. When kubelet swaps `..data`
// and removes the old directory mid-read, the read starts over from the new target (a few times
// at most), so the result never mixes two versions. A directory without `..data` (a hand-made
// directory, a subPath mount) is read as it is.
PodInfo readPodInfo(const std::filesystem::path & dir, const PodInfoHooks & hooks = {});

// Waits until `dir/..data` was last replaced at least `settle` ago (its own mtime: kubelet makes
// a fresh symlink for every version), so a burst of updates is read once, after the last one.
// Returns at once for an old or absent `..data`; waits at most 10 times `settle` in all, then
// reads anyway (a volume that never settles must not block the run forever).
void waitForSettledVolume(const std::filesystem::path & dir, std::chrono::milliseconds settle, Clock & clock);

// The documented rule that makes a pod name a hostname label (docs/kubernetes.md):
// ASCII-lowercase; every character outside [a-z0-9-] (the dots of a pod name) becomes '-';
// leading and trailing '-' are dropped; a result longer than 63 characters keeps its first 54,
// minus trailing '-', and gets '-' plus the first 8 hex digits of the SHA-256 of the pod name,
// so long names from one Deployment stay distinct and the rule is deterministic. nullopt when
// nothing is left.
std::optional<std::string> podNameToHostLabel(std::string_view podName);

// Whether an annotation with this key becomes a fact: it matches one of kubernetes.facts_allow
// (empty: no annotation does) and none of kubernetes.facts_deny.
bool annotationIsFact(const KubernetesConfig & config, std::string_view key);

// Whether a fact key (an annotation, or a single-item file's name) matches kubernetes.facts_deny.
bool factKeyDenied(const KubernetesConfig & config, std::string_view key);


// The provider reading `env` (tests give their own); the registry's makeKubernetesProvider()
// reads the process environment.
std::unique_ptr<Provider> makeKubernetesProvider(EnvLookup env);
std::unique_ptr<Provider> makeKubernetesProvider();

} // namespace imprint
