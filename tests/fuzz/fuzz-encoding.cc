// base64Decode, gunzip (with its output cap) and sha256Hex.
#include "agent/fetch/encoding.hh"
#include "tests/fuzz/fuzz-common.hh"

#include <cstdlib>

using namespace imprint;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    auto text = fuzz::asText(data, size);
    fuzz::expectOnlyError([&] { (void) base64Decode(text, "fuzz"); });
    constexpr std::size_t cap = 64 * 1024;
    fuzz::expectOnlyError([&] {
        auto out = gunzip(text, cap, "fuzz");
        if (out.size() > cap)
            std::abort();  // the cap is what keeps a gzip bomb out of memory
    });
    if (sha256Hex(text).size() != 64)
        std::abort();
    return 0;
}
