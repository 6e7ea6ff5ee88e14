// Rendering the overlay module: Nix string escaping and the whole module for a small and a large
// instance.

#include "agent/normalize/instance.hh"
#include "agent/render/render.hh"

#include <benchmark/benchmark.h>

#include <string>

namespace {

using namespace imprint;

InstanceData instanceWithKeys(int keys)
{
    InstanceData in;
    in.source = "nocloud";
    in.instanceId = "iid-bench";
    in.hostname = "db-17";
    in.domain = "prod.example.org";
    in.fqdn = "db-17.prod.example.org";
    in.rootDevice = RootDevice{"/dev/disk/by-label/nixos", "ext4"};
    in.timezone = "UTC";
    for (int i = 0; i < keys; ++i)
        in.sshAuthorizedKeys.push_back("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user"
                                       + std::to_string(i) + "@example");
    for (int i = 0; i < keys; ++i)
        in.facts["labels"]["example.org/label-" + std::to_string(i)] = "value \"" + std::to_string(i) + "\" ${x}";
    return in;
}

void BM_NixStringPlain(benchmark::State & state)
{
    const std::string s = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@example";
    for (auto _ : state)
        benchmark::DoNotOptimize(nixString(s));
}
BENCHMARK(BM_NixStringPlain);

void BM_NixStringEscapes(benchmark::State & state)
{
    const std::string s = "a \"quoted\" ${interpolation} with \\ back\nslashes\tand \x01 control";
    for (auto _ : state)
        benchmark::DoNotOptimize(nixString(s));
}
BENCHMARK(BM_NixStringEscapes);

void BM_RenderOverlay(benchmark::State & state)
{
    const InstanceData in = instanceWithKeys(static_cast<int>(state.range(0)));
    const RenderOptions options;
    for (auto _ : state)
        benchmark::DoNotOptimize(renderOverlay(in, options));
}
BENCHMARK(BM_RenderOverlay)->Arg(1)->Arg(25)->Arg(400);

void BM_InstanceToJson(benchmark::State & state)
{
    const InstanceData in = instanceWithKeys(static_cast<int>(state.range(0)));
    for (auto _ : state)
        benchmark::DoNotOptimize(toJson(in).dump());
}
BENCHMARK(BM_InstanceToJson)->Arg(1)->Arg(400);

} // namespace
