// GCE's ssh-keys attribute (`user:key` lines, google-ssh expiry) and the assignment of keys to
// users. Properties: a key never spans lines; every key lands with one valid user or nowhere; a
// warning never carries key material.
// fuzz-seeds: fixtures/*/*ssh-keys
#include "agent/normalize/instance.hh"
#include "providers/gce/gce.hh"
#include "tests/fuzz/fuzz-common.hh"

#include <cstdlib>

using namespace imprint;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    auto text = fuzz::asText(data, size);
    fuzz::expectOnlyError([&] {
        auto keys = parseGceSshKeys(text, "2026-11-21T10:00:00+0000");
        for (const auto & k : keys)
            if (k.key.find('\n') != std::string::npos)
                std::abort();
        (void) lastPathSegment(text);
        // Every key lands with one valid user or nowhere, and a warning never carries key material.
        SourceData d;
        assignGceKeys(d, keys, "http://169.254.169.254/computeMetadata/v1/instance/attributes/ssh-keys", "admin");
        for (const auto & [user, userKeys] : d.userPublicKeys)
            if (!isValidUserName(user) || user == "admin" || user == "root" || userKeys.empty())
                std::abort();
        // (The key's base64 blob is the secret-ish part; the fuzzer also learns the warning's own
        // words, so a "key" made of them proves nothing.)
        for (const auto & k : keys) {
            if (!isValidSshPublicKey(k.key))
                continue;
            auto start = k.key.find_first_of(" \t");
            auto blob = k.key.substr(start + 1, k.key.find_first_of(" \t", start + 1) - start - 1);
            for (const auto & w : d.warnings)
                if (blob.size() >= 16 && w.find(blob) != std::string::npos)
                    std::abort();
        }
    });
    return 0;
}
