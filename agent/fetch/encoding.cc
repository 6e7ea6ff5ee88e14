#include "agent/fetch/encoding.hh"
#include "agent/system/error.hh"

#include <openssl/evp.h>
#include <zlib.h>

#include <array>
#include <memory>

namespace imprint {

std::string base64Decode(std::string_view text, const std::string & origin)
{
    std::string clean;
    clean.reserve(text.size());
    for (char c : text)
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
            clean += c;
    if (clean.size() % 4 != 0)
        throw Error(origin + ": invalid base64 (length is not a multiple of 4)");
    std::string out(clean.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char *>(out.data()),
                            reinterpret_cast<const unsigned char *>(clean.data()), static_cast<int>(clean.size()));
    if (n < 0)
        throw Error(origin + ": invalid base64");
    // EVP_DecodeBlock counts padding as zero bytes.
    std::size_t padding = 0;
    if (!clean.empty() && clean.back() == '=') ++padding;
    if (clean.size() > 1 && clean[clean.size() - 2] == '=') ++padding;
    out.resize(static_cast<std::size_t>(n) - padding);
    return out;
}

bool isGzip(std::string_view data)
{
    return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f && static_cast<unsigned char>(data[1]) == 0x8b;
}

std::string gunzip(std::string_view data, std::size_t cap, const std::string & origin)
{
    z_stream zs{};
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        throw Error(origin + ": cannot initialise gzip decoder");
    std::unique_ptr<z_stream, int (*)(z_stream *)> guard(&zs, inflateEnd);
    zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    std::string out;
    std::array<char, 65536> buf;
    for (;;) {
        zs.next_out = reinterpret_cast<Bytef *>(buf.data());
        zs.avail_out = buf.size();
        int rc = inflate(&zs, Z_NO_FLUSH);
        std::size_t produced = buf.size() - zs.avail_out;
        if (out.size() + produced > cap)
            throw GunzipCapExceeded(origin + ": decompresses to more than " + std::to_string(cap) + " bytes");
        out.append(buf.data(), produced);
        if (rc == Z_STREAM_END)
            return out;
        if (rc != Z_OK || (zs.avail_in == 0 && produced == 0))
            throw Error(origin + ": corrupt or truncated gzip data");
    }
}

std::string sha256Hex(std::string_view data)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1)
        throw Error("SHA-256 failed");
    static const char * hex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0xf];
    }
    return out;
}

} // namespace imprint
