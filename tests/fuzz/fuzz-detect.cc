// Detection from local signals: DMI values and the kernel command line (quotes, ds=, ci.ds=,
// imprint.source=) written into a fake root. The input is split at NUL bytes into the files.
#include "agent/cli/config.hh"
#include "agent/detect/detect.hh"
#include "agent/system/host.hh"
#include "tests/fuzz/fuzz-common.hh"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace imprint;
namespace fs = std::filesystem;

namespace {

const fs::path & fakeRoot()
{
    static fs::path root = [] {
        char tmpl[] = "/tmp/imprint-fuzz-detect-XXXXXX";
        if (!::mkdtemp(tmpl))
            std::abort();
        fs::path r = tmpl;
        fs::create_directories(r / "sys/class/dmi/id");
        fs::create_directories(r / "proc");
        std::atexit([] { std::error_code ec; fs::remove_all(fakeRoot(), ec); });
        return r;
    }();
    return root;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    static const char * files[] = {"proc/cmdline", "sys/class/dmi/id/product_serial", "sys/class/dmi/id/sys_vendor",
                                   "sys/class/dmi/id/product_name", "sys/class/dmi/id/product_uuid",
                                   "sys/class/dmi/id/chassis_asset_tag", "sys/class/dmi/id/board_name"};
    auto text = fuzz::asText(data, size);
    const fs::path & root = fakeRoot();
    std::size_t from = 0;
    for (const char * f : files) {
        std::error_code ec;
        fs::remove(root / f, ec);
        if (from > text.size())
            continue;
        auto nul = text.find('\0', from);
        auto part = text.substr(from, nul == std::string_view::npos ? std::string_view::npos : nul - from);
        std::ofstream(root / f, std::ios::binary) << part;
        from = nul == std::string_view::npos ? text.size() + 1 : nul + 1;
    }
    Host host(root);
    Config config;
    fuzz::expectOnlyError([&] { (void) detectSource(host, config); });
    return 0;
}
