// Secrets never leave the raw user-data file: a sentinel planted in every secret-bearing key of
// cloud-config (chpasswd, password, users[].passwd/hashed_passwd/plain_text_passwd, tokens,
// write_files, a shell-script part) must not appear in anything imprint prints or writes, except
// /run/imprint/user-data, which is kept 0600 by design. And the modes of what a run writes do not
// depend on the umask it was started with.

#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>

#include <sys/stat.h>

using namespace imprint::test;
namespace fs = std::filesystem;

namespace {

const std::string kSentinel = "S3NT1NEL-c0ffee-4f2a";
const std::string kKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGo3xqU0rJp7ZCt6ZUvm0h3c9k5d0dC1l0kSmwNtJ0Fa one@example";

std::string secretUserData()
{
    const std::string s = kSentinel;
    std::string cloudConfig =
        "#cloud-config\n"
        "hostname: vault-1\n"
        "password: pw-" + s + "\n"
        "chpasswd:\n  expire: false\n  list: |\n    root:list-" + s + "\n  users:\n    - {name: root, password: users-" + s + ", type: text}\n"
        "ssh_pwauth: true\n"
        "users:\n"
        "  - name: alice\n    passwd: $6$rounds=4096$" + s + "\n    hashed_passwd: hash-" + s + "\n"
        "    plain_text_passwd: plain-" + s + "\n    ssh_authorized_keys:\n      - " + kKey + "\n"
        "write_files:\n  - path: /etc/token\n    content: token-" + s + "\n"
        "runcmd:\n  - [sh, -c, \"echo cmd-" + s + "\"]\n"
        "api_token: tok-" + s + "\n"
        "ubuntu_advantage:\n  token: ua-" + s + "\n";
    std::string script = "#!/bin/sh\necho script-" + s + "\n";
    return "Content-Type: multipart/mixed; boundary=\"BOUNDARY\"\nMIME-Version: 1.0\n\n"
           "--BOUNDARY\nContent-Type: text/cloud-config; charset=\"us-ascii\"\n\n" + cloudConfig +
           "--BOUNDARY\nContent-Type: text/x-shellscript\n\n" + script + "--BOUNDARY--\n";
}

void plant(const FakeMachine & m)
{
    m.writeConfig();
    fs::path seed = m.root() / "var/lib/cloud/seed/nocloud";
    writeFile(seed / "meta-data", "instance-id: iid-secret\nlocal-hostname: vault-1\n");
    writeFile(seed / "user-data", secretUserData());
}

std::string where(const Result & r) { return "stdout:\n" + r.out + "\nstderr:\n" + r.err; }

} // namespace

TEST(Secrets, SentinelAppearsNowhereButTheRawUserData)
{
    FakeMachine m;
    plant(m);
    std::vector<Result> results;
    for (std::vector<std::string> args : {std::vector<std::string>{"-v", "detect"}, {"-v", "--json", "fetch"}, {"-v", "render"},
                                          {"-v", "run", "--dry-run"}, {"-v", "run"}, {"-v", "--json", "status"},
                                          {"-v", "run", "--force"}, {"-v", "status"}}) {
        std::vector<std::string> all{"--no-systemd", "--root", m.root().string()};
        all.insert(all.end(), args.begin(), args.end());
        auto r = runImprint(all, m.env());
        EXPECT_EQ(r.exitCode, 0) << args.back() << "\n" << where(r);
        EXPECT_EQ(r.out.find(kSentinel), std::string::npos) << "the sentinel is on stdout of " << args.back() << "\n" << where(r);
        EXPECT_EQ(r.err.find(kSentinel), std::string::npos) << "the sentinel is in the log of " << args.back() << "\n" << where(r);
        results.push_back(r);
    }
    // The run did happen: the overlay has the user's key, so the cloud-config was read.
    std::string overlay = readFile(m.root() / "var/lib/imprint/host.nix");
    EXPECT_NE(overlay.find("AAAAC3NzaC1lZDI1NTE5AAAAIGo3xqU0rJp7ZCt6ZUvm0h3c9k5d0dC1l0kSmwNtJ0Fa"), std::string::npos) << overlay;

    // Every file under the fake root but the seed (the input itself).
    fs::path seed = m.root() / "var/lib/cloud/seed";
    bool sawRaw = false;
    for (auto it = fs::recursive_directory_iterator(m.root()); it != fs::recursive_directory_iterator(); ++it) {
        if (it->path() == seed) {
            it.disable_recursion_pending();
            continue;
        }
        if (!it->is_regular_file())
            continue;
        std::string text = readFile(it->path());
        if (text.find(kSentinel) == std::string::npos)
            continue;
        struct stat st{};
        ASSERT_EQ(::stat(it->path().c_str(), &st), 0);
        EXPECT_EQ(it->path(), m.root() / "run/imprint/user-data") << "the sentinel is in " << it->path();
        EXPECT_EQ(st.st_mode & 0077, 0u) << it->path() << " holds the sentinel and is readable by others";
        sawRaw = true;
    }
    EXPECT_TRUE(sawRaw) << "the raw user-data was expected in /run/imprint/user-data (0600)";
    // Nor in the rebuild's argv.
    for (const auto & call : m.stubCalls())
        EXPECT_EQ(call.find(kSentinel), std::string::npos) << call;
}

