// decodeUserData: #cloud-config YAML, gzip, MIME multipart (and everything in between).
#include "agent/cloud-config.hh"
#include "tests/fuzz/fuzz-common.hh"

using namespace imprint;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    fuzz::expectOnlyError([&] {
        auto cc = decodeUserData(fuzz::asText(data, size), "fuzz");
        (void) cc.config.dump();
    });
    return 0;
}
