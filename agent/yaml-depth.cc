// An upper bound of a YAML text's nesting depth, computed by a small non-recursive scanner that
// mirrors where yaml-cpp's scanner starts tokens. It exists so that deep nesting is refused
// before yaml-cpp's recursive-descent parser can overflow the stack on it.
//
// The scanner is exact where YAML is unambiguous and pessimistic where it is not: a quote at the
// start of a line that may continue a multi-line plain scalar, a block scalar whose indentation it
// cannot pin down, or an explicit indentation indicator. In those cases the bound also counts every
// '[' and '{' of the whole text, so a misread quote can never hide real nesting from the cap.

#include "agent/documents.hh"

#include <algorithm>
#include <vector>

namespace imprint {

namespace {

struct IndentLevel
{
    std::size_t indent;
    std::size_t depth;  // nesting depth of content on more-indented lines below this one
};

bool isBlank(char c) { return c == ' ' || c == '\t'; }
bool isFlowIndicator(char c) { return c == ',' || c == '[' || c == ']' || c == '{' || c == '}'; }

class DepthScanner
{
public:
    explicit DepthScanner(std::string_view text) : t_(text) {}

    std::size_t run()
    {
        while (pos_ < t_.size())
            scanLine();
        if (ambiguous_) {
            std::size_t openers = std::count(t_.begin(), t_.end(), '[') + std::count(t_.begin(), t_.end(), '{');
            max_ = std::max(max_, maxBlockDepth_ + openers);
        }
        return max_;
    }

private:
    std::string_view t_;
    std::size_t pos_ = 0;
    std::vector<IndentLevel> stack_;
    std::size_t flow_ = 0;
    std::size_t max_ = 0;
    std::size_t maxBlockDepth_ = 0;
    bool ambiguous_ = false;
    bool plainOpenAtEol_ = false;       // the previous line ended inside a plain scalar
    std::size_t plainLineIndent_ = 0;   // indent of the line where that plain scalar started
    bool blockScalar_ = false;
    std::size_t blockParentIndent_ = 0;
    std::size_t blockContentIndent_ = 0;  // 0 = not yet known

    std::size_t lineEnd(std::size_t from) const
    {
        auto nl = t_.find('\n', from);
        return nl == std::string_view::npos ? t_.size() : nl;
    }

    void note(std::size_t depth) { max_ = std::max(max_, depth); }

    void scanLine()
    {
        std::size_t start = pos_, end = lineEnd(pos_);
        std::size_t indent = 0;
        while (start + indent < end && t_[start + indent] == ' ')
            ++indent;
        std::size_t content = start + indent;
        bool blank = content >= end || t_[content] == '\r' || t_[content] == '#' ||
                     (isBlank(t_[content]) && t_.find_first_not_of(" \t\r", content) >= end);

        if (blockScalar_) {
            if (blank) { pos_ = end + 1; return; }
            if (blockContentIndent_ == 0) {
                if (indent > blockParentIndent_) {
                    blockContentIndent_ = indent;
                    // yaml-cpp requires more than the enclosing collection's column, which can be
                    // deeper than the line's indent ("- key: |"): a shallow body is ambiguous.
                    if (indent <= blockParentIndent_ + 2)
                        ambiguous_ = true;
                }
            }
            if (blockContentIndent_ != 0 && indent >= blockContentIndent_) { pos_ = end + 1; return; }
            blockScalar_ = false;
        }

        if (flow_ == 0) {
            if (blank) { pos_ = end + 1; return; }
            if (indent == 0 && t_[content] == '%') { pos_ = end + 1; return; }  // directive
            bool continuation = plainOpenAtEol_ && indent > plainLineIndent_;
            if (continuation) {
                // Either the plain scalar goes on (its text is not structure) or a new token
                // starts; yaml-cpp decides by a column this scanner does not track exactly.
                std::string_view rest = t_.substr(content, end - content);
                if (rest.find_first_of("\"'[]{}") != std::string_view::npos)
                    ambiguous_ = true;
                pos_ = end + 1;
                return;
            }
            while (!stack_.empty() && stack_.back().indent >= indent)
                stack_.pop_back();
            if (indent == 0 && isDocumentMarker(content, end)) {
                stack_.clear();
                content += 3;
            }
        } else if (plainOpenAtEol_ && content < end && (t_[content] == '"' || t_[content] == '\'')) {
            ambiguous_ = true;  // a flow plain scalar may continue on this line
        }
        plainOpenAtEol_ = false;
        std::size_t base = stack_.empty() ? 0 : stack_.back().depth;
        std::size_t lineIndicators = scanTokens(content, end, base, indent);
        if (flow_ == 0)
            stack_.push_back({indent, base + 1 + lineIndicators});
        maxBlockDepth_ = std::max(maxBlockDepth_, base + 1 + lineIndicators);
    }