TEST(Secrets, ErrorsAboutSecretKeysDoNotQuoteThem)
{
    // A malformed document around a secret: the parse error must not echo the secret line.
    FakeMachine m;
    m.writeConfig();
    fs::path seed = m.root() / "var/lib/cloud/seed/nocloud";
    writeFile(seed / "meta-data", "instance-id: iid-secret\n");
    writeFile(seed / "user-data", "#cloud-config\npassword: " + kSentinel + "\nusers: [ {name: a, passwd: " + kSentinel + "\n");
    auto r = runImprint({"--no-systemd", "--root", m.root().string(), "-v", "run"}, m.env());
    EXPECT_NE(r.exitCode, 0);
    EXPECT_EQ(r.err.find(kSentinel), std::string::npos) << where(r);
    EXPECT_EQ(r.out.find(kSentinel), std::string::npos) << where(r);
}

class FileModes : public ::testing::TestWithParam<mode_t>
{
};

TEST_P(FileModes, DoNotDependOnTheUmask)
{
    FakeMachine m;
    plant(m);
    mode_t old = ::umask(GetParam());
    auto r = runImprint({"--no-systemd", "--root", m.root().string(), "run"}, m.env());
    ::umask(old);
    ASSERT_EQ(r.exitCode, 0) << where(r);
    auto mode = [&](const std::string & rel) {
        struct stat st{};
        EXPECT_EQ(::stat((m.root() / rel).c_str(), &st), 0) << rel;
        return st.st_mode & 07777;
    };
    EXPECT_EQ(mode("var/lib/imprint/state.json"), 0600u);
    EXPECT_EQ(mode("run/imprint/user-data"), 0600u);
    EXPECT_EQ(mode("var/lib/imprint/host.nix"), 0644u);
    EXPECT_EQ(mode("run/imprint/instance.json"), 0644u);
    // Nothing imprint created is writable by group or others. (Under umask 0 the directories are:
    // see DirectoriesIgnoreAZeroUmask below.)
    for (const auto & e : fs::recursive_directory_iterator(m.root())) {
        if (GetParam() == 0 && e.is_directory())
            continue;
        if (e.path().string().find("/var/lib/cloud/seed") != std::string::npos || e.path().string().find("/etc/imprint") != std::string::npos ||
            e.path().filename() == "stub.log")
            continue;
        struct stat st{};
        ASSERT_EQ(::lstat(e.path().c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0022, 0u) << e.path() << " is writable by group or others (umask " << std::oct << GetParam() << ")";
    }
    // Changing the instance keeps the modes (the files are replaced, not rewritten in place).
    writeFile(m.root() / "var/lib/cloud/seed/nocloud/meta-data", "instance-id: iid-other\nlocal-hostname: vault-2\n");
    writeFile(m.root() / "var/lib/cloud/seed/nocloud/user-data", "#cloud-config\nhostname: vault-2\n");
    old = ::umask(GetParam());
    r = runImprint({"--no-systemd", "--root", m.root().string(), "run"}, m.env());
    ::umask(old);
    ASSERT_EQ(r.exitCode, 0) << where(r);
    EXPECT_EQ(mode("var/lib/imprint/state.json"), 0600u);
    EXPECT_EQ(mode("run/imprint/user-data"), 0600u);
    EXPECT_EQ(mode("var/lib/imprint/host.nix"), 0644u);
    EXPECT_EQ(mode("var/lib/imprint/host.nix.previous"), 0644u);
    EXPECT_EQ(mode("run/imprint/instance.json"), 0644u);
}

INSTANTIATE_TEST_SUITE_P(Umask, FileModes, ::testing::Values(mode_t{0000}, mode_t{0022}, mode_t{0077}),
                         [](const auto & info) { return "umask" + std::to_string(info.param); });

// The directories imprint creates get exactly their mode, whatever the umask: /run/imprint holds
// the lock, instance.json and the raw user-data.
TEST(FileModes, DirectoriesIgnoreAZeroUmask)
{
    FakeMachine m;
    plant(m);
    mode_t old = ::umask(0);
    auto r = runImprint({"--no-systemd", "--root", m.root().string(), "run"}, m.env());
    ::umask(old);
    ASSERT_EQ(r.exitCode, 0) << where(r);
    for (const char * dir : {"run/imprint", "var/lib/imprint"}) {
        struct stat st{};
        ASSERT_EQ(::stat((m.root() / dir).c_str(), &st), 0) << dir;
        EXPECT_EQ(st.st_mode & 0022, 0u) << dir << " is writable by group or others";
    }
}

TEST(Secrets, MalformedJsonDoesNotEchoASecret)
{
    // nlohmann's parse errors quote the last token read ("last read: '...'"): an OpenStack
    // meta_data.json cut short inside admin_pass must not bring the password into the log.
    FakeMachine m;
    m.writeConfig();
    fs::path drive = m.root() / "media/config-2";
    for (std::string doc : {"{\"uuid\": \"u-1\", \"admin_pass\": \"" + kSentinel,
                            "{\"uuid\": \"u-1\", \"admin_pass\": \"" + kSentinel + "\" \"x\"}",
                            "{\"uuid\": \"u-1\", \"admin_pass\": " + kSentinel + "}"}) {
        writeFile(drive / "openstack/latest/meta_data.json", doc);
        auto r = runImprint({"--no-systemd", "--root", m.root().string(), "--source", "configdrive:" + drive.string(), "-v", "fetch"},
                            m.env());
        EXPECT_NE(r.exitCode, 0) << doc;
        EXPECT_EQ(r.err.find(kSentinel.substr(0, 8)), std::string::npos) << doc << "\n" << where(r);
        EXPECT_EQ(r.out.find(kSentinel.substr(0, 8)), std::string::npos) << doc << "\n" << where(r);
    }
}
