#pragma once
// The one HTTP policy of imprint (libcurl, loaded on the first request: agent/libcurl.hh). Metadata servers live at link-local IP addresses, so:
// IP literals only (no DNS, which may not work yet at first boot and must not leak the query),
// proxies from the environment ignored, no redirect to another host, a short connect timeout,
// a per-request timeout and an overall deadline, a body-size cap enforced while reading, and
// retries only for transient failures, with the delay from agent/system/backoff.hh.
//
// 404 and 410 mean "absent" (std::nullopt), not an error. Every other failure is an HttpError
// that names the URL (never a header: tokens travel in headers) and says which class it is.

#include "agent/system/backoff.hh"
#include "agent/system/clock.hh"
#include "agent/cli/config.hh"
#include "agent/system/error.hh"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace imprint {

struct HttpRequest
{
    std::string method = "GET";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::optional<std::string> body;
    // HTTP over a unix socket (Incus / LXD's /dev/incus/sock); the URL's host is then only a
    // name in the request line, nothing is resolved.
    std::optional<std::string> unixSocket;
    // Bind the connection's source port to one in [first, last] (Scaleway serves user-data only
    // to a port below 1024, which only root can bind: its proof that root is asking).
    std::optional<std::pair<long, long>> localPorts;
};

struct HttpResponse
{
    long status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // names lower-cased; the last value wins
};

enum class HttpFailure {
    NotFound,   // only used internally: request() returns nullopt for it
    Forbidden,  // 401, 403: the server refuses us; retrying won't help
    Transient,  // refused connection, timeout, reset, 5xx, 429: retried
    Permanent,  // other 4xx, body over the cap, bad URL, policy violation
};

const char * describe(HttpFailure kind);

class HttpError : public Error
{
public:
    HttpError(std::string message, HttpFailure kind, std::optional<long> status = std::nullopt)
        : Error(std::move(message)), kind_(kind), status_(status) {}
    HttpFailure kind() const { return kind_; }
    std::optional<long> status() const { return status_; }

private:
    HttpFailure kind_;
    std::optional<long> status_;
};

class HttpClient
{
public:
    virtual ~HttpClient() = default;

    // Performs the request under the policy, retrying transient failures. Returns nullopt for
    // 404/410; any 2xx response otherwise (204 included, with an empty body); throws HttpError,
    // or a plain Error when libcurl cannot be loaded (the first request loads it).
    virtual std::optional<HttpResponse> request(const HttpRequest & req) = 0;

    // A client under the same policy whose deadline is its own, starting with its first request:
    // a step after the fetch (Azure's Ready report) must not inherit what the fetch left over.
    virtual std::unique_ptr<HttpClient> withOwnDeadline() const = 0;

    // GET `url` and return the body (nullopt when absent).
    std::optional<std::string> get(const std::string & url,
                                   std::vector<std::pair<std::string, std::string>> headers = {},
                                   std::optional<std::string> unixSocket = std::nullopt);
};

// One client per fetch: the overall deadline (HttpConfig::deadline) starts with its first request.
// Creating it loads nothing. The clock (deadline, sleeps, jitter, wall time for a Retry-After
// date) defaults to systemClock().
std::unique_ptr<HttpClient> makeHttpClient(const HttpConfig & config, std::shared_ptr<Clock> clock = nullptr);

// Policy checks, exposed for tests (loads libcurl, whose URL parser it uses). Throws HttpError(Permanent) unless `url` is http(s) with an
// IP literal host (IPv4 dotted quad or bracketed IPv6). Returns the scheme://host[:port] origin.
std::string checkUrlPolicy(const std::string & url);

// Joins a base URL ("http://169.254.169.254", with or without a trailing '/') and a path ("/latest/...").
std::string joinUrl(const std::string & base, const std::string & path);

} // namespace imprint
