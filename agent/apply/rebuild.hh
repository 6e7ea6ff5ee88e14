#pragma once
// The last step of a run: converge the declared system with the overlay. One interface; the
// direct-exec implementation here serves pods and `--no-systemd`; the systemd implementation
// (a unit of its own, so the switch can restart anything without killing imprint) lives in
// systemd-rebuild.cc.

#include "agent/cli/config.hh"

#include <string>
#include <vector>

namespace imprint {

struct RebuildOutcome
{
    bool ok = false;
    std::string reason;  // why it failed ("exit status 1", "unit result: timeout"...)
};

class Rebuilder
{
public:
    virtual ~Rebuilder() = default;
    virtual std::string describe() const = 0;  // for the plan and the log
    virtual RebuildOutcome rebuild(const std::vector<std::string> & argv) = 0;
};

// `nixos-rebuild switch [--flake REF#ATTR] [--option substitute false] [extra args]` from config.
std::vector<std::string> rebuildArgv(const RebuildConfig & config);

// Runs the argv as a child process (no shell), its output going to imprint's stderr.
class DirectRebuilder : public Rebuilder
{
public:
    std::string describe() const override { return "run directly"; }
    RebuildOutcome rebuild(const std::vector<std::string> & argv) override;
};

// "a b 'c d'": for messages only, never executed.
std::string displayArgv(const std::vector<std::string> & argv);

} // namespace imprint
