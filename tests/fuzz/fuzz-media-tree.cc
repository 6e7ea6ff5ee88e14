// Seed media and fake machines as an attacker lays them out: regular files, symlinks (relative,
// absolute, climbing with "..", or naming the real path of a secret outside the tree), FIFOs and
// directories, under the names NoCloud and the config drive read. The input is a list of
// entries: one byte of kind, one byte choosing the name, then text up to a NUL (the content, or
// the link's target; "@" stands for the secret's real path).
// Properties: only imprint::Error escapes, nothing blocks (a FIFO opened for reading without
// O_NONBLOCK would hang the target until libFuzzer's timeout), and the secret outside the tree
// never reaches what a provider returns.
#include "agent/cli/config.hh"
#include "agent/system/host.hh"
#include "providers/provider.hh"
#include "tests/fuzz/fuzz-common.hh"

#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace imprint;
namespace fs = std::filesystem;

namespace {

constexpr const char * kMarker = "SECRET-OUTSIDE-THE-TREE";

const char * const kNames[] = {
    "var/lib/cloud/seed/nocloud/meta-data",
    "var/lib/cloud/seed/nocloud/user-data",
    "var/lib/cloud/seed/nocloud",
    "var/lib/cloud/seed",
    "seed/meta-data",
    "seed/user-data",
    "seed",
    "openstack/latest/meta_data.json",
    "openstack/latest/user_data",
    "openstack/latest",
    "openstack/2018-08-27/meta_data.json",
    "openstack",
    "etc/hostname",
    "meta-data",
};

const fs::path & work()
{
    static const fs::path dir = [] {
        fs::path d = fs::temp_directory_path() / ("imprint-fuzz-media-" + std::to_string(::getpid()));
        fs::create_directories(d);
        // Readable as meta-data and as a config drive's JSON: had a link reached it, it would show.
        std::string secret = std::string("{\"uuid\": \"") + kMarker + "\", \"hostname\": \"" + kMarker + "\"}\n";
        FILE * f = std::fopen((d / "secret").c_str(), "w");
        std::fwrite(secret.data(), 1, secret.size(), f);
        std::fclose(f);
        return d;
    }();
    return dir;
}

void makeEntry(const fs::path & root, unsigned kind, const std::string & name, const std::string & text)
{
    fs::path p = root / name;
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    if (fs::exists(fs::symlink_status(p, ec)))
        return;
    std::string target = text == "@" ? (work() / "secret").string() : text;
    switch (kind % 4) {
    case 0: {
        FILE * f = std::fopen(p.c_str(), "w");
        if (f) {
            std::fwrite(text.data(), 1, text.size(), f);
            std::fclose(f);
        }
        break;
    }
    case 1: fs::create_symlink(target.empty() ? "." : target, p, ec); break;
    case 2: ::mkfifo(p.c_str(), 0644); break;
    case 3: fs::create_directories(p, ec); break;
    }
}

void checkNoSecret(const SourceData & d)
{
    std::string seen = d.instanceId + d.localHostname.value_or("") + d.userData.value_or("");
    for (const auto & k : d.publicKeys)
        seen += k;
    if (seen.find(kMarker) != std::string::npos)
        __builtin_trap();  // a link led out of the tree
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    fs::path root = work() / "tree";
    std::error_code ec;
    fs::remove_all(root, ec);
    fs::create_directories(root);
    std::size_t i = 0;
    for (int entries = 0; i + 2 <= size && entries < 16; ++entries) {
        unsigned kind = data[i], name = data[i + 1] % std::size(kNames);
        i += 2;
        std::string text;
        while (i < size && data[i] != 0 && text.size() < 4096)
            text += static_cast<char>(data[i++]);
        ++i;
        makeEntry(root, kind, kNames[name], text);
    }

    Host host(root);
    Config config;
    const Provider * nocloud = findProvider("nocloud");
    const Provider * configDrive = findProvider("configdrive");
    for (auto location : {std::optional<std::string>(), std::optional<std::string>((root / "seed").string())}) {
        fuzz::expectOnlyError([&] {
            if (!location && !nocloud->detect(host, config))
                return;
            checkNoSecret(nocloud->fetch(FetchContext{host, config, location}));
        });
    }
    fuzz::expectOnlyError([&] { checkNoSecret(configDrive->fetch(FetchContext{host, config, root.string()})); });
    return 0;
}
