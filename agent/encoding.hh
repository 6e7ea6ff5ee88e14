#pragma once
// Byte-level decodings of data from outside: base64 (metadata servers, MIME parts) and gzip
// (user-data), each with an output cap.

#include <cstddef>
#include <string>
#include <string_view>

namespace imprint {

// Standard base64 (RFC 4648), white space ignored; throws Error naming `origin` when invalid.
std::string base64Decode(std::string_view text, const std::string & origin);

bool isGzip(std::string_view data);

// Decompresses a gzip stream; throws Error naming `origin` when corrupt or larger than `cap`.
std::string gunzip(std::string_view data, std::size_t cap, const std::string & origin);

// Lower-case hexadecimal SHA-256 of `data`.
std::string sha256Hex(std::string_view data);

} // namespace imprint
