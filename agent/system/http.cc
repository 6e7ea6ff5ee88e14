#include "agent/system/http.hh"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace imprint {

using namespace std::chrono;

const char * describe(HttpFailure kind)
{
    switch (kind) {
    case HttpFailure::NotFound: return "not found";
    case HttpFailure::Forbidden: return "forbidden";
    case HttpFailure::Transient: return "transient";
    case HttpFailure::Permanent: return "permanent";
    }
    return "unknown";
}

namespace {

// curl_global_init, once, before the first handle (imprint makes them on one thread).
void initCurlOnce()
{
    static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK)
        throw Error(std::string("cannot initialise libcurl: ") + curl_easy_strerror(rc));
}

struct CurlUrl
{
    CURLU * h = curl_url();
    CurlUrl() { if (!h) throw Error("libcurl: out of memory for a URL handle"); }
    ~CurlUrl() { curl_url_cleanup(h); }
    CurlUrl(const CurlUrl &) = delete;
    CurlUrl & operator=(const CurlUrl &) = delete;
    bool set(const std::string & url) { return curl_url_set(h, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK; }
    std::optional<std::string> part(CURLUPart what) const
    {
        char * out = nullptr;
        if (curl_url_get(h, what, &out, 0) != CURLUE_OK || !out)
            return std::nullopt;
        std::string s(out);
        curl_free(out);
        return s;
    }
};

bool isIpLiteral(const std::string & host)
{
    unsigned char buf[sizeof(struct in6_addr)];
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        return inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), buf) == 1;
    return inet_pton(AF_INET, host.c_str(), buf) == 1;
}

// Origin check without the IP-literal rule (for requests over a unix socket).
std::string originOf(const std::string & url, bool requireIp)
{
    CurlUrl u;
    if (!u.set(url))
        throw HttpError("invalid URL " + url, HttpFailure::Permanent);
    auto scheme = u.part(CURLUPART_SCHEME);
    auto host = u.part(CURLUPART_HOST);
    if (!scheme || (*scheme != "http" && *scheme != "https"))
        throw HttpError("refusing URL " + url + ": only http and https are allowed", HttpFailure::Permanent);
    if (!host)
        throw HttpError("invalid URL " + url + ": no host", HttpFailure::Permanent);
    if (requireIp && !isIpLiteral(*host))
        throw HttpError("refusing URL " + url + ": the host must be an IP address (imprint never uses DNS for metadata)",
                        HttpFailure::Permanent);
    auto port = u.part(CURLUPART_PORT);
    return *scheme + "://" + *host + (port ? ":" + *port : "");
}

std::string resolveLocation(const std::string & base, const std::string & location)
{
    CurlUrl u;
    if (!u.set(base) || !u.set(location))
        throw HttpError("invalid redirect from " + base, HttpFailure::Permanent);
    return u.part(CURLUPART_URL).value_or("");
}

struct Transfer
{
    std::string body;
    std::size_t cap = 0;
    bool overCap = false;
    std::map<std::string, std::string> headers;
};

size_t onBody(char * data, size_t size, size_t n, void * userp)
{
    auto * t = static_cast<Transfer *>(userp);
    size_t len = size * n;
    // Enforced here, while reading: libcurl 7.88 only checks MAXFILESIZE against a declared length.
    if (t->body.size() + len > t->cap) {
        t->overCap = true;
        return 0;
    }
    t->body.append(data, len);
    return len;
}

size_t onHeader(char * data, size_t size, size_t n, void * userp)
{
    auto * t = static_cast<Transfer *>(userp);
    std::string_view line(data, size * n);
    if (line.starts_with("HTTP/"))
        t->headers.clear();  // a new response (after 100-continue): start over
    auto colon = line.find(':');
    if (colon != std::string_view::npos && t->headers.size() < 100) {
        std::string name(line.substr(0, colon));
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
            value.remove_prefix(1);
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
            value.remove_suffix(1);
        t->headers[name] = std::string(value.substr(0, 8192));
    }
    return size * n;
}

HttpFailure classifyCurl(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return HttpFailure::Transient;
    default:
        return HttpFailure::Permanent;
    }
}

HttpFailure classifyStatus(long status)
{
    if (status == 404 || status == 410)
        return HttpFailure::NotFound;
    if (status == 401 || status == 403)
        return HttpFailure::Forbidden;
    if (status == 408 || status == 429 || status >= 500)
        return HttpFailure::Transient;
    return HttpFailure::Permanent;
}

struct Attempt
{
    std::optional<HttpResponse> response;  // set on success or 404
    std::optional<HttpError> error;
    std::optional<milliseconds> retryAfter;
    bool refusedLocally = false;           // connect(2) said EACCES: a prohibit route, a firewall
};

// systemd-imds's locked mode (systemd >= 261) routes to the metadata server only the sockets that
// carry systemd-imdsd's firewall mark; every other one meets a prohibit route. Setting a mark
// needs CAP_NET_ADMIN, which imprint's units (root) have.
constexpr std::uint32_t kImdsFirewallMark = 0x7FFF0815;

