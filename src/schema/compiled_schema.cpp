#include "compiled_schema.hpp"

#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "ferry/model/workspace.hpp"
#include "ferry/yaml/value.hpp"

namespace ferry::schema {

using json = nlohmann::json;

namespace {

// JSON types as bits, so that `type: [string, integer]` is one mask.
enum TypeBit : unsigned {
    t_null = 1,
    t_boolean = 2,
    t_integer = 4,
    t_number = 8,  // a number that is not an integer
    t_string = 16,
    t_object = 32,
    t_array = 64,
    t_any = 127,
};

std::optional<unsigned> type_bits(const std::string& name) {
    if (name == "null") return t_null;
    if (name == "boolean") return t_boolean;
    if (name == "integer") return t_integer;
    if (name == "number") return t_integer | t_number;
    if (name == "string") return t_string;
    if (name == "object") return t_object;
    if (name == "array") return t_array;
    return std::nullopt;
}

// The JSON type the node becomes (see value.hpp: an integer too large for
// 64 bits becomes a floating-point number, as it does for valijson).
unsigned type_of(yaml::Node n) {
    switch (n.type()) {
        case yaml::Type::null:
            return t_null;
        case yaml::Type::boolean:
            return t_boolean;
        case yaml::Type::integer:
            return to_json(n).is_number_integer() ? t_integer : t_number;
        case yaml::Type::number:
            return t_number;
        case yaml::Type::string:
            return t_string;
        case yaml::Type::map:
            return t_object;
        case yaml::Type::seq:
            return t_array;
    }
    return 0;
}

// Code points up to the first NUL, as valijson counts a string's length.
std::size_t length_of(std::string_view s) {
    std::size_t n = 0;
    for (char c : s) {
        if (c == '\0') break;
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    }
    return n;
}

constexpr std::string_view kIdPattern = "^[a-z0-9][a-z0-9_-]{0,63}$";

// Keywords that only annotate: they never make a document invalid.
bool is_annotation(const std::string& key) {
    return key == "description" || key == "title" || key == "$schema" || key == "$id" || key == "$comment" ||
           key == "definitions" || key == "default" || key == "examples";
}

}  // namespace

struct CompiledSchema::Check {
    bool never = false;  // the schema `false`
    unsigned types = t_any;
    std::map<std::string, const Check*, std::less<>> properties;
    std::vector<std::string> required;
    bool additional_allowed = true;
    const Check* additional = nullptr;
    const Check* items = nullptr;
    const Check* property_names = nullptr;
    std::optional<std::size_t> min_length, max_length, min_items, max_items, min_properties, max_properties;
    std::optional<double> minimum, maximum;
    bool id_pattern = false;
    std::optional<std::regex> pattern;
    const json* enum_values = nullptr;
    const json* const_value = nullptr;
    std::vector<const Check*> all_of, any_of, one_of;
    const Check* negated = nullptr;
    const Check* if_ = nullptr;
    const Check* then_ = nullptr;
    const Check* else_ = nullptr;
    const Check* ref = nullptr;

    bool accepts(yaml::Node n, std::string_view skip_key) const;
    bool scalar_accepts(yaml::Node n, unsigned type) const;
    bool string_accepts(std::string_view s) const;
    bool name_accepts(std::string_view key) const;
    std::optional<bool> condition(yaml::Node n, unsigned type, std::string_view skip_key) const;
    bool map_accepts(yaml::Node n, std::string_view skip_key) const;
};

class Compiler {
public:
    Compiler(CompiledSchema& out, const json& document) : out_(out), document_(document) {}

    const CompiledSchema::Check* compile(const json& schema) {
        if (auto it = memo_.find(&schema); it != memo_.end()) return it->second;
        auto owned = std::make_unique<CompiledSchema::Check>();
        CompiledSchema::Check* c = owned.get();
        out_.owned_.push_back(std::move(owned));
        memo_[&schema] = c;  // before the children: a $ref may come back here
        if (schema.is_boolean()) {
            c->never = !schema.get<bool>();
            return c;
        }
        if (!schema.is_object()) return unsupported(c);
        for (const auto& [key, value] : schema.items()) {
            if (!keyword(*c, key, value)) return unsupported(c);
        }
        // Draft 7 ignores a $ref's siblings; whether valijson does too is
        // not this code's to guess.
        if (c->ref) {
            for (const auto& [key, value] : schema.items()) {
                if (key != "$ref" && !is_annotation(key)) return unsupported(c);
            }
        }
        return c;
    }

private:
    const CompiledSchema::Check* unsupported(CompiledSchema::Check* c) {
        out_.complete_ = false;
        return c;
    }

