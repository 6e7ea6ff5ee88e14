#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <set>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

extern char ** environ;

namespace imprint::test {

namespace fs = std::filesystem;

TempDir::TempDir()
{
    const char * base = std::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/imprint-test.XXXXXX";
    if (!::mkdtemp(templ.data()))
        throw std::runtime_error("mkdtemp failed");
    path_ = templ;
}

TempDir::~TempDir()
{
    std::error_code ec;
    fs::remove_all(path_, ec);
}

void writeFile(const fs::path & path, const std::string & data)
{
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << data;
    if (!out)
        throw std::runtime_error("cannot write " + path.string());
}

std::string readFile(const fs::path & path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

fs::path fixture(const std::string & rel)
{
    if (rel.starts_with("/"))
        return rel;
    // "<provider>/<case>/..." lives in the provider's folder; the rest (golden overlays,
    // mountinfo) in tests/fixtures.
    auto slash = rel.find('/');
    fs::path providerFixtures = fs::path(IMPRINT_SOURCE_DIR) / "providers" / rel.substr(0, slash) / "fixtures";
    if (slash != std::string::npos && fs::is_directory(providerFixtures))
        return providerFixtures / rel.substr(slash + 1);
    return fs::path(IMPRINT_FIXTURES_DIR) / rel;
}

void copyTree(const fs::path & from, const fs::path & to)
{
    fs::create_directories(to);
    fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::overwrite_existing | fs::copy_options::copy_symlinks);
}

Result runProcessEnv(const std::vector<std::string> & argv, const std::vector<std::string> & extraEnv,
                     std::chrono::milliseconds timeout)
{
    int outPipe[2], errPipe[2];
    if (::pipe2(outPipe, O_CLOEXEC) != 0 || ::pipe2(errPipe, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2);

    // The additions replace variables of the same name (getenv would find the first one).
    auto nameOf = [](const std::string & kv) { return kv.substr(0, kv.find('=')); };
    std::set<std::string> replaced;
    for (const auto & kv : extraEnv)
        replaced.insert(nameOf(kv));
    std::vector<std::string> envStrings;
    for (char ** e = environ; *e; ++e)
        if (!replaced.count(nameOf(*e)))
            envStrings.emplace_back(*e);
    envStrings.insert(envStrings.end(), extraEnv.begin(), extraEnv.end());
    std::vector<char *> envp, args;
    for (auto & s : envStrings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> argvCopy = argv;
    for (auto & s : argvCopy) args.push_back(s.data());
    args.push_back(nullptr);

    auto started = std::chrono::steady_clock::now();
    pid_t pid;
    int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(outPipe[1]);
    ::close(errPipe[1]);
    if (rc != 0) {
        ::close(outPipe[0]);
        ::close(errPipe[0]);
        throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(rc));
    }
    Result r;
    std::array<pollfd, 2> fds{{{outPipe[0], POLLIN, 0}, {errPipe[0], POLLIN, 0}}};
    int open = 2;
    bool killed = false;
    char buf[65536];
    while (open > 0) {
        auto left = timeout - std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        if (left.count() <= 0 && !killed) {
            ::kill(pid, SIGKILL);
            killed = true;
        }
        if (::poll(fds.data(), fds.size(), killed ? 1000 : static_cast<int>(std::min<long long>(left.count(), 1000))) < 0)
            continue;
        for (auto & f : fds) {
            if (f.fd < 0 || !(f.revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = ::read(f.fd, buf, sizeof buf);
            if (n <= 0) {
                ::close(f.fd);
                f.fd = -1;
                --open;
            } else {
                (&f == &fds[0] ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
            }
        }
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

Result runProcess(const std::vector<std::string> & argv, const std::map<std::string, std::string> & env, int timeoutSeconds)
{
    std::vector<std::string> extra;
    for (const auto & [k, v] : env)
        extra.push_back(k + "=" + v);
    return runProcessEnv(argv, extra, std::chrono::seconds(timeoutSeconds));
}

Result runImprint(const std::vector<std::string> & args, const std::map<std::string, std::string> & env)
{
    std::vector<std::string> argv{IMPRINT_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return runProcess(argv, env);
}

std::map<std::string, std::string> FakeMachine::env() const
{
    return {{"IMPRINT_STUB_LOG", stubLog().string()}, {"IMPRINT_STUB_EXIT", stubExit().string()}};
}

void FakeMachine::writeConfig(const std::string & extraYaml) const
{
    writeFile(root() / "etc/imprint/imprint.yaml",
              std::string("rebuild:\n  command: [\"") + IMPRINT_STUB_REBUILD + "\"]\n" + extraYaml);
}

void FakeMachine::installSeed(const std::string & fixtureDir) const
{
    fs::path seed = root() / "var/lib/cloud/seed/nocloud";
    fs::remove_all(seed);
    copyTree(fixture(fixtureDir), seed);
}

std::vector<std::string> FakeMachine::stubCalls() const
{
    std::vector<std::string> calls;
    if (!fs::exists(stubLog()))
        return calls;
    std::istringstream in(readFile(stubLog()));
    for (std::string line; std::getline(in, line);)
        calls.push_back(line);
    return calls;
}

bool haveNix()
{
    static const bool have = [] {
        try {
            return runProcess({"nix-instantiate", "--version"}).exitCode == 0;
        } catch (...) {
            return false;
        }
    }();
    return have;
}

std::string nixParseError(const std::string & nixText)
{
    TempDir dir;
    writeFile(dir / "overlay.nix", nixText);
    auto r = runProcess({"nix-instantiate", "--parse", (dir / "overlay.nix").string()}, {{"NIX_STATE_DIR", (dir / "state").string()}});
    return r.exitCode == 0 ? "" : (r.err.empty() ? "nix-instantiate failed" : r.err);
}

std::optional<std::string> nixEvalModule(const std::string & nixText, std::string * error)
{
    TempDir dir;
    writeFile(dir / "overlay.nix", nixText);
    // The stub lib: mkOverride exactly as nixpkgs defines it, so priorities are visible in the JSON.
    std::string expr = "let lib = { mkOverride = priority: content: { _type = \"override\"; inherit priority content; };"
                       " mkDefault = lib.mkOverride 1000; mkForce = lib.mkOverride 50; };"
                       " in builtins.removeAttrs (import " + (dir / "overlay.nix").string() +
                       " { inherit lib; config = {}; options = {}; pkgs = {}; }) [ \"warnings\" ]";
    auto r = runProcess({"nix-instantiate", "--store", "dummy://", "--eval", "--strict", "--json", "--expr", expr},
                        {{"NIX_STATE_DIR", (dir / "state").string()}, {"HOME", dir.path().string()}});
    if (r.exitCode != 0) {
        if (error)
            *error = r.err;
        return std::nullopt;
    }
    return r.out;
}

std::string gzip(std::string_view data, int level)
{
    z_stream zs{};
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("deflateInit2 failed");
    zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
    zs.next_out = reinterpret_cast<Bytef *>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END)
        throw std::runtime_error("deflate failed");
    return out;
}

} // namespace imprint::test
