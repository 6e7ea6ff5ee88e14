// The text parsers of the metadata servers' answers; CMake builds one target per format from
// this file (IMPRINT_FUZZ_<FORMAT>=1).
#include "agent/system/backoff.hh"
#include "agent/fetch/documents.hh"
#include "agent/normalize/instance.hh"
#include "providers/metadata.hh"
#include "providers/openstack-format.hh"
#include "tests/fuzz/fuzz-common.hh"

#include <cstdlib>

using namespace imprint;

namespace {

// Whatever a parser returns goes on to normalize(); its strings must be safe to carry there.
[[maybe_unused]] void checkSourceData(const SourceData & d)
{
    (void) d.instanceId.size();
    for (const auto & k : d.publicKeys)
        (void) k.size();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    auto text = fuzz::asText(data, size);
    fuzz::expectOnlyError([&] {
#if defined(IMPRINT_FUZZ_OPENSTACK)
        checkSourceData(parseOpenStackMetaData(text, "fuzz"));
#elif defined(IMPRINT_FUZZ_EC2_KEYS)
        for (const auto & index : parseEc2PublicKeyIndex(text))
            if (index.empty() || index.find('/') != std::string::npos)
                std::abort();  // an index becomes a URL path segment: public-keys/<index>/openssh-key
        (void) isEc2ProductUuid(text);
#elif defined(IMPRINT_FUZZ_GCE_SSH_KEYS)
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
#elif defined(IMPRINT_FUZZ_HTTP_DATE)
        // A Retry-After header and a Date header from a hostile server: a bounded, non-negative
        // wait or nothing, whatever the text.
        auto newline = text.find('\n');
        std::string_view value = std::string_view(text).substr(0, newline);
        std::optional<std::string_view> serverDate;
        if (newline != std::string::npos)
            serverDate = std::string_view(text).substr(newline + 1);
        auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1795000000}};
        (void) parseHttpDate(value, now);
        if (auto wait = retryAfterDelay(value, serverDate, now))
            if (wait->count() < 0 || *wait > std::chrono::duration_cast<std::chrono::milliseconds>(maxRetryAfter))
                std::abort();
#elif defined(IMPRINT_FUZZ_AZURE_INSTANCE)
        checkSourceData(parseAzureInstance(text, "fuzz"));
#elif defined(IMPRINT_FUZZ_AZURE_GOALSTATE)
        auto g = parseAzureGoalState(text, "fuzz");
        (void) azureHealthReport(g);
#elif defined(IMPRINT_FUZZ_DIGITALOCEAN)
        checkSourceData(parseDigitalOceanMetadata(text, "fuzz"));
#elif defined(IMPRINT_FUZZ_HETZNER)
        checkSourceData(parseHetznerMetadata(text, "fuzz"));
#elif defined(IMPRINT_FUZZ_ORACLE)
        checkSourceData(parseOracleInstance(text, "fuzz"));
#elif defined(IMPRINT_FUZZ_INCUS)
        checkSourceData(parseIncusMetaData(text, "fuzz"));
#else
#error "one IMPRINT_FUZZ_<FORMAT> must be defined"
#endif
    });
    return 0;
}