    bool keyword(CompiledSchema::Check& c, const std::string& key, const json& v) {
        if (is_annotation(key)) return true;
        if (key == "$ref") return reference(c, v);
        if (key == "type") {
            c.types = 0;
            for (const json& t : v.is_array() ? v : json::array({v})) {
                auto bits = t.is_string() ? type_bits(t.get<std::string>()) : std::nullopt;
                if (!bits) return false;
                c.types |= *bits;
            }
            return true;
        }
        if (key == "properties") {
            if (!v.is_object()) return false;
            for (const auto& [name, sub] : v.items())
                c.properties[name] = compile(sub);
            return true;
        }
        if (key == "required") {
            if (!v.is_array()) return false;
            for (const json& name : v) {
                if (!name.is_string()) return false;
                c.required.push_back(name.get<std::string>());
            }
            return true;
        }
        if (key == "additionalProperties") {
            if (v.is_boolean()) {
                c.additional_allowed = v.get<bool>();
                return true;
            }
            c.additional = compile(v);
            return true;
        }
        if (key == "items") {
            if (!v.is_object() && !v.is_boolean()) return false;  // the tuple form is not used
            c.items = compile(v);
            return true;
        }
        if (key == "propertyNames") {
            c.property_names = compile(v);
            return true;
        }
        if (key == "pattern") {
            if (!v.is_string()) return false;
            if (v.get<std::string>() == kIdPattern) {
                c.id_pattern = true;
            } else {
                c.pattern.emplace(v.get<std::string>());
            }
            return true;
        }
        if (key == "enum") {
            if (!v.is_array()) return false;
            c.enum_values = &v;
            return true;
        }
        if (key == "const") {
            c.const_value = &v;
            return true;
        }
        if (key == "allOf" || key == "anyOf" || key == "oneOf") {
            if (!v.is_array()) return false;
            auto& list = key == "allOf" ? c.all_of : key == "anyOf" ? c.any_of : c.one_of;
            for (const json& sub : v)
                list.push_back(compile(sub));
            return true;
        }
        if (key == "not") return (c.negated = compile(v)) != nullptr;
        if (key == "if") return (c.if_ = compile(v)) != nullptr;
        if (key == "then") return (c.then_ = compile(v)) != nullptr;
        if (key == "else") return (c.else_ = compile(v)) != nullptr;
        if (key == "minLength" || key == "maxLength" || key == "minItems" || key == "maxItems" ||
            key == "minProperties" || key == "maxProperties") {
            if (!v.is_number_unsigned()) return false;
            auto& bound = key == "minLength"       ? c.min_length
                          : key == "maxLength"     ? c.max_length
                          : key == "minItems"      ? c.min_items
                          : key == "maxItems"      ? c.max_items
                          : key == "minProperties" ? c.min_properties
                                                   : c.max_properties;
            bound = v.get<std::size_t>();
            return true;
        }
        if (key == "minimum" || key == "maximum") {
            if (!v.is_number()) return false;
            (key == "minimum" ? c.minimum : c.maximum) = v.get<double>();
            return true;
        }
        return false;
    }

    // A local reference (#/definitions/x) stands for the schema it names.
    bool reference(CompiledSchema::Check& c, const json& v) {
        if (!v.is_string()) return false;
        std::string ref = v.get<std::string>();
        if (!ref.starts_with("#/")) return false;
        const json* target = &document_;
        try {
            target = &document_.at(json::json_pointer(ref.substr(1)));
        } catch (const json::exception&) {
            return false;
        }
        c.ref = compile(*target);
        return true;
    }