int markForImds(void *, curl_socket_t fd, curlsocktype)
{
    std::uint32_t mark = kImdsFirewallMark;
    ::setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark);  // without the capability: refused again, said then
    return CURL_SOCKOPT_OK;
}

class CurlHttpClient : public HttpClient
{
public:
    CurlHttpClient(const HttpConfig & config, std::shared_ptr<Clock> clock)
        : config_(config), clockOwner_(std::move(clock)), clock_(clockOwner_ ? *clockOwner_ : systemClock())
    {
    }
    ~CurlHttpClient() override
    {
        if (curl_)
            curl_easy_cleanup(curl_);
    }

    std::optional<HttpResponse> request(const HttpRequest & req) override
    {
        if (!start_)
            start_ = clock_.now();
        std::string what = req.method + " " + req.url;
        std::string origin = originOf(req.url, !req.unixSocket);
        BackoffPolicy policy{config_.backoffInitial, config_.backoffMax};
        HttpRequest current = req;
        int redirects = 0;
        for (int attempt = 1;; ++attempt) {
            auto left = remaining();
            if (left.count() <= 0)
                throw HttpError(what + ": the deadline of " + std::to_string(config_.deadline.count())
                                    + " ms (http.deadline_ms) passed before an answer",
                                HttpFailure::Transient);
            Attempt a = perform(current, left);
            if (a.response && a.response->status >= 300 && a.response->status < 400) {
                auto loc = a.response->headers.find("location");
                if (loc == a.response->headers.end())
                    throw HttpError(what + ": HTTP " + std::to_string(a.response->status) + " without a Location",
                                    HttpFailure::Permanent, a.response->status);
                std::string next = resolveLocation(current.url, loc->second);
                if (originOf(next, !req.unixSocket) != origin)
                    throw HttpError(what + ": refusing a redirect to another host", HttpFailure::Permanent,
                                    a.response->status);
                if (++redirects > 5)
                    throw HttpError(what + ": too many redirects", HttpFailure::Permanent, a.response->status);
                current.url = next;
                --attempt;
                continue;
            }
            if (a.refusedLocally && !imdsMark_) {
                // Ask once more the way systemd-imdsd does; it costs nothing where no rule uses
                // the mark, and it is what reaches the server in systemd-imds's locked mode.
                imdsMark_ = true;
                spdlog::info("{}: refused by this machine; asking again with systemd-imdsd's firewall mark (0x{:X})",
                             what, kImdsFirewallMark);
                --attempt;
                continue;
            }
            if (a.response) {
                if (a.response->status == 404 || a.response->status == 410)
                    return std::nullopt;
                return a.response;
            }
            HttpError & e = *a.error;
            if (e.kind() != HttpFailure::Transient)
                throw e;
            auto decision = decideRetry(policy, attempt, config_.retries, clock_.jitter(), remaining(), a.retryAfter);
            if (!decision.retry) {
                std::string why = attempt > config_.retries
                    ? "gave up after " + std::to_string(attempt) + " attempts (http.retries)"
                    : "gave up after " + std::to_string(attempt) + " attempts: the deadline of "
                          + std::to_string(config_.deadline.count()) + " ms (http.deadline_ms) leaves no time to retry";
                throw HttpError(e.message() + "; " + why, HttpFailure::Transient, e.status());
            }
            spdlog::debug("{}; retrying in {} ms", e.message(), decision.delay.count());
            clock_.sleepFor(decision.delay);
        }
    }

    std::unique_ptr<HttpClient> withOwnDeadline() const override
    {
        return std::make_unique<CurlHttpClient>(config_, clockOwner_);
    }

private:
    milliseconds remaining()
    {
        return config_.deadline - duration_cast<milliseconds>(clock_.now() - *start_);
    }

    // The easy handle, created on the first transfer, reused after it.
    CURL * handle()
    {
        if (!curl_) {
            initCurlOnce();
            curl_ = curl_easy_init();
            if (!curl_)
                throw Error("cannot initialise libcurl (curl_easy_init failed)");
        }
        return curl_;
    }