    bool isDocumentMarker(std::size_t at, std::size_t end) const
    {
        if (end - at < 3)
            return false;
        auto m = t_.substr(at, 3);
        return (m == "---" || m == "...") && (at + 3 == end || isBlank(t_[at + 3]) || t_[at + 3] == '\r');
    }

    // Scans one line's tokens from `p`; returns the number of block indicators ("- ", "? ", ": ")
    // it saw outside flow context. May move pos_ past several lines (multi-line quoted scalars).
    std::size_t scanTokens(std::size_t p, std::size_t end, std::size_t base, std::size_t indent)
    {
        std::size_t indicators = 0;
        bool tokenStart = true;  // a node may start here
        bool inPlain = false;
        auto depthHere = [&] { return base + 1 + indicators + flow_; };
        note(depthHere());
        while (p < end) {
            char c = t_[p];
            char next = p + 1 < end ? t_[p + 1] : '\n';
            bool nextEnds = next == '\n' || next == '\r' || isBlank(next);
            if (c == '\r') { ++p; continue; }
            if (c == '#' && (p == 0 || isBlank(t_[p - 1]) || t_[p - 1] == '\n'))
                break;
            if (inPlain) {
                if (c == ':' && (nextEnds || (flow_ > 0 && isFlowIndicator(next)))) {
                    inPlain = false;
                } else if (flow_ > 0 && isFlowIndicator(c)) {
                    inPlain = false;
                } else {
                    ++p;
                    continue;
                }
            }
            if (isBlank(c)) { ++p; continue; }
            if (tokenStart && (c == '"' || c == '\'')) {
                p = skipQuoted(p, end);
                if (p == std::string_view::npos) { pos_ = t_.size(); return indicators; }
                end = lineEnd(p);
                tokenStart = false;
                continue;
            }
            if (c == '[' || c == '{') {
                ++flow_;
                note(depthHere());
                tokenStart = true;
                ++p;
                continue;
            }
            if (c == ']' || c == '}') {
                if (flow_ > 0)
                    --flow_;
                tokenStart = false;
                ++p;
                continue;
            }
            if (c == ',' && flow_ > 0) { tokenStart = true; ++p; continue; }
            if ((c == '-' || c == '?' || c == ':') && nextEnds) {
                if (flow_ == 0) {
                    ++indicators;
                    note(depthHere());
                }
                tokenStart = true;
                ++p;
                continue;
            }
            if (c == ':' && flow_ > 0 && isFlowIndicator(next)) { tokenStart = true; ++p; continue; }
            if (tokenStart && (c == '&' || c == '!')) {  // anchor or tag: the node is still to come
                while (p < end && !isBlank(t_[p]) && !(flow_ > 0 && isFlowIndicator(t_[p])))
                    ++p;
                continue;
            }
            if (tokenStart && flow_ == 0 && (c == '|' || c == '>')) {
                startBlockScalar(p + 1, end, indent);
                break;
            }
            // The start of a plain scalar (or an alias): it runs to ": ", " #" or, in flow
            // context, a flow indicator.
            tokenStart = false;
            inPlain = true;
            ++p;
        }
        if (inPlain) {
            plainOpenAtEol_ = true;
            plainLineIndent_ = indent;
        }
        pos_ = end + 1;
        return indicators;
    }

    void startBlockScalar(std::size_t p, std::size_t end, std::size_t indent)
    {
        while (p < end && (t_[p] == '+' || t_[p] == '-' || (t_[p] >= '0' && t_[p] <= '9'))) {
            if (t_[p] >= '0' && t_[p] <= '9')
                ambiguous_ = true;  // explicit indentation: not tracked
            ++p;
        }
        blockScalar_ = true;
        blockParentIndent_ = indent;
        blockContentIndent_ = 0;
    }

    // Returns the position after the closing quote, or npos when the text ends first.
    std::size_t skipQuoted(std::size_t p, std::size_t)
    {
        char q = t_[p++];
        while (p < t_.size()) {
            char c = t_[p];
            if (q == '"' && c == '\\') { p += 2; continue; }
            if (c == q) {
                if (q == '\'' && p + 1 < t_.size() && t_[p + 1] == '\'') { p += 2; continue; }
                return p + 1;
            }
            ++p;
        }
        return std::string_view::npos;
    }
};

} // namespace

std::size_t yamlNestingBound(std::string_view text)
{
    return DepthScanner(text).run();
}

} // namespace imprint
