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
#include <limits>
#include <vector>

namespace imprint {

namespace {

struct IndentLevel
{
    std::size_t indent;
    std::size_t depth;  // nesting depth of content on more-indented lines below this one
    // The column of a key whose value starts on a later line ("key:" at the end of the line), or
    // npos. A block sequence may sit at that very column ("key:\n- a\n- b"): it is still the
    // key's value, one level deeper, not a sibling.
    std::size_t openKeyCol = std::string_view::npos;
};

bool isBlank(char c) { return c == ' ' || c == '\t'; }
bool isFlowIndicator(char c) { return c == ',' || c == '[' || c == ']' || c == '{' || c == '}'; }

class DepthScanner
{
public:
    // YAML breaks lines at CR LF, LF and a lone CR alike; the scanner reads LF only.
    explicit DepthScanner(std::string_view text) : t_(text)
    {
        if (text.find('\r') == std::string_view::npos)
            return;
        owned_.reserve(text.size());
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] != '\r')
                owned_ += text[i];
            else if (i + 1 >= text.size() || text[i + 1] != '\n')
                owned_ += '\n';  // a lone CR: yamlNestingBound() does not get here
        }
        t_ = owned_;
    }

    std::size_t run()
    {
        while (pos_ < t_.size())
            scanLine();
        if (ambiguous_) {
            // Every opener, and every ':' that a naive bracket count puts inside a flow
            // collection, as if a misread quote had hidden them all.
            std::size_t openers = 0, colons = 0, naive = 0;
            for (char c : t_) {
                if (c == '[' || c == '{') { ++openers; ++naive; }
                else if ((c == ']' || c == '}') && naive > 0) --naive;
                else if (c == ':' && naive > 0) ++colons;
            }
            max_ = std::max(max_, maxBlockDepth_ + openers + colons);
        }
        return max_;
    }

