#pragma once
// Byte-level decodings of data from outside: base64 (metadata servers, MIME parts) and gzip
// (user-data), each with an output cap.

#include "agent/system/error.hh"

#include <cstddef>
#include <string>
#include <string_view>

namespace imprint {

// Standard base64 (RFC 4648), white space ignored; throws Error naming `origin` when invalid.
std::string base64Decode(std::string_view text, const std::string & origin);

bool isGzip(std::string_view data);

// Thrown by gunzip when the output would pass its cap (an Error naming the origin and the cap).
class GunzipCapExceeded : public Error
{
public:
    using Error::Error;
};

// Decompresses one gzip stream; throws Error naming `origin` when corrupt, GunzipCapExceeded
// when larger than `cap`. It stops at the cap: a bomb costs `cap` bytes of memory, no more.
std::string gunzip(std::string_view data, std::size_t cap, const std::string & origin);

// Lower-case hexadecimal SHA-256 of `data`.
std::string sha256Hex(std::string_view data);

} // namespace imprint
