// Detection from local signals, one fake root per platform (DMI files as the platform sets
// them), negatives (a laptop, an empty root, near misses), and the proof that detection and a
// failed run with no signal open no network socket.

#include "agent/detect/detect.hh"
#include "providers/metadata.hh"
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
namespace fs = std::filesystem;

namespace {

class FakeRoot
{
public:
    FakeRoot()
    {
        std::string tmpl = "/tmp/imprint-detect-XXXXXX";
        dir_ = ::mkdtemp(tmpl.data());
    }
    ~FakeRoot()
    {
        for (int fd : sockets_)
            ::close(fd);
        fs::remove_all(dir_);
    }
    const std::string & dir() const { return dir_; }
    void file(const std::string & hostPath, const std::string & content)
    {
        fs::path p = fs::path(dir_) / hostPath.substr(1);
        fs::create_directories(p.parent_path());
        std::ofstream(p) << content;
    }
    void dmi(const std::map<std::string, std::string> & values)
    {
        for (const auto & [k, v] : values)
            file("/sys/class/dmi/id/" + k, v + "\n");  // the kernel ends each value with a newline
    }
    void socket(const std::string & hostPath)
    {
        fs::path p = fs::path(dir_) / hostPath.substr(1);
        fs::create_directories(p.parent_path());
        int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, p.c_str(), sizeof a.sun_path - 1);
        ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a), 0) << p;
        sockets_.push_back(fd);
    }
    std::optional<Detection> detect(const Config & config = Config{}) const { return detectSource(Host(dir_), config); }

private:
    std::string dir_;
    std::vector<int> sockets_;
};

// A QEMU/KVM laptop-ish baseline most fake roots start from.
const std::map<std::string, std::string> kLaptop{
    {"sys_vendor", "LENOVO"}, {"product_name", "20XWCTO1WW"}, {"product_serial", "PF2ABCDE"},
    {"product_uuid", "4c4c4544-0042-3510-8052-b4c04f4e3332"}, {"chassis_asset_tag", "No Asset Information"},
    {"board_name", "20XWCTO1WW"}};

std::map<std::string, std::string> with(std::map<std::string, std::string> base, const std::map<std::string, std::string> & over)
{
    for (const auto & [k, v] : over)
        base[k] = v;
    return base;
}

} // namespace

TEST(PlatformDetect, EachPlatformFromItsDmi)
{
    struct Row { std::string expect; std::map<std::string, std::string> dmi; std::string signalPart; };
    const Row rows[] = {
        {"ec2", {{"sys_vendor", "Amazon EC2"}, {"product_name", "t3.micro"}, {"product_uuid", "EC2E1916-9099-7CAF-FD21-012345ABCDEF"}}, "product_uuid"},
        {"ec2", {{"sys_vendor", "Xen"}, {"product_uuid", "45E12AEC-DCD1-B213-94ED-012345ABCDEF"}}, "product_uuid"},  // byte-swapped
        {"gce", {{"sys_vendor", "Google"}, {"product_name", "Google Compute Engine"}, {"product_serial", "GoogleCloud-8F1E2D3C"}}, "product_name"},
        {"gce", {{"sys_vendor", "QEMU"}, {"product_name", "Standard PC"}, {"product_serial", "GoogleCloud-8F1E2D3C"}}, "product_serial"},
        {"azure", {{"sys_vendor", "Microsoft Corporation"}, {"product_name", "Virtual Machine"}, {"chassis_asset_tag", "7783-7084-3265-9085-8269-3286-77"}}, "chassis_asset_tag"},
        {"openstack", {{"sys_vendor", "OpenStack Foundation"}, {"product_name", "OpenStack Nova"}}, "product_name"},
        {"openstack", {{"sys_vendor", "QEMU"}, {"product_name", "Standard PC"}, {"chassis_asset_tag", "OpenTelekomCloud"}}, "chassis_asset_tag"},
        {"openstack", {{"chassis_asset_tag", "HUAWEICLOUD"}}, "chassis_asset_tag"},
        {"digitalocean", {{"sys_vendor", "DigitalOcean"}, {"product_name", "Droplet"}}, "sys_vendor"},
        {"hetzner", {{"sys_vendor", "Hetzner"}, {"product_name", "vServer"}}, "sys_vendor"},
        {"oracle", {{"sys_vendor", "QEMU"}, {"chassis_asset_tag", "OracleCloud.com"}}, "chassis_asset_tag"},
    };
    for (const auto & r : rows) {
        FakeRoot root;
        root.dmi(with(kLaptop, r.dmi));
        auto d = root.detect();
        ASSERT_TRUE(d) << r.expect;
        EXPECT_EQ(d->provider->name(), r.expect);
        EXPECT_NE(d->signal.find(r.signalPart), std::string::npos) << d->signal;
    }
}

