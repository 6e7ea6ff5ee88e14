// What a source said -> normalize() -> renderOverlay(), as a run does it. Properties: only
// imprint::Error escapes; the instance JSON reads back as the same instance; the overlay is
// exactly the token stream intended for the normalized instance.
#include "agent/cli/config.hh"
#include "agent/system/host.hh"
#include "agent/normalize/normalize.hh"
#include "agent/render/render.hh"
#include "tests/fuzz/fuzz-common.hh"
#include "tests/fuzz/nix-token-check.hh"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>
#include <filesystem>
#include <unistd.h>

using namespace imprint;

namespace {

const std::filesystem::path & emptyRoot()
{
    static std::filesystem::path root = [] {
        char tmpl[] = "/tmp/imprint-fuzz-root-XXXXXX";
        if (!::mkdtemp(tmpl))
            std::abort();
        return std::filesystem::path(tmpl);
    }();
    return root;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    FuzzedDataProvider p(data, size);
    SourceData d;
    d.source = "nocloud";
    d.origin = "/seed";
    d.instanceId = p.ConsumeRandomLengthString(64);
    if (p.ConsumeBool())
        d.localHostname = p.ConsumeRandomLengthString(80);
    d.localHostnameOrigin = "meta-data key 'local-hostname'";
    for (int i = p.ConsumeIntegralInRange<int>(0, 3); i > 0; --i)
        d.publicKeys.push_back(p.ConsumeRandomLengthString(200));
    for (int i = p.ConsumeIntegralInRange<int>(0, 3); i > 0; --i)
        d.facts["labels"][p.ConsumeRandomLengthString(40)] = p.ConsumeRandomLengthString(40);
    d.userDataOrigin = "/seed/user-data";
    if (p.ConsumeBool())
        d.userData = p.ConsumeRemainingBytesAsString();

    Config config;
    config.rootDevice = std::nullopt;
    Host host(emptyRoot());
    Normalized n;
    if (!fuzz::expectOnlyError([&] { n = normalize(d, config, gatherMachineFacts(host)); }))
        return 0;
    auto back = instanceFromJson(nlohmann::json::parse(toJson(n.instance).dump()));
    if (!(back == n.instance))
        std::abort();
    RenderOptions opt{config.overlayPriority, config.sshUser};
    std::string overlay = renderOverlay(n.instance, opt);
    fuzz::checkOverlay(overlay, n.instance, opt);
    return 0;
}
