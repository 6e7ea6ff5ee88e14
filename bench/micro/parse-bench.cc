// Parsing what a seed delivers: YAML documents, user-data decoding (MIME, base64, gzip), the
// hostname rule and SSH key validation. Inputs are built in memory or read from the NoCloud
// fixtures, so a run measures the parsers and nothing of the file system.

#include "agent/normalize/cloud-config.hh"
#include "agent/fetch/documents.hh"
#include "agent/normalize/instance.hh"
#include "agent/normalize/normalize.hh"
#include "providers/nocloud/nocloud.hh"

#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <string>

namespace {

using namespace imprint;

std::string fixture(const std::string & name)
{
    std::ifstream in(std::string(IMPRINT_NOCLOUD_FIXTURES_DIR) + "/" + name, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

const std::string kKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

// A cloud-config with `n` authorized keys and as many packages and runcmd lines.
std::string manyKeysCloudConfig(int n)
{
    std::string s = "#cloud-config\nhostname: db-17\nfqdn: db-17.prod.example.org\ntimezone: UTC\nssh_authorized_keys:\n";
    for (int i = 0; i < n; ++i)
        s += "  - " + kKey + " user" + std::to_string(i) + "@example\n";
    s += "packages:\n";
    for (int i = 0; i < n; ++i)
        s += "  - package-" + std::to_string(i) + "\n";
    s += "runcmd:\n";
    for (int i = 0; i < n; ++i)
        s += "  - [ sh, -c, 'echo step " + std::to_string(i) + "' ]\n";
    return s;
}

void BM_ParseYamlSmallMetaData(benchmark::State & state)
{
    const std::string text = "instance-id: iid-bench-small\nlocal-hostname: web-1\n";
    for (auto _ : state)
        benchmark::DoNotOptimize(parseYaml(text, "meta-data"));
}
BENCHMARK(BM_ParseYamlSmallMetaData);

void BM_DecodeUserDataCloudConfig(benchmark::State & state)
{
    const std::string text = manyKeysCloudConfig(static_cast<int>(state.range(0)));
    for (auto _ : state)
        benchmark::DoNotOptimize(decodeUserData(text, "user-data"));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_DecodeUserDataCloudConfig)->Arg(1)->Arg(25)->Arg(250);

void BM_DecodeUserDataMultipart(benchmark::State & state)
{
    const std::string text = fixture("multipart/user-data");
    for (auto _ : state)
        benchmark::DoNotOptimize(decodeUserData(text, "user-data"));
}
BENCHMARK(BM_DecodeUserDataMultipart);

void BM_DecodeUserDataGzip(benchmark::State & state)
{
    const std::string text = fixture("gzip/user-data");
    for (auto _ : state)
        benchmark::DoNotOptimize(decodeUserData(text, "user-data"));
}
BENCHMARK(BM_DecodeUserDataGzip);

void BM_PublicKeysFromMetaData(benchmark::State & state)
{
    std::string meta = "public-keys:\n";
    for (int i = 0; i < 150; ++i)
        meta += "  key" + std::to_string(i) + ": " + kKey + " meta" + std::to_string(i) + "@example\n";
    const auto doc = parseYaml(meta, "meta-data");
    for (auto _ : state)
        benchmark::DoNotOptimize(publicKeysFromMetaData(doc["public-keys"], "meta-data"));
}
BENCHMARK(BM_PublicKeysFromMetaData);

void BM_CloudInitHostnameRule(benchmark::State & state)
{
    const auto cfg = parseYaml("hostname: web-1\nfqdn: web-1.example.org\n", "user-data");
    const std::optional<std::string> local = "web-1";
    for (auto _ : state)
        benchmark::DoNotOptimize(cloudInitHostname(cfg, local, "user-data", "meta-data"));
}
BENCHMARK(BM_CloudInitHostnameRule);

void BM_ValidateSshKey(benchmark::State & state)
{
    const std::string key = kKey + " alice@example";
    for (auto _ : state)
        benchmark::DoNotOptimize(isValidSshPublicKey(key));
}
BENCHMARK(BM_ValidateSshKey);

} // namespace
