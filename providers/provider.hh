#pragma once
// The narrow interface every source implements (Afterburn's layout: one small file per source).
// detect() decides from local signals only and never touches the network; fetch() reads the
// source and returns what it says, unnormalized. Providers know nothing of Nix or systemd.

#include "agent/cli/config.hh"
#include "agent/system/host.hh"
#include "agent/normalize/instance.hh"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace imprint {

class Clock;
class HttpClient;
class Mounter;

// What a source said about this machine, before normalization (hostname rule, key validation,
// user-data decoding and root device all happen in normalize.cc).
struct SourceData
{
    std::string source;                        // provider name
    std::string origin;                        // where it was read: a directory, device or URL
    std::string instanceId;
    std::optional<std::string> localHostname;  // meta-data's local-hostname (may be an FQDN)
    std::string localHostnameOrigin;           // "meta-data key 'local-hostname' in /seed/meta-data"
    std::vector<std::string> publicKeys;       // meta-data public keys, in the source's order
    std::string publicKeysOrigin;
    // Keys the source gives to a named account other than the configured ssh_user (GCE's
    // `user:key` lines); the provider has already checked that each name is a valid user name.
    std::map<std::string, std::vector<std::string>> userPublicKeys;
    std::optional<std::string> userData;       // raw bytes as delivered (cloud-config, gzip, MIME...)
    std::string userDataOrigin;
    Facts facts;                               // platform attributes, pod labels...
    // What was read but not used, one sentence each for the journal. Never key material,
    // user-data or tokens: they name the metadata key and the reason.
    std::vector<std::string> warnings;
};

// Everything a provider may use while fetching. Side effects sit behind these small interfaces
// so tests can fake them.
struct FetchContext
{
    const Host & host;
    const Config & config;
    std::optional<std::string> location;   // "DIR" of --source nocloud:DIR
    std::optional<std::string> endpoint;   // --endpoint URL, or config endpoints[source]
    HttpClient * http = nullptr;           // nullptr where the network must not be used
    Mounter * mounter = nullptr;
    Clock * clock = nullptr;               // the run's clock; nullptr: systemClock()
};

// What a provider may use after the overlay is committed (see Provider::afterCommit).
struct AfterCommitContext
{
    const Host & host;
    const Config & config;
    HttpClient * http = nullptr;  // nullptr where the network must not be used
};

class Provider;

// The chosen source: the provider itself, and why.
struct Detection
{
    const Provider * provider;  // never null
    std::string signal;         // the local fact that chose it, e.g. "filesystem label cidata (/dev/sr0)"
};

class Provider
{
public:
    virtual ~Provider() = default;
    virtual std::string name() const = 0;
    // Local signals only: DMI, /sys, by-label, seed directories, sockets, the kernel command line.
    virtual std::optional<std::string> detect(const Host & host, const Config & config) const = 0;
    virtual SourceData fetch(const FetchContext & ctx) const = 0;
    // True for sources that read over the network (their fetch needs FetchContext::http).
    virtual bool needsNetwork() const { return false; }
    // True for sources whose data can change while a run is under way (a downward-API volume
    // that kubelet republishes): a run then looks again after applying.
    virtual bool changesWhileRunning() const { return false; }
    // True where the platform, not the guest, owns the host name (a pod's UTS namespace belongs
    // to Kubernetes): imprint then never sets it live.
    virtual bool platformOwnsHostname() const { return false; }
    // Called once after the overlay for this provider's data is committed, before the rebuild:
    // the platform's own handshake (Azure's Ready report). Returns a sentence for the journal
    // when it did something. An exception is logged and does not fail the run: the overlay
    // is committed either way.
    virtual std::optional<std::string> afterCommit(const AfterCommitContext &) const { return std::nullopt; }
};


// Every provider in the documented detection order (local media before metadata servers).
const std::vector<std::unique_ptr<Provider>> & allProviders();
const Provider * findProvider(const std::string & name);

} // namespace imprint
