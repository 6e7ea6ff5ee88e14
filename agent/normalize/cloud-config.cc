#include "agent/normalize/cloud-config.hh"
#include "agent/fetch/documents.hh"
#include "agent/fetch/encoding.hh"
#include "agent/system/error.hh"
#include "agent/system/host.hh"

#include <algorithm>
#include <cctype>
#include <map>

namespace imprint {

using nlohmann::json;

namespace {

bool startsWith(std::string_view s, std::string_view prefix)
{
    return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// cloud-init's default merge ("dict(replace)+list()+str()"): mappings merge recursively, anything
// else in a later part replaces the earlier value.
void mergeInto(json & base, const json & overlay)
{
    if (!base.is_object() || !overlay.is_object()) {
        base = overlay;
        return;
    }
    for (const auto & [key, value] : overlay.items()) {
        if (base.contains(key) && base[key].is_object() && value.is_object())
            mergeInto(base[key], value);
        else
            base[key] = value;
    }
}

// A MIME entity's headers, and its body as a view into the text it was parsed from: parts are
// never copied, so memory stays one copy of the input plus what is decoded (bounded by the budget).
struct MimeEntity
{
    std::map<std::string, std::string> headers;  // lower-case names
    std::string_view body;
};

// Splits "Content-Type: multipart/mixed; boundary=\"x\"" parameters.
std::string headerParam(const std::string & header, const std::string & name)
{
    std::string lowerHeader = lowerAscii(header);
    std::size_t pos = 0;
    while ((pos = lowerHeader.find(name + "=", pos)) != std::string::npos) {
        if (pos == 0 || lowerHeader[pos - 1] == ';' || lowerHeader[pos - 1] == ' ' || lowerHeader[pos - 1] == '\t') {
            std::size_t v = pos + name.size() + 1;
            if (v < header.size() && header[v] == '"') {
                auto end = header.find('"', v + 1);
                return header.substr(v + 1, end == std::string::npos ? std::string::npos : end - v - 1);
            }
            auto end = header.find_first_of("; \t\r\n", v);
            return header.substr(v, end == std::string::npos ? std::string::npos : end - v);
        }
        pos += name.size();
    }
    return "";
}

std::string mediaType(const std::string & contentType)
{
    auto semi = contentType.find(';');
    return lowerAscii(trim(contentType.substr(0, semi)));
}

MimeEntity parseEntity(std::string_view text)
{
    MimeEntity e;
    std::size_t pos = 0;
    std::string lastName;
    while (pos < text.size()) {
        auto eol = text.find('\n', pos);
        if (eol == std::string_view::npos)
            eol = text.size();
        std::string_view line = text.substr(pos, eol - pos);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        pos = eol + 1;
        if (line.empty())
            break;
        if ((line.front() == ' ' || line.front() == '\t') && !lastName.empty()) {
            e.headers[lastName] += " " + trim(line);
            continue;
        }
        auto colon = line.find(':');
        if (colon == std::string_view::npos)
            continue;
        lastName = lowerAscii(trim(line.substr(0, colon)));
        e.headers[lastName] = trim(line.substr(colon + 1));
    }
    e.body = pos < text.size() ? text.substr(pos) : std::string_view();
    return e;
}

std::vector<std::string_view> splitMultipart(std::string_view body, const std::string & boundary)
{
    std::vector<std::string_view> parts;
    const std::string delim = "--" + boundary;
    std::size_t pos = 0;
    std::size_t partStart = std::string_view::npos;
    while (pos <= body.size()) {
        auto eol = body.find('\n', pos);
        std::string_view line = body.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        bool isClose = line == delim + "--";
        if (line == delim || isClose) {
            if (partStart != std::string_view::npos) {
                std::size_t end = pos;
                // The line break before a delimiter belongs to the delimiter.
                if (end > partStart && body[end - 1] == '\n') --end;
                if (end > partStart && body[end - 1] == '\r') --end;
                parts.push_back(body.substr(partStart, end - partStart));
            }
            if (isClose)
                return parts;
            partStart = eol == std::string_view::npos ? body.size() : eol + 1;
        }
        if (eol == std::string_view::npos)
            break;
        pos = eol + 1;
    }
    if (partStart != std::string_view::npos && partStart < body.size())
        parts.push_back(body.substr(partStart));  // tolerate a missing closing delimiter
    return parts;
}

// Walks the document tree of one user-data. Every gzip layer and every multipart level is one
// level of nesting (at most kMaxUserDataNesting); a gzip stream directly inside another is not
// opened, as cloud-init opens one layer; the bytes that gzip and base64 produce, across the
// whole tree, share one budget (kMaxDecodedUserData); there are at most kMaxMimeParts parts.
class Decoder
{
public:
    explicit Decoder(std::string origin) : origin_(std::move(origin)) {}

    CloudConfig result;

    void decode(std::string_view data, const std::string & where, int nesting, bool justInflated = false)
    {
        if (isGzip(data)) {
            if (justInflated) {
                result.ignoredParts.push_back(where + ": gzip inside gzip (cloud-init opens one layer; not read)");
                return;
            }
            decodeGzip(data, where, nesting);
            return;
        }
        if (isMime(data)) {
            decodeMime(data, where, nesting);
            return;
        }
        decodeText(data, where);
    }

private:
    std::string origin_;
    int partCounter_ = 0;

    void enter(int nesting, const std::string & where)
    {
        if (nesting > kMaxUserDataNesting)
            throw Error(where + ": gzip layers and MIME parts nested deeper than " + std::to_string(kMaxUserDataNesting) +
                        " levels");
        result.deepestNesting = std::max(result.deepestNesting, nesting);
    }

    // Counts `bytes` more decoded bytes against the one budget of this user-data.
    void spend(std::size_t bytes, const std::string & where)
    {
        if (bytes > kMaxDecodedUserData - result.decodedBytes)
            throw Error(where + ": decodes to more than " + std::to_string(kMaxDecodedUserData) +
                        " bytes (gzip and base64 layers of the whole user-data together)");
        result.decodedBytes += bytes;
    }

    void decodeGzip(std::string_view data, const std::string & where, int nesting)
    {
        enter(nesting + 1, where);
        std::size_t left = kMaxDecodedUserData - result.decodedBytes;
        std::string inflated;
        try {
            inflated = gunzip(data, left, where);
        } catch (const GunzipCapExceeded &) {
            spend(left + 1, where);  // throws the budget's own error
        }
        spend(inflated.size(), where);
        decode(inflated, where + " (gzip)", nesting + 1, true);
    }

    static bool isMime(std::string_view data)
    {
        auto head = lowerAscii(data.substr(0, std::min<std::size_t>(data.size(), 4096)));
        return startsWith(head, "content-type:") || startsWith(head, "mime-version:");
    }

    void decodeText(std::string_view data, const std::string & where)
    {
        auto firstLine = trim(data.substr(0, data.find('\n')));
        if (firstLine.empty() && trim(data).empty())
            return;
        if (startsWith(firstLine, "#cloud-config")) {
            mergeCloudConfig(data, where, "#cloud-config");
            return;
        }
        if (startsWith(firstLine, "#!"))
            result.ignoredParts.push_back(where + ": a script (imprint runs no scripts)");
        else if (startsWith(firstLine, "#include") || startsWith(firstLine, "#cloud-config-archive"))
            result.ignoredParts.push_back(where + ": " + firstLine.substr(0, firstLine.find(' ')) + " (not supported)");
        else if (startsWith(firstLine, "## template:"))
            result.ignoredParts.push_back(where + ": a jinja template (not supported)");
        else if (startsWith(firstLine, "#cloud-boothook") || startsWith(firstLine, "#upstart-job") || startsWith(firstLine, "#part-handler"))
            result.ignoredParts.push_back(where + ": " + firstLine + " (imprint runs no code)");
        else
            result.ignoredParts.push_back(where + ": not cloud-config (unrecognised format)");
    }

    void mergeCloudConfig(std::string_view text, const std::string & where, const char * kind)
    {
        json doc = parseYaml(text, where);
        if (doc.is_null())
            return;
        if (!doc.is_object())
            throw Error(where + ": " + kind + " is not a mapping");
        mergeInto(result.config, doc);
    }

    void decodeMime(std::string_view data, const std::string & where, int nesting)
    {
        MimeEntity top = parseEntity(data);
        if (!startsWith(mediaType(top.headers["content-type"]), "multipart/")) {
            decodePart(top, where, nesting);
            return;
        }
        decodeMultipart(top, where, nesting);
    }

    void decodeMultipart(MimeEntity & entity, const std::string & where, int nesting)
    {
        enter(nesting + 1, where);
        std::string boundary = headerParam(entity.headers["content-type"], "boundary");
        if (boundary.empty())
            throw Error(where + ": multipart user-data without a boundary");
        for (std::string_view raw : splitMultipart(entity.body, boundary)) {
            if (partCounter_ >= kMaxMimeParts)
                throw Error(where + ": more than " + std::to_string(kMaxMimeParts) + " MIME parts");
            MimeEntity part = parseEntity(raw);
            decodePart(part, where + " part " + std::to_string(++partCounter_), nesting + 1);
        }
    }

    void decodePart(MimeEntity & part, const std::string & where, int nesting)
    {
        std::string type = mediaType(part.headers["content-type"]);
        std::string encoding = lowerAscii(trim(part.headers["content-transfer-encoding"]));
        std::string decoded;  // owns what base64 produced; `body` views it or the input
        std::string_view body = part.body;
        if (encoding == "base64") {
            decoded = base64Decode(body, where);
            spend(decoded.size(), where);
            body = decoded;
        } else if (!encoding.empty() && encoding != "7bit" && encoding != "8bit" && encoding != "binary") {
            throw Error(where + ": unsupported Content-Transfer-Encoding '" + encoding + "'");
        }
        if (isGzip(body) || type == "application/x-gzip" || type == "application/gzip") {
            decodeGzip(body, where, nesting);
            return;
        }
        if (startsWith(type, "multipart/")) {
            part.body = body;
            decodeMultipart(part, where, nesting);
            return;
        }
        if (type == "text/cloud-config") {
            mergeCloudConfig(body, where, "text/cloud-config");
            return;
        }
        if (type == "text/cloud-config-jsonp") {
            result.ignoredParts.push_back(where + ": text/cloud-config-jsonp (not supported)");
            return;
        }
        if (type == "text/plain" || type.empty()) {
            decodeText(body, where);  // cloud-init looks at the first line of untyped parts
            return;
        }
        result.ignoredParts.push_back(where + ": " + type + " (imprint handles only cloud-config)");
    }
};

} // namespace

CloudConfig decodeUserData(std::string_view raw, const std::string & origin)
{
    Decoder d(origin);
    d.decode(raw, origin, 0);
    return std::move(d.result);
}

} // namespace imprint
