// Detection from local signals: every machine each provider folder declares
// (providers/<name>/tests/stand-in.cc, DMI files as the platform sets them), negatives (a laptop,
// an empty root, every folder's near misses), and the proof that detection and a failed run with
// no signal open no network socket.

#include "agent/detect/detect.hh"
#include "tests/support/detect-helpers.hh"
#include "tests/support/platform-server-helpers.hh"
#include "tests/support/http-server-helpers.hh"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

using namespace imprint;
using namespace imprint::test;
namespace fs = std::filesystem;






TEST(PlatformDetect, EachProviderOnTheMachinesItsFolderDeclares)
{
    std::size_t cases = 0;
    for (const ProviderTable * t : providerTables())
        for (const auto & c : t->detectedOn) {
            FakeRoot root;
            root.dmi(kLaptop);
            for (const auto & [path, content] : c.files)
                root.file(path, content);
            auto d = root.detect();
            ASSERT_TRUE(d) << t->platform << " not detected";
            EXPECT_EQ(d->provider->name(), t->platform);
            EXPECT_NE(d->signal.find(c.signalPart), std::string::npos) << d->signal;
            ++cases;
        }
    EXPECT_GE(cases, 10u);
}

TEST(PlatformDetect, NegativesAndNearMisses)
{
    {
        FakeRoot empty;
        EXPECT_FALSE(empty.detect());
    }
    std::vector<std::map<std::string, std::string>> nearMisses = {
        kLaptop,
        {{"sys_vendor", "QEMU"}, {"product_name", "Standard PC (Q35 + ICH9, 2009)"}},
    };
    for (const ProviderTable * t : providerTables())
        nearMisses.insert(nearMisses.end(), t->nearMisses.begin(), t->nearMisses.end());
    for (const auto & dmi : nearMisses) {
        FakeRoot root;
        root.dmi(dmi);
        auto d = root.detect();
        EXPECT_FALSE(d) << "detected " << (d ? d->provider->name() + " from " + d->signal : "");
    }
}

TEST(PlatformDetect, ExplicitChoiceWins)
{
    FakeRoot root;
    root.dmi(with(kLaptop, {{"sys_vendor", "Hetzner"}}));
    root.file("/proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda1 imprint.source=gce quiet\n");
    auto d = root.detect();
    ASSERT_TRUE(d);
    EXPECT_EQ(d->provider->name(), "gce");
}


// ---- no packet without a signal ----

namespace {

bool haveStrace()
{
    return fs::exists("/usr/bin/strace") || fs::exists("/bin/strace");
}

// AF_INET / AF_INET6 socket() and connect() calls seen by strace.
std::vector<std::string> networkCalls(const std::string & traceFile)
{
    std::ifstream in(traceFile);
    std::vector<std::string> calls;
    std::string line;
    while (std::getline(in, line))
        if (line.find("AF_INET") != std::string::npos || line.find("AF_NETLINK") != std::string::npos)
            calls.push_back(line);
    return calls;
}

} // namespace

TEST(NoSignalNoPacket, DetectAndRunOpenNoNetworkSocket)
{
    if (!haveStrace())
        GTEST_SKIP() << "strace is not installed (scripts/install-deps.sh installs it): cannot count socket calls";
    for (const char * variant : {"empty", "laptop"}) {
        FakeRoot root;
        if (std::string(variant) == "laptop")
            root.dmi(kLaptop);
        for (std::vector<std::string> cmd : {std::vector<std::string>{"detect"}, {"--json", "detect"}, {"run"}, {"fetch"}}) {
            std::string trace = root.dir() + "/strace.out";
            std::vector<std::string> argv{"/usr/bin/strace", "-f", "-qq", "-e", "trace=socket,connect", "-o", trace,
                                          IMPRINT_BINARY, "--root", root.dir()};
            argv.insert(argv.end(), cmd.begin(), cmd.end());
            auto r = imprint::test::runCapture(argv, {}, std::chrono::seconds(60));
            std::string what = std::string(variant) + " root, imprint " + cmd.back();
            EXPECT_EQ(r.exitCode, 3) << what << ": " << r.err;
            EXPECT_LT(r.elapsed, std::chrono::milliseconds(5000)) << what;  // at once, nothing waited for
            auto calls = networkCalls(trace);
            EXPECT_TRUE(calls.empty()) << what << " opened: " << (calls.empty() ? "" : calls.front());
            fs::remove(trace);
        }
    }
}

TEST(NoSignalNoPacket, ExitsAtOnceInAnEmptyNetworkNamespace)
{
    // Belt and braces: with no network at all, the answer is the same and immediate.
    if (::geteuid() != 0 || !fs::exists("/usr/bin/unshare"))
        GTEST_SKIP() << "needs root and unshare(1) to create an empty network namespace";
    FakeRoot root;
    auto r = imprint::test::runCapture({"/usr/bin/unshare", "-n", IMPRINT_BINARY, "--root", root.dir(), "run"});
    if (r.exitCode != 3 && r.err.find("unshare failed") != std::string::npos)
        GTEST_SKIP() << "unshare -n is not permitted here: " << r.err;
    EXPECT_EQ(r.exitCode, 3) << r.err;
    EXPECT_LT(r.elapsed, std::chrono::milliseconds(5000));
}