TEST(PlatformDetect, Ec2FromXenHypervisorUuid)
{
    FakeRoot root;
    root.file("/sys/hypervisor/uuid", "ec2a8f3c-1d2e-4f5a-9b8c-7d6e5f4a3b2c\n");
    auto d = root.detect();
    ASSERT_TRUE(d);
    EXPECT_EQ(d->provider->name(), "ec2");
    EXPECT_NE(d->signal.find("/sys/hypervisor/uuid"), std::string::npos);
}

TEST(PlatformDetect, ConfigDriveBeatsTheOpenStackMetadataService)
{
    for (const char * label : {"config-2", "CONFIG-2"}) {
        FakeRoot root;
        root.dmi(with(kLaptop, {{"product_name", "OpenStack Nova"}}));
        root.file(std::string("/dev/disk/by-label/") + label, "");
        auto d = root.detect();
        ASSERT_TRUE(d);
        EXPECT_EQ(d->provider->name(), "configdrive");
        EXPECT_NE(d->signal.find(label), std::string::npos);
        // And the metadata service refuses by itself, whatever the order.
        EXPECT_FALSE(findProvider("openstack")->detect(Host(root.dir()), Config{}));
    }
}

TEST(PlatformDetect, IncusAndLxdSockets)
{
    for (const char * sock : {"/dev/incus/sock", "/dev/lxd/sock"}) {
        FakeRoot root;
        root.socket(sock);
        auto d = root.detect();
        ASSERT_TRUE(d) << sock;
        EXPECT_EQ(d->provider->name(), "incus");
        EXPECT_NE(d->signal.find(sock), std::string::npos);
    }
    // A regular file where the socket should be is not a socket.
    FakeRoot root;
    root.file("/dev/incus/sock", "");
    EXPECT_FALSE(root.detect());
}

TEST(PlatformDetect, NegativesAndNearMisses)
{
    {
        FakeRoot empty;
        EXPECT_FALSE(empty.detect());
    }
    const std::map<std::string, std::string> nearMisses[] = {
        kLaptop,
        {{"sys_vendor", "QEMU"}, {"product_name", "Standard PC (Q35 + ICH9, 2009)"}},
        {{"product_uuid", "EC1E1916-9099-7CAF-FD21-012345ABCDEF"}},
        {{"product_uuid", "not-a-uuid"}},
        {{"product_name", "Google Compute Engine Emulator"}},
        {{"product_serial", "Google-Cloud-123"}},
        {{"chassis_asset_tag", "7783-7084-3265-9085-8269-3286-78"}},
        {{"chassis_asset_tag", "OracleCloud"}},
        {{"sys_vendor", "DigitalOcean, LLC"}},
        {{"sys_vendor", "hetzner"}},
        {{"product_name", "OpenStack"}},
    };
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

TEST(PlatformDetect, ParsersOfLocalSignals)
{
    EXPECT_TRUE(isEc2ProductUuid("ec2a8f3c-0000-0000-0000-000000000000"));
    EXPECT_TRUE(isEc2ProductUuid("45E12AEC-DCD1-B213-94ED-012345ABCDEF"));
    EXPECT_FALSE(isEc2ProductUuid("4c4c4544-0042-3510-8052-b4c04f4e3332"));
    EXPECT_FALSE(isEc2ProductUuid("ec"));
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
