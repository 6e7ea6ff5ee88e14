// The renderer, fed any strings at all (normalize() validates first, but the renderer must be
// safe on its own): nixString round-trips every byte string, and the overlay is exactly the
// intended token stream — no input adds an attribute, an interpolation or a comment of its own.
#include "agent/render/render.hh"
#include "tests/fuzz/fuzz-common.hh"
#include "tests/fuzz/nix-token-check.hh"

#include <fuzzer/FuzzedDataProvider.h>

using namespace imprint;

namespace {

std::string str(FuzzedDataProvider & p)
{
    std::string s = p.ConsumeRandomLengthString(80);
    for (auto & c : s)
        if (c == '\0')
            c = '\x01';  // NUL is refused by nixString with an Error; covered separately
    return s;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    FuzzedDataProvider p(data, size);
    {
        std::string s = str(p);
        fuzz::checkStringRoundTrip(s);
    }
    InstanceData in;
    static const char * sources[] = {"nocloud", "configdrive", "ec2", "gce", "kubernetes"};
    in.source = sources[p.ConsumeIntegralInRange<int>(0, 4)];
    in.instanceId = str(p);
    if (p.ConsumeBool()) in.hostname = str(p);
    if (p.ConsumeBool()) in.domain = str(p);
    if (p.ConsumeBool()) {
        in.rootDevice = RootDevice{str(p), std::nullopt};
        if (p.ConsumeBool()) in.rootDevice->fsType = str(p);
    }
    for (int i = p.ConsumeIntegralInRange<int>(0, 3); i > 0; --i)
        in.sshAuthorizedKeys.push_back(str(p));
    for (int i = p.ConsumeIntegralInRange<int>(0, 3); i > 0; --i) {
        auto & keys = in.userKeys[str(p)];
        for (int k = p.ConsumeIntegralInRange<int>(0, 2); k > 0; --k)
            keys.push_back(str(p));
    }
    if (p.ConsumeBool()) in.timezone = str(p);
    in.preserveHostname = p.ConsumeBool();
    for (int i = p.ConsumeIntegralInRange<int>(0, 3); i > 0; --i) {
        auto & cat = in.facts[str(p)];
        for (int k = p.ConsumeIntegralInRange<int>(0, 3); k > 0; --k)
            cat[str(p)] = str(p);
    }
    RenderOptions opt;
    opt.priority = p.ConsumeIntegralInRange<int>(0, 1500);
    if (p.ConsumeBool()) opt.sshUser = str(p);

    std::string overlay = renderOverlay(in, opt);
    fuzz::checkOverlay(overlay, in, opt);
    return 0;
}
