#pragma once
// libcurl, loaded on first use. A local seed (NoCloud, ConfigDrive, the Kubernetes downward API)
// never speaks HTTP, yet linking libcurl made every start of `imprint` pay for resolving its ~45
// shared libraries (TLS, IDN, LDAP, SSH, Kerberos...): about 80% of the instructions of a local
// `imprint fetch`. So `imprint` does not list libcurl as NEEDED; the HTTP client dlopen()s it the
// first time a request is made and calls it through this one table.
//
// Debian's headers (libcurl4-openssl-dev) still provide the types and constants; at run time the
// library named by IMPRINT_LIBCURL_PATH (default the soname "libcurl.so.4", Debian's libcurl4;
// the Nix package compiles in an absolute store path, since NixOS has no global library path).

#include <curl/curl.h>

#include <string>

namespace imprint {

// The libcurl functions imprint uses, resolved with dlsym. Field names drop the "curl_" prefix.
struct LibCurl
{
    decltype(&::curl_global_init) global_init = nullptr;
    decltype(&::curl_version_info) version_info = nullptr;
    decltype(&::curl_easy_init) easy_init = nullptr;
    decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
    decltype(&::curl_easy_reset) easy_reset = nullptr;
    decltype(&::curl_easy_setopt) easy_setopt = nullptr;
    decltype(&::curl_easy_perform) easy_perform = nullptr;
    decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
    decltype(&::curl_easy_strerror) easy_strerror = nullptr;
    decltype(&::curl_slist_append) slist_append = nullptr;
    decltype(&::curl_slist_free_all) slist_free_all = nullptr;
    decltype(&::curl_url) url = nullptr;
    decltype(&::curl_url_cleanup) url_cleanup = nullptr;
    decltype(&::curl_url_set) url_set = nullptr;
    decltype(&::curl_url_get) url_get = nullptr;
    decltype(&::curl_free) free = nullptr;
};

// The process-wide table: the first call loads the library (dlopen RTLD_NOW | RTLD_LOCAL),
// resolves every function, checks the version and runs curl_global_init once; later calls return
// the same table. The library stays loaded for the life of the process. Throws imprint::Error
// naming the library and dlerror() when it cannot be loaded; a later call tries again.
const LibCurl & libCurl();

// One load of the library at `path` without curl_global_init and without caching: what libCurl()
// does first, exposed so tests can point it at a missing library. The handle is never closed
// on success.
LibCurl loadLibCurl(const std::string & path);

// The name passed to dlopen (IMPRINT_LIBCURL_PATH at build time).
const char * libCurlPath();

} // namespace imprint
