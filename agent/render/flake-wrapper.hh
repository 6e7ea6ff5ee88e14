#pragma once
// Wrapper mode (rebuild.base): how the overlay reaches a pure flake evaluation.
//
// The image's own flake cannot take the overlay: /etc/nixos may be a read-only store path,
// a git repository (an untracked host.nix is invisible to it) or absent, and pure evaluation
// may not read /var/lib. So imprint keeps a small flake of its own next to the overlay
// (/var/lib/imprint/flake/{flake.nix,host.nix}): its one input is the image's flake, pinned by
// store path, and its output is that configuration extended with ./host.nix. The rebuild is
// then `nixos-rebuild switch --flake path:/var/lib/imprint/flake#ATTR`: a plain directory
// (`path:`, not git), so host.nix is seen without `git add`, and nothing is fetched when the
// base and its locked inputs are in the store.

#include "agent/cli/config.hh"
#include "agent/system/disk-interface.hh"
#include "agent/system/host.hh"

#include <filesystem>
#include <optional>
#include <string>

namespace imprint {

struct WrapperFlake
{
    std::string base;                     // the image's flake reference (rebuild.base)
    std::string attribute;                // nixosConfigurations.<attribute> of the base
    std::string overlayFile = "host.nix"; // the overlay, relative to the wrapper's directory
    // Also exposed as nixosConfigurations.<hostname>, so that an admin's plain
    // `nixos-rebuild switch --flake path:/var/lib/imprint/flake` (which picks the host name)
    // builds the same system.
    std::optional<std::string> hostname;
};

// The text of the wrapper's flake.nix. Deterministic; every string goes through nixString.
// Throws Error when a field cannot be used (empty, or a control character: flake inputs must
// be literal strings).
std::string renderWrapperFlake(const WrapperFlake & wrapper);

// The wrapper for this config, or nullopt when rebuild.base is not set (classic or flake mode).
std::optional<WrapperFlake> wrapperFlakeFor(const Config & config, const std::optional<std::string> & hostname);

// Writes `dir`/flake.nix (atomically, 0644) unless it already has exactly `text`. When it
// changes, `dir`/flake.lock is removed: Nix then locks the base afresh (locally: a `path:` input
// of a store path, and the base's own flake.lock for its inputs). Returns true when it wrote.
bool writeWrapperFlake(DiskInterface & files, const std::filesystem::path & dir, const std::string & text);

// The step of a run: call it after the overlay is committed and before the rebuild starts
// (run.cc, right before rebuilder.rebuild(argv)). No-op without rebuild.base. Returns a line for
// the plan/log, or nullopt when nothing was written.
std::optional<std::string> prepareWrapperFlake(DiskInterface & files, const Host & host, const Config & config,
    const std::optional<std::string> & hostname);

} // namespace imprint