    CompiledSchema& out_;
    const json& document_;
    std::map<const json*, CompiledSchema::Check*> memo_;
};

bool CompiledSchema::Check::string_accepts(std::string_view s) const {
    if (min_length && length_of(s) < *min_length) return false;
    if (max_length && length_of(s) > *max_length) return false;
    if (id_pattern && !is_valid_id(s)) return false;  // valijson's regex then decides
    if (pattern && !std::regex_search(std::string(s), *pattern)) return false;
    auto equal = [&](const json& expected) {
        return expected.is_string() && expected.get_ref<const std::string&>() == s;
    };
    if (const_value && !equal(*const_value)) return false;
    if (enum_values && std::ranges::none_of(*enum_values, equal)) return false;
    return true;
}

bool CompiledSchema::Check::scalar_accepts(yaml::Node n, unsigned type) const {
    if (type == t_string) return string_accepts(n.text());
    if ((type & (t_integer | t_number)) && (minimum || maximum)) {
        double value = to_json(n).get<double>();
        if (minimum && value < *minimum) return false;
        if (maximum && value > *maximum) return false;
    }
    // Equality is answered only where it cannot depend on how numbers
    // compare: booleans and null (strings above). Numbers: valijson decides.
    auto equal = [&](const json& expected) {
        if (type == t_boolean) return expected.is_boolean() && expected.get<bool>() == n.as_bool();
        return type == t_null && expected.is_null();
    };
    if (const_value && !equal(*const_value)) return false;
    if (enum_values && std::ranges::none_of(*enum_values, equal)) return false;
    return true;
}

// propertyNames: a key is checked as the string it becomes. Only plain
// string checks are decided here.
bool CompiledSchema::Check::name_accepts(std::string_view key) const {
    if (ref) return ref->name_accepts(key);
    if (never || !(types & t_string) || !all_of.empty() || !any_of.empty() || !one_of.empty() || negated || if_)
        return false;
    return string_accepts(key);
}

bool CompiledSchema::Check::map_accepts(yaml::Node n, std::string_view skip_key) const {
    std::size_t size = n.size() - (!skip_key.empty() && n.key_node(skip_key) ? 1 : 0);
    if (min_properties && size < *min_properties) return false;
    if (max_properties && size > *max_properties) return false;
    for (const std::string& name : required) {
        if (name == skip_key || !n.key_node(name)) return false;
    }
    for (std::size_t i = 0; i < n.size(); ++i) {
        std::string_view key = n.key(i).text();
        if (!skip_key.empty() && key == skip_key) continue;
        if (property_names && !property_names->name_accepts(key)) return false;
        if (auto p = properties.find(key); p != properties.end()) {
            if (!p->second->accepts(n.value(i), {})) return false;
        } else if (additional) {
            if (!additional->accepts(n.value(i), {})) return false;
        } else if (!additional_allowed) {
            return false;
        }
    }
    return true;
}

// An `if` needs a certain answer both ways. Decided here: conditions made
// of `required` and of `const` strings under `properties`, the shape
// "if type is sql then sql is required" takes. Anything else: nullopt.
std::optional<bool> CompiledSchema::Check::condition(yaml::Node n, unsigned type, std::string_view skip_key) const {
    if (never || ref || types != t_any || !all_of.empty() || !any_of.empty() || !one_of.empty() || negated || if_ ||
        additional || !additional_allowed || items || property_names || const_value || enum_values || min_length ||
        max_length || min_items || max_items || min_properties || max_properties || minimum || maximum || pattern ||
        id_pattern)
        return std::nullopt;
    for (const auto& [name, test] : properties) {
        if (test->ref || test->types != t_any || !test->const_value || !test->const_value->is_string() ||
            !test->properties.empty() || !test->required.empty() || test->enum_values || test->if_ ||
            !test->all_of.empty())
            return std::nullopt;
    }
    if (type != t_object) return true;  // both keywords apply to objects only
    auto present = [&](std::string_view name) { return name != skip_key && n.key_node(name); };
    for (const std::string& name : required) {
        if (!present(name)) return false;
    }
    for (const auto& [name, test] : properties) {
        if (!present(name)) continue;
        yaml::Node value = n.get(name);
        if (!value.is_string() || value.text() != test->const_value->get_ref<const std::string&>()) return false;
    }
    return true;
}

bool CompiledSchema::Check::accepts(yaml::Node n, std::string_view skip_key) const {
    if (never) return false;
    if (ref) return ref->accepts(n, skip_key);
    unsigned type = type_of(n);
    if (!(types & type)) return false;
    if (n.is_scalar()) {
        if (!scalar_accepts(n, type)) return false;
    } else if ((const_value || enum_values)) {
        return false;  // containers compared for equality: valijson decides
    }
    if (type == t_object && !map_accepts(n, skip_key)) return false;
    if (type == t_array) {
        if (min_items && n.size() < *min_items) return false;
        if (max_items && n.size() > *max_items) return false;
        for (std::size_t i = 0; items && i < n.size(); ++i) {
            if (!items->accepts(n.item(i), {})) return false;
        }
    }
    for (const Check* c : all_of) {
        if (!c->accepts(n, skip_key)) return false;
    }
    if (!any_of.empty() && std::ranges::none_of(any_of, [&](const Check* c) { return c->accepts(n, skip_key); }))
        return false;
    if (!one_of.empty()) {
        // Exactly one branch must hold. A "no" from these checks is not
        // certain, so oneOf is decided only when the branches take disjoint
        // types: then the branch of the node's type is the only candidate.
        unsigned seen = 0;
        const Check* match = nullptr;
        for (const Check* c : one_of) {
            if (c->ref || (c->types & seen)) return false;
            seen |= c->types;
            if (c->types & type) match = c;
        }
        if (!match || !match->accepts(n, skip_key)) return false;
    }
    if (negated) return false;  // "not" needs a certain no: valijson decides
    if (if_) {
        auto holds = if_->condition(n, type, skip_key);
        if (!holds) return false;
        const Check* branch = *holds ? then_ : else_;
        if (branch && !branch->accepts(n, skip_key)) return false;
    }
    return true;
}

CompiledSchema::CompiledSchema(const nlohmann::json& document) {
    root_ = Compiler(*this, document).compile(document);
}

CompiledSchema::~CompiledSchema() = default;

bool CompiledSchema::complete() const {
    return complete_;
}

bool CompiledSchema::accepts(yaml::Node root, std::string_view skip_key) const {
    return complete_ && root && root_->accepts(root, skip_key);
}

}  // namespace ferry::schema
