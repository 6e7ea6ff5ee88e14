// The live host name through org.freedesktop.hostname1 (a stand-in on a private dbus-daemon),
// and the sethostname(2) fallback when hostnamed is not there.

#include "agent/system/sd-bus.hh"
#include "agent/system/systemd.hh"
#include "tests/support/dbus-helpers.hh"
#include "tests/support/systemd-standin-helpers.hh"

#include <gtest/gtest.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace imprint;
using namespace imprint::test;

namespace {

struct RecordingSetter : HostnameSetter
{
    std::vector<std::string> names;
    std::string describe() const override { return "recording"; }
    void setHostname(const std::string & name) override { names.push_back(name); }
};

class SystemdHostnameTest : public ::testing::Test
{
protected:
    void SetUp() override
    {
        if (!haveDbusDaemon())
            GTEST_SKIP() << "dbus-daemon is not installed (scripts/install-deps.sh --tests installs it): "
                            "the hostnamed path is NOT tested";
        bus_ = std::make_unique<PrivateBus>();
    }
    void TearDown() override
    {
        standIns_.reset();
        bus_.reset();
    }
    BusStandIns & standIns(StandInOptions options)
    {
        standIns_ = std::make_unique<BusStandIns>(std::move(options));
        return *standIns_;
    }

    std::unique_ptr<PrivateBus> bus_;
    std::unique_ptr<BusStandIns> standIns_;
};

} // namespace

TEST_F(SystemdHostnameTest, SetsTheTransientNameThroughHostnamed)
{
    auto & fake = standIns({});
    auto fallback = std::make_unique<RecordingSetter>();
    auto * fb = fallback.get();
    HostnamedSetter setter(std::move(fallback));
    setter.setHostname("web-1");

    EXPECT_EQ(fake.hostnames(), std::vector<std::string>{"web-1"});
    auto calls = fake.calls();
    EXPECT_EQ(std::count(calls.begin(), calls.end(), "SetStaticHostname"), 0)
        << "NixOS refuses SetStaticHostname; the static name comes from the rebuild";
    EXPECT_TRUE(fb->names.empty());
}

TEST_F(SystemdHostnameTest, HostnamedAbsentFallsBack)
{
    standIns({.systemd = true, .hostnamed = false});
    auto fallback = std::make_unique<RecordingSetter>();
    auto * fb = fallback.get();
    HostnamedSetter setter(std::move(fallback));
    setter.setHostname("web-2");
    EXPECT_EQ(fb->names, std::vector<std::string>{"web-2"});
}

TEST_F(SystemdHostnameTest, NoBusAtAllFallsBack)
{
    bus_.reset();  // the daemon is gone; the address now points at nothing
    setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/imprint-test-bus", 1);
    auto fallback = std::make_unique<RecordingSetter>();
    auto * fb = fallback.get();
    HostnamedSetter setter(std::move(fallback));
    setter.setHostname("web-3");
    unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
    EXPECT_EQ(fb->names, std::vector<std::string>{"web-3"});
}

TEST_F(SystemdHostnameTest, RefusalIsAnErrorNotAFallback)
{
    standIns({.systemd = true, .hostnamed = true, .hostnamedDenies = true});
    auto fallback = std::make_unique<RecordingSetter>();
    auto * fb = fallback.get();
    HostnamedSetter setter(std::move(fallback));
    try {
        setter.setHostname("web-4");
        FAIL() << "expected an error";
    } catch (bus::BusError & e) {
        EXPECT_EQ(e.name(), "org.freedesktop.DBus.Error.AccessDenied");
        EXPECT_NE(std::string(e.what()).find("org.freedesktop.hostname1.SetHostname"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("web-4"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(fb->names.empty());
}

// The real fallback, sethostname(2), in a child process inside its own UTS namespace (needs
// CAP_SYS_ADMIN): the machine's own host name is never touched.
TEST_F(SystemdHostnameTest, KernelFallbackInAPrivateUtsNamespace)
{
    standIns({.systemd = true, .hostnamed = false});
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        if (unshare(CLONE_NEWUTS) != 0)
            _exit(errno == EPERM ? 77 : 2);
        try {
            HostnamedSetter setter;  // the default fallback: KernelHostnameSetter
            setter.setHostname("imprint-uts-test");
        } catch (...) {
            _exit(3);
        }
        char name[HOST_NAME_MAX + 1] = {};
        gethostname(name, sizeof name);
        _exit(std::string(name) == "imprint-uts-test" ? 0 : 4);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77)
        GTEST_SKIP() << "unshare(CLONE_NEWUTS) is not permitted here: the sethostname(2) fallback is NOT tested for real";
    EXPECT_EQ(WEXITSTATUS(status), 0) << "2: unshare failed, 3: setHostname threw, 4: name not set";
}
