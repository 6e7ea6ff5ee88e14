#include "agent/cloud-config.hh"
#include "agent/documents.hh"
#include "agent/encoding.hh"
#include "agent/error.hh"
#include "agent/host.hh"

#include <algorithm>
#include <cctype>
#include <map>

namespace imprint {

using nlohmann::json;

namespace {

constexpr int kMaxMimeNesting = 4;

std::string lower(std::string_view s)
{
    std::string out(s);
    for (auto & c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

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

struct MimeEntity
{
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
};

// Splits "Content-Type: multipart/mixed; boundary=\"x\"" parameters.
std::string headerParam(const std::string & header, const std::string & name)
{
    std::string lowerHeader = lower(header);
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
    return lower(trim(contentType.substr(0, semi)));
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
        lastName = lower(trim(line.substr(0, colon)));
        e.headers[lastName] = trim(line.substr(colon + 1));
    }
    e.body = pos < text.size() ? std::string(text.substr(pos)) : std::string();
    return e;
}

std::vector<std::string> splitMultipart(const std::string & body, const std::string & boundary)
{
    std::vector<std::string> parts;
    const std::string delim = "--" + boundary;
    std::size_t pos = 0;
    std::size_t partStart = std::string::npos;
    while (pos <= body.size()) {
        auto eol = body.find('\n', pos);
        std::string line = body.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        bool isClose = line == delim + "--";
        if (line == delim || isClose) {
            if (partStart != std::string::npos) {
                std::size_t end = pos;
                // The line break before a delimiter belongs to the delimiter.
                if (end > partStart && body[end - 1] == '\n') --end;
                if (end > partStart && body[end - 1] == '\r') --end;
                parts.push_back(body.substr(partStart, end - partStart));
            }
            if (isClose)
                return parts;
            partStart = eol == std::string::npos ? body.size() : eol + 1;
        }
        if (eol == std::string::npos)
            break;
        pos = eol + 1;
    }
    if (partStart != std::string::npos && partStart < body.size())
        parts.push_back(body.substr(partStart));  // tolerate a missing closing delimiter
    return parts;
}

class Decoder
{
public:
    explicit Decoder(std::string origin) : origin_(std::move(origin)) {}

    CloudConfig result;

    void decode(std::string_view data, const std::string & where, int nesting)
    {
        if (isGzip(data)) {
            std::string inflated = gunzip(data, kUserDataCap, where);
            decode(inflated, where + " (gzip)", nesting);
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

    static bool isMime(std::string_view data)
    {
        auto head = lower(data.substr(0, std::min<std::size_t>(data.size(), 4096)));
        return startsWith(head, "content-type:") || startsWith(head, "mime-version:");
    }

    void decodeText(std::string_view data, const std::string & where)
    {
        auto firstLine = trim(data.substr(0, data.find('\n')));
        if (firstLine.empty() && trim(data).empty())
            return;
        if (startsWith(firstLine, "#cloud-config")) {
            json doc = parseYaml(data, where);
            if (doc.is_null())
                return;
            if (!doc.is_object())
                throw Error(where + ": #cloud-config is not a mapping");
            mergeInto(result.config, doc);
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

    void decodeMime(std::string_view data, const std::string & where, int nesting)
    {
        if (nesting >= kMaxMimeNesting)
            throw Error(where + ": MIME parts nested deeper than " + std::to_string(kMaxMimeNesting) + " levels");
        MimeEntity top = parseEntity(data);
        std::string type = mediaType(top.headers["content-type"]);
        if (!startsWith(type, "multipart/")) {
            decodePart(top, where, nesting);
            return;
        }
        std::string boundary = headerParam(top.headers["content-type"], "boundary");
        if (boundary.empty())
            throw Error(where + ": multipart user-data without a boundary");
        for (const auto & raw : splitMultipart(top.body, boundary)) {
            MimeEntity part = parseEntity(raw);
            decodePart(part, where + " part " + std::to_string(++partCounter_), nesting + 1);
        }
    }

    void decodePart(MimeEntity & part, const std::string & where, int nesting)
    {
        std::string type = mediaType(part.headers["content-type"]);
        std::string encoding = lower(trim(part.headers["content-transfer-encoding"]));
        std::string body = part.body;
        if (encoding == "base64")
            body = base64Decode(body, where);
        else if (!encoding.empty() && encoding != "7bit" && encoding != "8bit" && encoding != "binary")
            throw Error(where + ": unsupported Content-Transfer-Encoding '" + encoding + "'");
        if (isGzip(body) || type == "application/x-gzip" || type == "application/gzip") {
            body = gunzip(body, kUserDataCap, where);
            decode(body, where + " (gzip)", nesting);
            return;
        }
        if (startsWith(type, "multipart/")) {
            std::string nested = "Content-Type: " + part.headers["content-type"] + "\n\n" + body;
            decodeMime(nested, where, nesting);
            return;
        }
        if (type == "text/cloud-config" || type == "text/cloud-config-jsonp") {
            if (type == "text/cloud-config-jsonp") {
                result.ignoredParts.push_back(where + ": text/cloud-config-jsonp (not supported)");
                return;
            }
            json doc = parseYaml(body, where);
            if (doc.is_null())
                return;
            if (!doc.is_object())
                throw Error(where + ": text/cloud-config is not a mapping");
            mergeInto(result.config, doc);
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
