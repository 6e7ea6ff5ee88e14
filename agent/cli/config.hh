#pragma once
// imprint's configuration: YAML at /etc/imprint/imprint.yaml (a missing file means defaults).
// Built once at start-up and passed by const reference; every error names the key.
// The NixOS module (nix-module/module.nix) renders `services.imprint.settings` to this file,
// so every key here is documented in the README's configuration table.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace imprint {

struct HttpConfig
{
    std::chrono::milliseconds connectTimeout{1000};   // http.connect_timeout_ms
    std::chrono::milliseconds requestTimeout{5000};   // http.request_timeout_ms: one attempt
    std::chrono::milliseconds deadline{30000};        // http.deadline_ms: a whole fetch, retries included
    int retries = 5;                                  // http.retries: extra attempts for transient failures
    std::chrono::milliseconds backoffInitial{250};    // http.backoff_initial_ms
    std::chrono::milliseconds backoffMax{5000};       // http.backoff_max_ms
    std::size_t maxBodyBytes = 16 * 1024 * 1024;      // http.max_body_bytes
};

struct RebuildConfig
{
    bool enable = true;                                // rebuild.enable
    std::vector<std::string> command{"nixos-rebuild"}; // rebuild.command: argv prefix, no shell
    std::string action = "switch";                     // rebuild.action: switch|boot|test|dry-activate
    std::optional<std::string> flake;                  // rebuild.flake: REF (e.g. /var/lib/imprint/flake)
    std::optional<std::string> attribute;              // rebuild.attribute: nixosConfigurations.ATTR
    bool offline = false;                              // rebuild.offline: --option substitute false
    std::vector<std::string> extraArgs;                // rebuild.extra_args
    // rebuild.base: the image's own flake (e.g. path:/nix/store/...-source). When set, imprint
    // keeps a wrapper flake in overlay.path's directory that extends
    // base#nixosConfigurations.ATTR with the overlay (agent/render/flake-wrapper.hh); rebuild.flake
    // then names that directory.
    std::optional<std::string> base;
    // rebuild.min_memory_mb: below this much MemAvailable + SwapFree the rebuild is skipped with
    // a clear message instead of being OOM-killed (evaluation needs ~0.6-1.1 GB); 0 = no check.
    std::uint64_t minMemoryMb = 1024;
    // rebuild.timeout_ms: the rebuild unit's TimeoutStartSec (systemd stops it after this); imprint
    // waits a little longer for the job's result before giving up on the manager.
    std::chrono::milliseconds timeout{std::chrono::hours(1)};
};

struct KubernetesConfig
{
    std::string podinfoDir = "/etc/podinfo";                          // kubernetes.podinfo_dir
    std::optional<std::string> hostnameAnnotation = "imprint.nixos.org/hostname"; // kubernetes.hostname_annotation
    std::optional<std::string> domainAnnotation = "imprint.nixos.org/domain";     // kubernetes.domain_annotation
    // kubernetes.facts_allow: the annotation keys (globs) that become facts; none by default. The
    // overlay lands in the world-readable Nix store and annotations routinely carry tokens and
    // whole manifests, so facts are an allow-list: labels and the pod's own fields always,
    // annotations only when named here.
    std::vector<std::string> factsAllow;
    // kubernetes.facts_deny: annotation key globs never made facts even when allowed
    // (case-insensitive; '*' matches '/'): a second guard against a glob that allows too much.
    std::vector<std::string> factsDeny{
        "*token*", "*secret*", "*password*", "*passwd*", "*credential*", "*private-key*",
        "*private_key*", "*privatekey*", "*api-key*", "*api_key*", "*apikey*",
        "kubectl.kubernetes.io/last-applied-configuration"};
    // kubernetes.settle_ms: before reading, wait until `..data` has not changed for this long, so
    // a burst of kubelet updates (labels, then annotations) is read once, after the last one.
    std::chrono::milliseconds settle{1000};
    std::map<std::string, std::string> env{                            // kubernetes.env: fact -> variable
        {"node_name", "NODE_NAME"},
        {"pod_ip", "POD_IP"},
        {"host_ip", "HOST_IP"},
        {"service_account", "SERVICE_ACCOUNT"},
    };
};

struct Config
{
    // Where the config came from (for messages); empty when defaults.
    std::string origin;

    std::string overlayPath = "/var/lib/imprint/host.nix";      // overlay.path
    int overlayPriority = 90;                                   // overlay.priority (mkOverride N)
    // The image's own priorities for `fileSystems` and fileSystems."/" (agent/render/render.hh says why);
    // the NixOS module reads them off the image's evaluation.
    int overlayFileSystemsPriority = 100;                       // overlay.file_systems_priority
    int overlayRootFileSystemPriority = 100;                    // overlay.root_file_system_priority
    std::string stateDir = "/var/lib/imprint";                  // state_dir
    std::string runDir = "/run/imprint";                        // run_dir
    std::string sshUser = "root";                               // ssh_user: who gets the default keys
    bool preserveHostname = false;                              // preserve_hostname
    std::chrono::milliseconds lockTimeout{60000};               // lock_timeout_ms
    std::optional<std::string> rootDevice;                      // root_device: overrides discovery
    std::optional<std::string> rootFsType;                      // root_fs_type

    // Sources in the order detection considers them; empty = every known source in the
    // documented default order.
    std::vector<std::string> sources;                           // sources
    std::map<std::string, std::string> endpoints;               // endpoints: source -> base URL
    std::vector<std::string> nocloudSeedDirs{                   // nocloud.seed_dirs
        "/var/lib/cloud/seed/nocloud", "/var/lib/cloud/seed/nocloud-net"};
    bool ec2AllowImdsV1 = false;                                // ec2.allow_imdsv1
    bool ec2UseIpv6 = false;                                    // ec2.ipv6
    bool scalewayUseIpv6 = false;                               // scaleway.ipv6
    bool akamaiUseIpv6 = false;                                 // akamai.ipv6
    std::optional<std::string> vmwareRpctool;                   // vmware.rpctool (absolute path)

    HttpConfig http;
    RebuildConfig rebuild;
    KubernetesConfig kubernetes;

    std::filesystem::path statePath() const { return std::filesystem::path(stateDir) / "state.json"; }
    std::filesystem::path previousOverlayPath() const { return overlayPath + ".previous"; }
    std::filesystem::path instanceJsonPath() const { return std::filesystem::path(runDir) / "instance.json"; }
    std::filesystem::path userDataPath() const { return std::filesystem::path(runDir) / "user-data"; }
    std::filesystem::path lockPath() const { return std::filesystem::path(runDir) / "lock"; }
};

// Parses the YAML text of a config file; `origin` names it in errors. Throws UsageError.
Config parseConfig(const std::string & yamlText, const std::string & origin);

inline constexpr const char * kDefaultConfigPath = "/etc/imprint/imprint.yaml";

} // namespace imprint
