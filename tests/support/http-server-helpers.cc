#include "tests/support/http-server-helpers.hh"
#include "agent/system/host.hh"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

extern char ** environ;

namespace imprint::test {

namespace {

const char * reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

} // namespace

TestHttpServer::TestHttpServer(TestHandler handler) : handler_(std::move(handler))
{
    listenFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listenFd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0)
        throw std::runtime_error(std::string("bind: ") + std::strerror(errno));
    socklen_t len = sizeof addr;
    ::getsockname(listenFd_, reinterpret_cast<sockaddr *>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    start();
}

TestHttpServer::TestHttpServer(TestHandler handler, std::string socketPath)
    : handler_(std::move(handler)), socketPath_(std::move(socketPath))
{
    listenFd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socketPath_.size() >= sizeof addr.sun_path)
        throw std::runtime_error("socket path too long: " + socketPath_);
    std::strcpy(addr.sun_path, socketPath_.c_str());
    ::unlink(socketPath_.c_str());
    if (::bind(listenFd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0)
        throw std::runtime_error(std::string("bind: ") + std::strerror(errno));
    start();
}

void TestHttpServer::start()
{
    if (::listen(listenFd_, 64) != 0)
        throw std::runtime_error(std::string("listen: ") + std::strerror(errno));
    if (::pipe2(wakeFd_, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe2");
    acceptor_ = std::thread([this] { acceptLoop(); });
}

TestHttpServer::~TestHttpServer()
{
    stopping_ = true;
    ::close(wakeFd_[1]);  // wakes every poll() below
    acceptor_.join();
    std::vector<std::thread> workers;
    {
        std::lock_guard lock(mutex_);
        workers.swap(workers_);
    }
    for (auto & w : workers)
        w.join();
    ::close(wakeFd_[0]);
    ::close(listenFd_);
    if (!socketPath_.empty())
        ::unlink(socketPath_.c_str());
}

std::string TestHttpServer::url() const
{
    return "http://127.0.0.1:" + std::to_string(port_);
}

std::vector<TestRequest> TestHttpServer::requests() const
{
    std::lock_guard lock(mutex_);
    return requests_;
}

std::size_t TestHttpServer::count(const std::string & path) const
{
    std::lock_guard lock(mutex_);
    return std::count_if(requests_.begin(), requests_.end(), [&](const TestRequest & r) { return r.path == path; });
}

void TestHttpServer::setHandler(TestHandler handler)
{
    std::lock_guard lock(mutex_);
    handler_ = std::move(handler);
}

void TestHttpServer::acceptLoop()
{
    while (!stopping_) {
        pollfd fds[2] = {{listenFd_, POLLIN, 0}, {wakeFd_[0], POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0)
            continue;
        if (fds[1].revents)
            return;
        int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        std::lock_guard lock(mutex_);
        workers_.emplace_back([this, fd] { serve(fd); });
    }
}

void TestHttpServer::serve(int fd)
{
    struct Closer { int fd; ~Closer() { ::close(fd); } } closer{fd};
    // Waits for `fd` to be readable (or writable) unless the server stops; false on stop.
    auto wait = [&](short events, int timeoutMs) {
        pollfd fds[2] = {{fd, events, 0}, {wakeFd_[0], POLLIN, 0}};
        int n = ::poll(fds, 2, timeoutMs);
        return n >= 0 && !fds[1].revents && !stopping_;
    };
    auto sendAll = [&](std::string_view data) {
        while (!data.empty()) {
            ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0)
                return false;
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    };

    std::string in;
    std::size_t headerEnd;
    char buf[8192];
    while ((headerEnd = in.find("\r\n\r\n")) == std::string::npos) {
        if (!wait(POLLIN, 10000))
            return;
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            return;
        in.append(buf, static_cast<std::size_t>(n));
    }
    TestRequest req;
    sockaddr_storage peer{};
    socklen_t peerLen = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &peerLen) == 0 && peer.ss_family == AF_INET)
        req.peerPort = ntohs(reinterpret_cast<sockaddr_in *>(&peer)->sin_port);
    std::string head = in.substr(0, headerEnd);
    std::size_t lineEnd = head.find("\r\n");
    std::string requestLine = head.substr(0, lineEnd);
    auto sp1 = requestLine.find(' ');
    auto sp2 = requestLine.find(' ', sp1 + 1);
    req.method = requestLine.substr(0, sp1);
    req.target = requestLine.substr(sp1 + 1, sp2 - sp1 - 1);
    auto q = req.target.find('?');
    req.path = req.target.substr(0, q);
    req.query = q == std::string::npos ? "" : req.target.substr(q + 1);
    std::size_t pos = lineEnd == std::string::npos ? head.size() : lineEnd + 2;
    while (pos < head.size()) {
        auto end = head.find("\r\n", pos);
        if (end == std::string::npos)
            end = head.size();
        std::string line = head.substr(pos, end - pos);
        auto colon = line.find(':');
        if (colon != std::string::npos) {
            std::string value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(" \t"));
            req.headers[lowerAscii(line.substr(0, colon))] = value;
        }
        pos = end + 2;
    }
    std::size_t contentLength = 0;
    if (auto cl = req.header("content-length"))
        contentLength = std::stoul(*cl);
    req.body = in.substr(headerEnd + 4);
    while (req.body.size() < contentLength) {
        if (!wait(POLLIN, 10000))
            return;
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            return;
        req.body.append(buf, static_cast<std::size_t>(n));
    }

    TestHandler handler;
    {
        std::lock_guard lock(mutex_);
        requests_.push_back(req);
        handler = handler_;
    }
    TestReply reply = handler(req);

    if (reply.fault == Fault::Hang) {
        while (wait(POLLIN, 1000)) {
            // Drain whatever the client sends; stop when it hangs up.
            ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n == 0)
                return;
        }
        return;
    }

    std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " " + reason(reply.status) + "\r\n";
    bool hasType = false;
    for (const auto & [k, v] : reply.headers) {
        out += k + ": " + v + "\r\n";
        hasType = hasType || lowerAscii(k) == "content-type";
    }
    if (!hasType && reply.status != 204)
        out += "Content-Type: text/plain\r\n";
    if (reply.status != 204 && reply.fault != Fault::NoLength)
        out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
    out += "Connection: close\r\n\r\n";

    switch (reply.fault) {
    case Fault::None:
    case Fault::NoLength:
        sendAll(out + (req.method == "HEAD" ? "" : reply.body));
        ::shutdown(fd, SHUT_WR);
        // Let the client read everything before the close.
        wait(POLLIN, 1000);
        return;
    case Fault::Drip:
        if (!sendAll(out))
            return;
        for (char c : reply.body) {
            if (!sendAll(std::string_view(&c, 1)))
                return;
            if (wait(POLLIN, 1000) && ::recv(fd, buf, sizeof buf, MSG_DONTWAIT) == 0)
                return;  // the client hung up
            if (stopping_)
                return;
        }
        return;
    case Fault::ResetMidBody: {
        sendAll(out + reply.body.substr(0, reply.body.size() / 2));
        wait(POLLIN, 200);
        linger lg{1, 0};  // close with RST instead of FIN
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        return;
    }
    case Fault::Hang:
        return;
    }
}

} // namespace imprint::test