private:
    std::string owned_;  // the text with line breaks made LF, when it had a CR
    std::string_view t_;
    std::size_t pos_ = 0;
    std::vector<IndentLevel> stack_;
    std::size_t flow_ = 0;
    // In flow context every ':' (and '? ') can open a map of its own: "[a: b]" is a sequence of
    // a one-pair map, "{: : : a}" nests three maps without a bracket. Counted per open flow
    // collection until the entry ends at ',' (each ':' counted, which can only overcount).
    std::vector<std::size_t> flowColons_;
    std::size_t flowExtra_ = 0;  // the sum of flowColons_
    std::size_t flowBase_ = 0;   // block depth where the open flow collection started
    // The deepest point since the last block indicator: a ':' makes all of it a mapping key, one
    // level deeper than it looked ("[ c ]: x" nests c three levels down; found by fuzz-yaml).
    std::size_t sinceIndicator_ = 0;
    // The same inside each open flow collection, since its current entry began: "[[a]: b]".
    std::vector<std::size_t> flowSince_;
    std::size_t max_ = 0;
    std::size_t maxBlockDepth_ = 0;
    bool ambiguous_ = false;
    bool plainOpenAtEol_ = false;       // the previous line ended inside a plain scalar
    std::size_t plainLineIndent_ = 0;   // indent of the line where that plain scalar started
    std::size_t plainScalarCol_ = 0;    // the column where it started
    bool singleLineQuotes_ = false;     // this line may be plain text: a quote on it may be literal
    bool blockScalar_ = false;
    std::size_t blockParentIndent_ = 0;
    std::size_t blockContentIndent_ = 0;  // 0 = not yet known
    std::size_t lineOpenKeyCol_ = std::string_view::npos;  // set by scanTokens for the line

    std::size_t lineEnd(std::size_t from) const
    {
        auto nl = t_.find('\n', from);
        return nl == std::string_view::npos ? t_.size() : nl;
    }

    void note(std::size_t depth)
    {
        max_ = std::max(max_, depth);
        sinceIndicator_ = std::max(sinceIndicator_, depth);
        if (!flowSince_.empty())
            flowSince_.back() = std::max(flowSince_.back(), depth);
    }

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
            // A plain scalar goes on to a line indented more than its parent collection, a
            // column this scanner does not track exactly; it lies between the indent of the line
            // where the scalar started and the scalar's own column. Past the scalar's column the
            // line surely is text; in between it is scanned as structure (which can only
            // overcount), except that a quote on it may be literal text.
            bool maybeContinuation = plainOpenAtEol_ && indent > plainLineIndent_;
            if (maybeContinuation) {
                std::string_view rest = t_.substr(content, end - content);
                if (rest.find_first_of("\"'[]{}") != std::string_view::npos)
                    ambiguous_ = true;
            }
            if (plainOpenAtEol_ && indent > plainScalarCol_) {
                pos_ = end + 1;
                return;
            }
            singleLineQuotes_ = maybeContinuation;
            // yaml-cpp also nests a ": value" or "? key" line at that column under the open key
            // (found by fuzz-yaml: "a: \n: v" builds three levels), so those stay nested too.
            bool dashLine = (t_[content] == '-' || t_[content] == ':' || t_[content] == '?') &&
                            (content + 1 >= end || isBlank(t_[content + 1]) || t_[content + 1] == '\r');
            while (!stack_.empty() && stack_.back().indent >= indent &&
                   !(dashLine && stack_.back().openKeyCol == indent))
                stack_.pop_back();
            if (indent == 0 && isDocumentMarker(content, end)) {
                stack_.clear();
                content += 3;
            }
        } else if (plainOpenAtEol_ && content < end && (t_[content] == '"' || t_[content] == '\'')) {
            ambiguous_ = true;  // a flow plain scalar may continue on this line
        }
        plainOpenAtEol_ = false;
        if (flow_ == 0)
            sinceIndicator_ = 0;
        // A line inside a flow collection opened on an earlier line sits as deep as that line's
        // block context plus its indicators, not at the top (found by fuzz-yaml: "- - [a,\n {? [c]}]").
        const bool inFlowAtStart = flow_ > 0;
        std::size_t base = inFlowAtStart ? flowBase_ : (stack_.empty() ? 0 : stack_.back().depth);
        std::size_t lineIndicators = scanTokens(content, end, base, indent);
        if (!inFlowAtStart && flow_ > 0)
            flowBase_ = base + lineIndicators;
        singleLineQuotes_ = false;
        if (flow_ == 0)
            stack_.push_back({indent, base + 1 + lineIndicators, lineOpenKeyCol_});
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
        std::size_t lineStart = p - indent;
        std::size_t lastTokenCol = std::string_view::npos, openKeyCol = std::string_view::npos;
        // The column where the node after the last indicator starts (its anchor or tag included).
        auto tokenAt = [&](std::size_t at) {
            if (lastTokenCol == std::string_view::npos)
                lastTokenCol = at - lineStart;
            openKeyCol = std::string_view::npos;
        };
        lineOpenKeyCol_ = std::string_view::npos;
        std::size_t plainStart = p;
        auto depthHere = [&] { return base + 1 + indicators + flow_ + flowExtra_; };
        note(depthHere());
        while (p < end) {
            char c = t_[p];
            char next = p + 1 < end ? t_[p + 1] : '\n';
            bool nextEnds = next == '\n' || next == '\r' || isBlank(next);
            if (c == '\r') { ++p; continue; }
            if (c == '#' && (p == 0 || isBlank(t_[p - 1]) || t_[p - 1] == '\n'))
                break;
            if (flow_ > 0 && (c == ':' || (c == '?' && nextEnds))) {
                std::size_t keyDepth = c == ':' ? flowSince_.back() + 1 : 0;
                ++flowColons_.back();
                ++flowExtra_;
                note(depthHere());
                note(keyDepth);
            }
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
                tokenAt(p);
                std::size_t from = p;
                p = skipQuoted(p, end);
                if (singleLineQuotes_ && (p == std::string_view::npos || p > end)) {
                    // Perhaps not a quote at all: read on as if it were plain text. If it was a
                    // quote, what follows is scanned as structure, which can only overcount.
                    ambiguous_ = true;
                    plainStart = from;
                    p = from + 1;
                    tokenStart = false;
                    inPlain = true;
                    continue;
                }
                if (p == std::string_view::npos) { pos_ = t_.size(); return indicators; }
                if (p > end) {  // a multi-line quoted scalar: columns now count from its last line
                    lineStart = t_.rfind('\n', p - 1) + 1;
                    if (lineStart <= from) lineStart = from;
                    lastTokenCol = std::string_view::npos;
                }
                end = lineEnd(p);
                tokenStart = false;
                continue;
            }
            if (c == '[' || c == '{') {
                tokenAt(p);
                ++flow_;
                flowColons_.push_back(0);
                flowSince_.push_back(0);
                note(depthHere());
                tokenStart = true;
                ++p;
                continue;
            }
            if (c == ']' || c == '}') {
                if (flow_ > 0) {
                    --flow_;
                    flowExtra_ -= flowColons_.back();
                    flowColons_.pop_back();
                    std::size_t inner = flowSince_.back();
                    flowSince_.pop_back();
                    note(inner);  // the closed collection is part of the enclosing entry
                }
                tokenStart = false;
                ++p;
                continue;
            }
            if (c == ',' && flow_ > 0) {
                flowExtra_ -= flowColons_.back();
                flowColons_.back() = 0;
                flowSince_.back() = 0;
                tokenStart = true;
                ++p;
                continue;
            }
            if ((c == '-' || c == '?' || c == ':') && nextEnds) {
                if (flow_ == 0) {
                    std::size_t keyDepth = c == ':' ? sinceIndicator_ + 1 : 0;
                    sinceIndicator_ = 0;
                    ++indicators;
                    note(depthHere());
                    note(keyDepth);
                    if (c == ':') {
                        openKeyCol = lastTokenCol != std::string_view::npos ? lastTokenCol : p - lineStart;
                        lastTokenCol = std::string_view::npos;
                    } else if (c == '?') {
                        // "? " ending its line: a "- " line at its column is the key's sequence
                        // (found by fuzz-yaml).
                        openKeyCol = p - lineStart;
                        lastTokenCol = std::string_view::npos;
                    } else {
                        openKeyCol = lastTokenCol = std::string_view::npos;
                    }
                }
                tokenStart = true;
                ++p;
                continue;
            }
            if (c == ':' && flow_ > 0 && isFlowIndicator(next)) { tokenStart = true; ++p; continue; }
            if (tokenStart && (c == '&' || c == '!')) {  // anchor or tag: the node is still to come
                tokenAt(p);
                // yaml-cpp ends an anchor at ": " too (found by fuzz-yaml: "&k: v" is a map).
                while (p < end && !isBlank(t_[p]) && !(flow_ > 0 && isFlowIndicator(t_[p])) &&
                       !(t_[p] == ':' && (p + 1 >= end || isBlank(t_[p + 1]) || t_[p + 1] == '\r')))
                    ++p;
                continue;
            }
            if (tokenStart && flow_ == 0 && (c == '|' || c == '>')) {
                openKeyCol = std::string_view::npos;
                startBlockScalar(p + 1, end, indent);
                break;
            }
            // The start of a plain scalar (or an alias): it runs to ": ", " #" or, in flow
            // context, a flow indicator.
            tokenStart = false;
            inPlain = true;
            tokenAt(p);
            plainStart = p;
            ++p;
        }
        if (inPlain) {
            plainOpenAtEol_ = true;
            plainLineIndent_ = indent;
            plainScalarCol_ = plainStart - lineStart;
        }
        if (flow_ == 0)
            lineOpenKeyCol_ = openKeyCol;
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
    // yaml-cpp's input stream uses the byte 0x04 as its end-of-stream marker, which some of its
    // rules match as a line break and others do not: no column arithmetic can follow that.
    // parseYaml() refuses control characters before it asks for the bound; this is the backstop.
    if (text.find('\x04') != std::string_view::npos)
        return std::numeric_limits<std::size_t>::max();
    // Nor after a CR that is not part of CR LF: yaml-cpp matches it as a break but goes on
    // counting columns on the same line (found by fuzz-yaml). parseYaml() refuses it too.
    for (auto cr = text.find('\r'); cr != std::string_view::npos; cr = text.find('\r', cr + 1))
        if (cr + 1 >= text.size() || text[cr + 1] != '\n')
            return std::numeric_limits<std::size_t>::max();
    return std::max<std::size_t>(1, DepthScanner(text).run());  // even "" loads as one node
}

} // namespace imprint
