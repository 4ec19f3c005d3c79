// valijson over the embedded schemas, with its findings turned into
// diagnostics that point at the offending node and read like a person wrote them.
#include "ferry/schema/schema.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <tuple>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "compiled_schema.hpp"
#include "ferry/model/workspace.hpp"
#include "ferry/schema/embedded.hpp"
#include "ferry/util/did_you_mean.hpp"
#include "ferry/yaml/value.hpp"

namespace ferry {

using json = nlohmann::json;

struct SchemaSet::Impl {
    struct Entry {
        json document;
        valijson::Schema schema;
        std::unique_ptr<schema::CompiledSchema> fast;  // says "valid" for most files, quickly
    };
    std::map<std::string, Entry, std::less<>> entries;
};

SchemaSet::SchemaSet() : impl_(std::make_unique<Impl>()) {
    for (const auto& embedded : schema::embedded_schemas()) {
        auto& entry = impl_->entries[std::string(embedded.name)];
        entry.document = json::parse(embedded.text);
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
        valijson::adapters::NlohmannJsonAdapter adapter(entry.document);
        parser.populateSchema(adapter, entry.schema);
        entry.fast = std::make_unique<schema::CompiledSchema>(entry.document);
    }
}

SchemaSet::~SchemaSet() = default;

const SchemaSet& SchemaSet::builtin() {
    static const SchemaSet set;
    return set;
}

namespace {

std::string_view type_name(yaml::Type t) {
    switch (t) {
        case yaml::Type::null:
            return "null";
        case yaml::Type::boolean:
            return "a boolean";
        case yaml::Type::integer:
            return "an integer";
        case yaml::Type::number:
            return "a number";
        case yaml::Type::string:
            return "a string";
        case yaml::Type::map:
            return "a mapping";
        case yaml::Type::seq:
            return "a list";
    }
    return "?";
}

std::string schema_type_name(const std::string& t) {
    if (t == "object") return "a mapping";
    if (t == "array") return "a list";
    if (t == "string") return "a string";
    if (t == "integer") return "an integer";
    if (t == "number") return "a number";
    if (t == "boolean") return "a boolean (true or false)";
    return t;
}

constexpr std::string_view kIdPattern = "^[a-z0-9][a-z0-9_-]{0,63}$";
constexpr std::string_view kNotAnId =
    "must be an id: lowercase letters, digits, '-' and '_', starting with a letter or digit, at most 64 characters";

// The subschemas that apply at one place of a document, following $ref and
// the combinators, so that messages can say what was expected there.
class SchemaWalker {
public:
    explicit SchemaWalker(const json& root) : root_(root) {}

    std::vector<const json*> at_root() const {
        std::vector<const json*> out;
        expand(&root_, out, 0);
        return out;
    }

    std::vector<const json*> step(const std::vector<const json*>& from, const std::string& key, bool is_index) const {
        std::vector<const json*> out;
        for (const json* s : from) {
            if (is_index) {
                if (auto it = s->find("items"); it != s->end() && it->is_object()) expand(&*it, out, 0);
                continue;
            }
            auto props = s->find("properties");
            if (props != s->end() && props->contains(key)) {
                expand(&(*props)[key], out, 0);
            } else if (auto add = s->find("additionalProperties"); add != s->end() && add->is_object()) {
                expand(&*add, out, 0);
            }
        }
        return out;
    }

