#pragma once
// Shared by the unit and integration tests: scratch directories, fake machine trees, running the
// real binary, and checking overlays with the real nix-instantiate.

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imprint::test {

// A fresh directory under $TMPDIR, removed with everything in it at the end of the scope.
class TempDir
{
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir &) = delete;
    TempDir & operator=(const TempDir &) = delete;
    const std::filesystem::path & path() const { return path_; }
    std::filesystem::path operator/(const std::string & rel) const { return path_ / rel; }

private:
    std::filesystem::path path_;
};

// Writes `data` to `path`, creating parent directories.
void writeFile(const std::filesystem::path & path, const std::string & data);
std::string readFile(const std::filesystem::path & path);
// "ec2/basic" -> providers/ec2/fixtures/basic; "golden/full.nix" -> tests/fixtures/golden/full.nix;
// an absolute path as it is.
std::filesystem::path fixture(const std::string & rel);
// Copies a fixture directory (recursively) to `to`.
void copyTree(const std::filesystem::path & from, const std::filesystem::path & to);

struct Result
{
    int exitCode = -1;  // 128 + signal when killed
    std::string out;
    std::string err;
    std::chrono::milliseconds elapsed{0};
};

// Runs argv (no shell) with `extraEnv` ("NAME=value") added to the environment, capturing stdout
// and stderr; killed with SIGKILL after `timeout`, its output still read to the end.
Result runProcessEnv(const std::vector<std::string> & argv, const std::vector<std::string> & extraEnv,
                     std::chrono::milliseconds timeout);

// The same with the environment additions as a map.
Result runProcess(const std::vector<std::string> & argv, const std::map<std::string, std::string> & env = {},
                  int timeoutSeconds = 120);

// Runs the built imprint binary with `args`.
Result runImprint(const std::vector<std::string> & args, const std::map<std::string, std::string> & env = {});

// A fake machine: a root tree with a config pointing the rebuild at the stub, which logs to
// <root>/stub.log and exits with the number in <root>/stub-exit (if present).
struct FakeMachine
{
    TempDir dir;
    std::filesystem::path root() const { return dir.path(); }
    std::filesystem::path stubLog() const { return dir / "stub.log"; }
    std::filesystem::path stubExit() const { return dir / "stub-exit"; }
    std::map<std::string, std::string> env() const;
    // Writes /etc/imprint/imprint.yaml with the stub rebuild plus `extraYaml`.
    void writeConfig(const std::string & extraYaml = "") const;
    // Installs a NoCloud seed (a fixture dir) in /var/lib/cloud/seed/nocloud.
    void installSeed(const std::string & fixtureDir) const;
    std::vector<std::string> stubCalls() const;
};

// A gzip stream of `data` (zlib at `level`, best compression by default): hostile user-data is
// built from it.
std::string gzip(std::string_view data, int level = 9);

bool haveNix();
// `nix-instantiate --parse` on the text; returns the error output on failure, "" on success.
std::string nixParseError(const std::string & nixText);
// Evaluates a NixOS-style module text with a stub `lib` whose mkOverride matches nixpkgs'
// ({ _type = "override"; priority; content; }), returning the JSON of the module's attrset.
std::optional<std::string> nixEvalModule(const std::string & nixText, std::string * error = nullptr);

} // namespace imprint::test
