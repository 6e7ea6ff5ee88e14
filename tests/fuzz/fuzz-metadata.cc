// The text parsers of the metadata servers' answers; CMake builds one target per format from
// this file (IMPRINT_FUZZ_<FORMAT>=1).
#include "agent/documents.hh"
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
        for (const auto & k : parseGceSshKeys(text, "2026-11-21T10:00:00+0000"))
            if (k.key.find('\n') != std::string::npos)
                std::abort();
        (void) lastPathSegment(text);
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