    // `s` with what it refers to and combines.
    std::vector<const json*> resolve(const json* s) const {
        std::vector<const json*> out;
        expand(s, out, 0);
        return out;
    }

private:
    void expand(const json* s, std::vector<const json*>& out, int depth) const {
        if (depth > 16 || !s->is_object()) return;
        if (auto ref = s->find("$ref"); ref != s->end() && ref->is_string()) {
            std::string pointer = ref->get<std::string>();
            if (pointer.starts_with("#")) {
                try {
                    expand(&root_.at(json::json_pointer(pointer.substr(1))), out, depth + 1);
                } catch (const std::exception&) {
                }
            }
        }
        out.push_back(s);
        for (const char* combinator : {"allOf", "anyOf", "oneOf"}) {
            if (auto it = s->find(combinator); it != s->end() && it->is_array()) {
                for (const json& sub : *it)
                    expand(&sub, out, depth + 1);
            }
        }
        for (const char* branch : {"then", "else"}) {
            if (auto it = s->find(branch); it != s->end()) expand(&*it, out, depth + 1);
        }
    }
    const json& root_;
};

std::vector<std::string> property_names(const std::vector<const json*>& schemas) {
    std::vector<std::string> names;
    for (const json* s : schemas) {
        if (auto props = s->find("properties"); props != s->end() && props->is_object()) {
            for (const auto& [k, _] : props->items()) {
                if (std::ranges::find(names, k) == names.end()) names.push_back(k);
            }
        }
    }
    return names;
}

std::string expected_types(const std::vector<const json*>& schemas) {
    std::vector<std::string> types;
    auto add = [&](const json& t) {
        if (t.is_string() && std::ranges::find(types, t.get<std::string>()) == types.end()) {
            types.push_back(t.get<std::string>());
        }
    };
    for (const json* s : schemas) {
        if (auto t = s->find("type"); t != s->end()) {
            if (t->is_array()) {
                for (const json& each : *t)
                    add(each);
            } else {
                add(*t);
            }
        }
    }
    std::string out;
    for (std::size_t i = 0; i < types.size(); ++i) {
        if (types[i] == "null") continue;
        if (!out.empty()) out += " or ";
        out += schema_type_name(types[i]);
    }
    return out.empty() ? "something else" : out;
}

std::string in_quotes(std::string_view s) {
    return "'" + std::string(s) + "'";
}

std::string quoted_after(std::string_view description, std::string_view marker) {
    auto at = description.find(marker);
    if (at == std::string_view::npos) return {};
    auto rest = description.substr(at + marker.size());
    auto open = rest.find('\'');
    auto close = rest.rfind('\'');
    if (open == std::string_view::npos || close <= open) return {};
    return std::string(rest.substr(open + 1, close - open - 1));
}

struct Finding {
    int priority;  // lower wins at one place
    std::string message;
    yaml::Mark mark;
    std::string hint;
    std::string unknown_field;  // set for an unknown field
};

constexpr int kTypePriority = 2;
constexpr int kWrapperPriority = 9;

struct Place {
    yaml::Node node;
    std::string path;  // config.mappings[0].to
    std::vector<const json*> schemas;
    bool found = true;
};

Place locate(const std::vector<std::string>& context, yaml::Node root, const SchemaWalker& walker) {
    Place place{root, "", walker.at_root()};
    for (std::size_t i = 1; i < context.size(); ++i) {  // context[0] is "<root>"
        const std::string& segment = context[i];
        if (segment.size() < 2 || segment.front() != '[' || segment.back() != ']') continue;
        std::string key = segment.substr(1, segment.size() - 2);
        if (place.node.is_seq()) {
            std::size_t index = 0;
            std::from_chars(key.data(), key.data() + key.size(), index);
            if (index >= place.node.size()) break;
            place.node = place.node.item(index);
            place.path += "[" + key + "]";
            place.schemas = walker.step(place.schemas, key, true);
        } else if (place.node.is_map()) {
            yaml::Node next = place.node.get(key);
            if (!next) break;
            place.node = next;
            place.path += (place.path.empty() ? "" : ".") + key;
            place.schemas = walker.step(place.schemas, key, false);
        }
    }
    return place;
}

// valijson names the first unknown field of a mapping only: every one of
// them is reported, each at its key, with a hint.
std::vector<Finding> unknown_fields(const Place& place, std::string_view skip_key) {
    std::vector<Finding> out;
    const std::vector<std::string> names = property_names(place.schemas);
    const std::string where = place.path.empty() ? "" : place.path + ": ";
    for (std::size_t i = 0; i < place.node.size(); ++i) {
        std::string key(place.node.key(i).text());
        if (std::ranges::find(names, key) != names.end()) continue;
        if (place.path.empty() && key == skip_key) continue;  // checked apart (a draft's block)
        std::string hint = did_you_mean(key, names);
        if (!hint.empty()) {
            hint = "did you mean " + in_quotes(hint) + "?";
        } else if (!names.empty()) {
            std::string list;
            for (const auto& n : names)
                list += (list.empty() ? "" : ", ") + n;
            hint = "known fields here: " + list;
        }
        out.push_back({0, where + "unknown field " + in_quotes(key), place.node.key(i).mark(), hint, key});
    }
    return out;
}

Finding describe(const std::string& description, const Place& place) {
    const std::string where = place.path.empty() ? "" : place.path + ": ";
    const std::string field = place.path.empty() ? "the document" : in_quotes(place.path);
    if (auto missing = quoted_after(description, "Missing required property"); !missing.empty()) {
        return {0, where + "missing required field " + in_quotes(missing), place.node.mark(), {}};
    }
    if (auto unknown = quoted_after(description, "constraints:"); !unknown.empty()) {
        return {0, where + "unknown field " + in_quotes(unknown), place.node.mark(), {}, unknown};
    }
    if (description.find("enum") != std::string::npos) {
        std::string allowed;
        std::vector<std::string> values;
        for (const json* s : place.schemas) {
            if (auto e = s->find("enum"); e != s->end() && e->is_array()) {
                for (const json& v : *e) {
                    if (!v.is_string()) continue;
                    values.push_back(v.get<std::string>());
                    allowed += (allowed.empty() ? "" : ", ") + values.back();
                }
            }
        }
        std::string found = place.node.is_string() && place.node.text().size() <= 40
                                ? " (found " + in_quotes(place.node.text()) + ")"
                                : "";
        // SPEC 6: a mistyped role (or any value of a list) gets a "did you mean".
        std::string hint;
        if (place.node.is_string()) {
            if (std::string close = did_you_mean(place.node.text(), values); !close.empty())
                hint = "did you mean " + in_quotes(close) + "?";
        }
        return {1, field + " must be one of: " + allowed + found, place.node.mark(), hint};
    }
    if (description.find("'type' constraint") != std::string::npos) {
        return {
            2,
            field + " must be " + expected_types(place.schemas) + ", not " + std::string(type_name(place.node.type())),
            place.node.mark(),
            {}};
    }
    if (description.find("'pattern'") != std::string::npos) {
        if (place.node.is_map()) {
            // From `propertyNames`: keys that must be ids (links.yaml, alerts).
            for (std::size_t i = 0; i < place.node.size(); ++i) {
                std::string_view key = place.node.key(i).text();
                if (is_valid_id(key)) continue;
                return {3, where + "key " + in_quotes(key) + " " + std::string(kNotAnId), place.node.key(i).mark(), {}};
            }
        }
        for (const json* s : place.schemas) {
            if (auto p = s->find("pattern"); p != s->end() && p->is_string()) {
                if (p->get<std::string>() == kIdPattern) {
                    return {3, field + " " + std::string(kNotAnId), place.node.mark(), {}};
                }
                return {3, field + " must match " + p->get<std::string>(), place.node.mark(), {}};
            }
        }
    }
    if (description.find("no fewer than") != std::string::npos && place.node.is_string()) {
        return {3, field + " must not be empty", place.node.mark(), {}};
    }
    // Wrappers such as "Failed to validate against child schema" only matter
    // when nothing more precise was found at the same place.
    int priority = description.starts_with("Failed to") ? kWrapperPriority : 5;
    std::string text = description;
    if (!text.empty() && text.back() == '.') text.pop_back();
    if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return {priority, where + text, place.node.mark(), {}};
}

// valijson 1.0 reports a key that fails `propertyNames` only as a wrapper
// ("failed to validate against additional properties schema") on some
// enclosing node, or not at all: every such key is found here, with the
// place of the mapping that holds it, named as valijson names places.
struct BadKey {
    std::vector<std::string> context;  // "<root>", "[sources]", ...
    Finding finding;
};
void find_bad_keys(const Place& place, std::vector<std::string>& context, const SchemaWalker& walker,
                   std::vector<BadKey>& out) {
    if (!place.node.is_map() || context.size() > 65 || out.size() >= 256) return;
    bool keys_are_ids = false;
    for (const json* s : place.schemas) {
        auto names = s->find("propertyNames");
        if (names == s->end()) continue;
        for (const json* n : walker.resolve(&*names)) {
            if (auto p = n->find("pattern"); p != n->end() && p->is_string() && p->get<std::string>() == kIdPattern)
                keys_are_ids = true;
        }
    }
    const std::string where = place.path.empty() ? "" : place.path + ": ";
    for (std::size_t i = 0; i < place.node.size(); ++i) {
        std::string key(place.node.key(i).text());
        if (keys_are_ids && !is_valid_id(key)) {
            out.push_back(
                {context,
                 {3, where + "key " + in_quotes(key) + " " + std::string(kNotAnId), place.node.key(i).mark(), {}}});
        }
        Place next{place.node.value(i), place.path + (place.path.empty() ? "" : ".") + key,
                   walker.step(place.schemas, key, false)};
        context.push_back("[" + key + "]");
        find_bad_keys(next, context, walker, out);
        context.pop_back();
    }
}

// Whether a wrapper reported at `context` is about `key`: the key lies at or
// below the node it names (its property, when the wrapper names one).
bool wrapper_covers(std::vector<std::string> context, const std::string& description, const BadKey& key) {
    if (auto name = quoted_after(description, "property name"); !name.empty()) context.push_back("[" + name + "]");
    return context.size() <= key.context.size() && std::equal(context.begin(), context.end(), key.context.begin());
}

}  // namespace

void SchemaSet::check(std::string_view schema, yaml::Node root, const std::string& file, const std::string& address,
                      Diagnostics& out, std::string_view skip_key) const {
    auto it = impl_->entries.find(schema);
    if (it == impl_->entries.end()) throw std::logic_error("no schema named " + std::string(schema));
    if (it->second.fast->accepts(root, skip_key)) return;
    // Not certainly valid: valijson finds and explains the problems.
    json document = to_json(root);
    if (!skip_key.empty() && document.is_object()) document.erase(std::string(skip_key));
    valijson::adapters::NlohmannJsonAdapter adapter(document);
    // valijson compiles each `pattern` once per Validator: one per thread
    // keeps them compiled across files.
    thread_local valijson::Validator validator(valijson::Validator::kStrongTypes);
    valijson::ValidationResults results;
    if (validator.validate(it->second.schema, adapter, &results)) return;

    std::vector<valijson::ValidationResults::Error> errors(results.begin(), results.end());
    // A file can hold thousands of mistakes; the first few hundred say enough
    // and keep the work below bounded.
    if (errors.size() > 256) errors.resize(256);
    // Wrappers ("failed to validate against child schema") and type errors
    // from the branches of a oneOf that do not apply say nothing when a
    // more precise finding lies deeper inside the same node.
    auto is_prefix = [](const std::vector<std::string>& a, const std::vector<std::string>& b) {
        return a.size() < b.size() && std::equal(a.begin(), a.end(), b.begin());
    };
    SchemaWalker walker(it->second.document);
    std::vector<BadKey> bad_keys;
    std::vector<std::string> root_context{"<root>"};
    find_bad_keys({root, "", walker.at_root()}, root_context, walker, bad_keys);
    std::map<std::vector<std::string>, std::vector<Finding>> by_place;
    for (const BadKey& k : bad_keys) {
        // Listed beside the mapping's own place, apart from its findings.
        std::vector<std::string> place = k.context;
        place.push_back("<key>");
        by_place[place].push_back(k.finding);
    }
    for (const auto& e : errors) {
        Place place = locate(e.context, root, walker);
        Finding f = describe(e.description, place);
        if (f.priority == kTypePriority || f.priority == kWrapperPriority) {
            bool deeper =
                std::ranges::any_of(errors, [&](const auto& other) { return is_prefix(e.context, other.context); });
            if (deeper) continue;
            // A wrapper about a key found below says nothing more.
            bool about_key = std::ranges::any_of(
                bad_keys, [&](const BadKey& k) { return wrapper_covers(e.context, e.description, k); });
            if (f.priority == kWrapperPriority && about_key) continue;
        }
        auto& findings = by_place[e.context];
        if (!f.unknown_field.empty()) {
            bool listed = std::ranges::any_of(findings, [](const Finding& g) { return !g.unknown_field.empty(); });
            if (!listed) std::ranges::move(unknown_fields(place, skip_key), std::back_inserter(findings));
            continue;
        }
        findings.push_back(std::move(f));
    }
    std::set<std::tuple<std::string, std::uint32_t, std::uint32_t>> seen;  // a key can be found twice
    for (auto& [context, findings] : by_place) {
        if (findings.empty()) continue;
        int best = std::ranges::min(findings, {}, &Finding::priority).priority;
        for (auto& f : findings) {
            if (f.priority != best || !seen.emplace(f.message, f.mark.line, f.mark.column).second) continue;
            Diagnostic d = error(code::schema, std::move(f.message), {file, f.mark.line, f.mark.column}, address);
            d.hint = std::move(f.hint);
            out.add(std::move(d));
        }
    }
}

}  // namespace ferry
