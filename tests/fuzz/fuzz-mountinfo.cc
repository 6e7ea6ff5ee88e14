// /proc/self/mountinfo text (octal escapes, optional fields, the " - " separator).
#include "agent/normalize/root-device.hh"
#include "tests/fuzz/fuzz-common.hh"

using namespace imprint;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    fuzz::expectOnlyError([&] { (void) parseMountInfo(fuzz::asText(data, size), "fuzz"); });
    return 0;
}
