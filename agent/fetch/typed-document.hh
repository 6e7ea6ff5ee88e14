#pragma once
// Documents from outside read into typed structs: each provider declares the fields it reads
// as a struct and a from_json (nlohmann's customisation point) of one readKey line per field,
// instead of testing and converting each key by hand. The field types are lenient the way a
// metadata document needs: a missing key, a null or a value of the wrong shape leaves the
// field empty, and the provider decides what is required (and says which key is missing).

#include "agent/fetch/documents.hh"
#include "agent/system/error.hh"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imprint {

// A scalar field: its text (numbers and booleans as written; see scalarText), or nothing when
// the key is missing, null, or an array or object.
struct Text
{
    std::optional<std::string> value;
    // Present and not empty: most platforms send "" for "not set".
    bool present() const { return value && !value->empty(); }
    const std::string & operator*() const { return *value; }
};
inline void from_json(const nlohmann::json & j, Text & t)
{
    t.value = scalarText(j);
}

// A list of scalars: an array's scalar elements in order (anything else in it skipped), or one
// scalar as a list of one; empty for anything else.
struct TextList
{
    std::vector<std::string> items;
};
inline void from_json(const nlohmann::json & j, TextList & t)
{
    if (j.is_array()) {
        for (const auto & e : j)
            if (auto s = scalarText(e))
                t.items.push_back(std::move(*s));
    } else if (auto s = scalarText(j)) {
        t.items.push_back(std::move(*s));
    }
}

// An object's scalar members, name and text, in the document's order; empty for a non-object.
struct TextMap
{
    std::vector<std::pair<std::string, std::string>> items;
};
inline void from_json(const nlohmann::json & j, TextMap & t)
{
    if (j.is_object())
        for (const auto & [k, v] : j.items())
            if (auto s = scalarText(v))
                t.items.emplace_back(k, std::move(*s));
}

// An array of objects, each read as T; elements that are not objects are skipped.
template <class T>
struct ObjectList
{
    std::vector<T> items;
};
template <class T>
void from_json(const nlohmann::json & j, ObjectList<T> & list)
{
    if (!j.is_array())
        return;
    for (const auto & e : j)
        if (e.is_object()) {
            T item{};
            from_json(e, item);
            list.items.push_back(std::move(item));
        }
}

// Reads object[key] into `out` when `object` is an object holding `key`; leaves `out` as it is
// otherwise (a nested struct whose key holds a non-object reads nothing).
template <class T>
void readKey(const nlohmann::json & object, const char * key, T & out)
{
    if (!object.is_object())
        return;
    if (auto it = object.find(key); it != object.end())
        from_json(*it, out);
}

// A document from outside as T: parsed with the caps of documents.hh, which must give an object.
template <class T>
T readJsonDocument(std::string_view text, const std::string & origin)
{
    auto j = parseJson(text, origin);
    if (!j.is_object())
        throw Error(origin + ": expected a JSON object");
    T doc{};
    from_json(j, doc);
    return doc;
}

template <class T>
T readYamlDocument(std::string_view text, const std::string & origin)
{
    auto j = parseYaml(text, origin);
    if (!j.is_object())
        throw Error(origin + ": expected a YAML mapping");
    T doc{};
    from_json(j, doc);
    return doc;
}

} // namespace imprint
