#include "agent/libcurl.hh"

#include "agent/error.hh"

#include <dlfcn.h>

#include <cstdio>
#include <utility>

#ifndef IMPRINT_LIBCURL_PATH
#define IMPRINT_LIBCURL_PATH "libcurl.so.4"
#endif

namespace imprint {

namespace {

// CURLOPT_PROTOCOLS_STR, which the HTTP policy sets, arrived in 7.85.0. A setopt the library does
// not know fails quietly, so an older library is refused here, once, in words.
constexpr unsigned minimumVersion = 0x075500;

template<typename F>
void resolve(void * handle, const std::string & path, F & slot, const char * symbol)
{
    dlerror();
    void * p = dlsym(handle, symbol);
    if (!p) {
        const char * why = dlerror();
        throw Error("cannot use the libcurl library " + path + ": " + (why ? why : std::string(symbol) + " not found"));
    }
    slot = reinterpret_cast<F>(p);
}

std::string versionText(unsigned n)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%u.%u.%u", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
    return buf;
}

} // namespace

const char * libCurlPath()
{
    return IMPRINT_LIBCURL_PATH;
}

LibCurl loadLibCurl(const std::string & path)
{
    // RTLD_LOCAL: libcurl's symbols (and those of its TLS library) stay out of the global scope;
    // RTLD_NOW: a broken installation fails here, in one message, not at some later call.
    void * handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char * why = dlerror();
        throw Error("cannot load the libcurl library " + path + " (needed for metadata-server sources; on Debian "
                    "it is in the package libcurl4): " + (why ? why : "dlopen failed"));
    }
    LibCurl lib;
    try {
#define IMPRINT_CURL_SYMBOL(field) resolve(handle, path, lib.field, "curl_" #field)
        IMPRINT_CURL_SYMBOL(global_init);
        IMPRINT_CURL_SYMBOL(version_info);
        IMPRINT_CURL_SYMBOL(easy_init);
        IMPRINT_CURL_SYMBOL(easy_cleanup);
        IMPRINT_CURL_SYMBOL(easy_reset);
        IMPRINT_CURL_SYMBOL(easy_setopt);
        IMPRINT_CURL_SYMBOL(easy_perform);
        IMPRINT_CURL_SYMBOL(easy_getinfo);
        IMPRINT_CURL_SYMBOL(easy_strerror);
        IMPRINT_CURL_SYMBOL(slist_append);
        IMPRINT_CURL_SYMBOL(slist_free_all);
        IMPRINT_CURL_SYMBOL(url);
        IMPRINT_CURL_SYMBOL(url_cleanup);
        IMPRINT_CURL_SYMBOL(url_set);
        IMPRINT_CURL_SYMBOL(url_get);
        IMPRINT_CURL_SYMBOL(free);
#undef IMPRINT_CURL_SYMBOL
        const curl_version_info_data * v = lib.version_info(CURLVERSION_NOW);
        if (!v || v->version_num < minimumVersion)
            throw Error("cannot use the libcurl library " + path + ": version "
                        + (v ? versionText(v->version_num) : std::string("unknown")) + ", imprint needs "
                        + versionText(minimumVersion) + " or later");
    } catch (...) {
        dlclose(handle);  // nothing of it was published
        throw;
    }
    // On success the handle is deliberately kept: the table points into the library.
    return lib;
}

const LibCurl & libCurl()
{
    // A function-local static: initialised once, thread-safely; if loading throws, the next call
    // tries again (e.g. after the administrator installed the library).
    static const LibCurl lib = [] {
        LibCurl l = loadLibCurl(libCurlPath());
        // Once per process, before any other libcurl call, as the library requires.
        if (CURLcode rc = l.global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK)
            throw Error(std::string("cannot initialise libcurl (") + libCurlPath() + "): " + l.easy_strerror(rc));
        return l;
    }();
    return lib;
}

} // namespace imprint