    Attempt perform(const HttpRequest & req, milliseconds left)
    {
        std::string what = req.method + " " + req.url;
        Transfer t;
        t.cap = config_.maxBodyBytes;
        CURL * curl = handle();
        curl_easy_reset(curl);
        char errbuf[CURL_ERROR_SIZE] = {0};
        struct curl_slist * headers = nullptr;
        struct SlistFree { curl_slist *& l; ~SlistFree() { curl_slist_free_all(l); } } freeHeaders{headers};
        // A failed append returns NULL and leaves the list as it was: keep it so it is freed.
        auto append = [&](const std::string & line) {
            curl_slist * next = curl_slist_append(headers, line.c_str());
            if (!next)
                throw Error("libcurl: out of memory for request headers");
            headers = next;
        };
        for (const auto & [name, value] : req.headers)
            append(name + ": " + value);
        append("Expect:");

        auto connectMs = std::min(config_.connectTimeout, left).count();
        auto totalMs = std::min(config_.requestTimeout, left).count();
        curl_easy_setopt(curl, CURLOPT_URL, req.url.c_str());
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);  // redirects are checked above
        curl_easy_setopt(curl, CURLOPT_PROXY, "");            // never a proxy from the environment
        curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::max<long>(1, connectMs));
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, std::max<long>(1, totalMs));
        curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(config_.maxBodyBytes));
        curl_easy_setopt(curl, CURLOPT_USERAGENT, "imprint/" IMPRINT_VERSION);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onBody);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, onHeader);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
        if (req.unixSocket)
            curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, req.unixSocket->c_str());
        if (imdsMark_)
            curl_easy_setopt(curl, CURLOPT_SOCKOPTFUNCTION, markForImds);
        if (req.localPorts) {
            // libcurl tries each port from the first until one binds (others may be in use).
            curl_easy_setopt(curl, CURLOPT_LOCALPORT, req.localPorts->first);
            curl_easy_setopt(curl, CURLOPT_LOCALPORTRANGE, req.localPorts->second - req.localPorts->first + 1);
        }
        if (req.method == "GET") {
            curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
        } else {
            curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req.method.c_str());
            const std::string & body = req.body ? *req.body : empty_;
            curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
            curl_easy_setopt(curl, CURLOPT_COPYPOSTFIELDS, body.c_str());
        }

        Attempt a;
        CURLcode rc = curl_easy_perform(curl);
        if (rc != CURLE_OK) {
            if (t.overCap || rc == CURLE_FILESIZE_EXCEEDED) {
                a.error.emplace(what + ": the body exceeds the limit of " + std::to_string(config_.maxBodyBytes)
                                    + " bytes (http.max_body_bytes)",
                                HttpFailure::Permanent);
            } else {
                std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
                if (rc == CURLE_OPERATION_TIMEDOUT)
                    detail = "no complete answer within " + std::to_string(totalMs) + " ms (" + detail + ")";
                auto kind = classifyCurl(rc);
                long osErrno = 0;
                curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &osErrno);
                if (rc == CURLE_COULDNT_CONNECT && (osErrno == EACCES || osErrno == EPERM)) {
                    // Refused by this machine itself (a prohibit route, a firewall): retrying the
                    // same way will not help (request() tries once with systemd-imdsd's mark).
                    kind = HttpFailure::Forbidden;
                    a.refusedLocally = true;
                    detail = "this machine refuses the connection (" + std::string(std::strerror(static_cast<int>(osErrno)))
                        + ": a prohibit route or a firewall"
                        + (imdsMark_ ? "; asked again with systemd-imdsd's firewall mark: no rule lets it through, "
                                       "or imprint may not set it (CAP_NET_ADMIN))"
                                     : ")");
                }
                a.error.emplace(what + ": " + detail + " (" + describe(kind) + ")", kind);
            }
            return a;
        }
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        if ((status >= 200 && status < 400) || status == 404 || status == 410) {
            a.response.emplace(HttpResponse{status, std::move(t.body), std::move(t.headers)});
            return a;
        }
        auto kind = classifyStatus(status);
        if (status == 429 || status == 503) {
            if (auto ra = t.headers.find("retry-after"); ra != t.headers.end()) {
                auto date = t.headers.find("date");
                curl_off_t curlSeconds = 0;
                curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &curlSeconds);
                a.retryAfter = retryAfterDelay(ra->second,
                                               date == t.headers.end() ? std::nullopt : std::optional<std::string_view>(date->second),
                                               clock_.wallNow(), curlSeconds);
            }
        }
        a.error.emplace(what + ": HTTP " + std::to_string(status) + " (" + describe(kind) + ")", kind, status);
        return a;
    }

    HttpConfig config_;
    std::shared_ptr<Clock> clockOwner_;  // null: the system clock
    Clock & clock_;
    CURL * curl_ = nullptr;
    bool imdsMark_ = false;  // set after a locally refused connection (see markForImds)
    std::optional<steady_clock::time_point> start_;
    const std::string empty_;
};

} // namespace

std::optional<std::string> HttpClient::get(const std::string & url,
                                           std::vector<std::pair<std::string, std::string>> headers,
                                           std::optional<std::string> unixSocket)
{
    HttpRequest req;
    req.url = url;
    req.headers = std::move(headers);
    req.unixSocket = std::move(unixSocket);
    auto r = request(req);
    if (!r)
        return std::nullopt;
    return std::move(r->body);
}

std::unique_ptr<HttpClient> makeHttpClient(const HttpConfig & config, std::shared_ptr<Clock> clock)
{
    // No libcurl here: a client is made for every fetch, local seeds included.
    return std::make_unique<CurlHttpClient>(config, std::move(clock));
}

std::string checkUrlPolicy(const std::string & url)
{
    return originOf(url, true);
}

std::string joinUrl(const std::string & base, const std::string & path)
{
    std::string b = base;
    while (!b.empty() && b.back() == '/')
        b.pop_back();
    if (path.empty())
        return b + "/";
    return path.front() == '/' ? b + path : b + "/" + path;
}

} // namespace imprint
