#pragma once
// A small HTTP/1.1 server for tests, on loopback TCP or a unix socket, that can misbehave on
// purpose: accept and never answer, drip a body one byte a second, reset mid-body. Each
// connection is answered once and closed. Everything it starts it stops in its destructor.

#include "tests/support/test-helpers.hh"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace imprint::test {

struct TestRequest
{
    std::string method;
    std::string target;   // path and query, as sent
    std::string path;     // without the query
    std::string query;
    std::map<std::string, std::string> headers;  // lower-cased names
    std::string body;
    int peerPort = 0;     // the client's TCP source port (0 over a unix socket)

    std::optional<std::string> header(const std::string & lowerName) const
    {
        auto it = headers.find(lowerName);
        if (it == headers.end())
            return std::nullopt;
        return it->second;
    }
};

enum class Fault {
    None,
    Hang,       // read the request, never answer (until the server stops)
    Drip,       // headers at once, then the body one byte per second
    ResetMidBody,  // headers announcing the full length, half the body, then a TCP reset
    NoLength,   // no Content-Length: the body ends when the connection closes
};

struct TestReply
{
    int status = 200;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    Fault fault = Fault::None;

    static TestReply text(std::string body, int status = 200) { return TestReply{status, std::move(body), {}, Fault::None}; }
    static TestReply code(int status) { return TestReply{status, "", {}, Fault::None}; }
    static TestReply fault_(Fault f, std::string body = "") { return TestReply{200, std::move(body), {}, f}; }
};

using TestHandler = std::function<TestReply(const TestRequest &)>;

class TestHttpServer
{
public:
    // Loopback TCP on an ephemeral port (IPv4 127.0.0.1).
    explicit TestHttpServer(TestHandler handler);
    // A unix socket at `socketPath` (for Incus / LXD).
    TestHttpServer(TestHandler handler, std::string socketPath);
    ~TestHttpServer();

    TestHttpServer(const TestHttpServer &) = delete;
    TestHttpServer & operator=(const TestHttpServer &) = delete;

    std::string url() const;   // "http://127.0.0.1:PORT"
    int port() const { return port_; }
    std::vector<TestRequest> requests() const;
    std::size_t count(const std::string & path) const;
    void setHandler(TestHandler handler);

private:
    void start();
    void acceptLoop();
    void serve(int fd);

    TestHandler handler_;
    std::string socketPath_;
    int listenFd_ = -1;
    int port_ = 0;
    int wakeFd_[2] = {-1, -1};
    std::atomic<bool> stopping_{false};
    std::thread acceptor_;
    mutable std::mutex mutex_;
    std::vector<std::thread> workers_;
    std::vector<int> openFds_;
    std::vector<TestRequest> requests_;
};

// Runs a program (no shell), capturing stdout and stderr; `extraEnv` entries ("NAME=value") are
// added to the environment. Killed after `timeout`. (test-helpers.hh's runProcessEnv.)
using CommandResult = Result;
inline CommandResult runCapture(const std::vector<std::string> & argv, const std::vector<std::string> & extraEnv = {},
                                std::chrono::milliseconds timeout = std::chrono::seconds(120))
{
    return runProcessEnv(argv, extraEnv, timeout);
}

} // namespace imprint::test
