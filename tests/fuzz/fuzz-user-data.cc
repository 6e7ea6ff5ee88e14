// decodeUserData: #cloud-config YAML, gzip, MIME multipart (and everything in between).
// Properties beyond "only imprint::Error": whatever the nesting of gzip layers and multipart
// levels, the tree stays within kMaxUserDataNesting and everything gzip and base64 produced
// within the one budget kMaxDecodedUserData.
#include "agent/normalize/cloud-config.hh"
#include "tests/fuzz/fuzz-common.hh"

using namespace imprint;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    fuzz::expectOnlyError([&] {
        auto cc = decodeUserData(fuzz::asText(data, size), "fuzz");
        (void) cc.config.dump();
        if (cc.deepestNesting > kMaxUserDataNesting || cc.decodedBytes > kMaxDecodedUserData)
            __builtin_trap();
    });
    return 0;
}
