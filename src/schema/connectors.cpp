#include "ferry/schema/connectors.hpp"

#include <optional>
#include <stdexcept>

#include "ferry/schema/embedded.hpp"

namespace ferry {

namespace {

constexpr std::string_view kPrefix = "connectors/";
constexpr std::string_view kSuffix = ".schema.json";

// "connectors/sources/snowflake.schema.json" -> sources, snowflake.
std::optional<std::pair<Kind, std::string>> connector_of(std::string_view name) {
    if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) return std::nullopt;
    name.remove_prefix(kPrefix.size());
    name.remove_suffix(kSuffix.size());
    const auto slash = name.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto kind = parse_kind(name.substr(0, slash));
    if (!kind) return std::nullopt;
    return std::pair{*kind, std::string(name.substr(slash + 1))};
}

std::string schema_name(Kind kind, std::string_view type) {
    return std::string(kPrefix) + std::string(kind_name(kind)) + "/" + std::string(type) + std::string(kSuffix);
}

}  // namespace

ConnectorSchemas::ConnectorSchemas() = default;
ConnectorSchemas::ConnectorSchemas(ConnectorSchemas&&) noexcept = default;
ConnectorSchemas::~ConnectorSchemas() = default;

const ConnectorSchemas& ConnectorSchemas::builtin() {
    static const ConnectorSchemas schemas = [] {
        ConnectorSchemas s;
        for (const auto& embedded : schema::embedded_schemas()) {
            if (auto connector = connector_of(embedded.name))
                s.schemas_[*connector] = {&SchemaSet::builtin(), std::string(embedded.name)};
        }
        return s;
    }();
    return schemas;
}

std::expected<std::shared_ptr<const ConnectorSchemas>, Diagnostics> ConnectorSchemas::with(
    std::vector<Override> overrides) {
    std::shared_ptr<ConnectorSchemas> out(new ConnectorSchemas());
    out->schemas_ = builtin().schemas_;
    if (overrides.empty()) return out;
    // Each file on its own first, so that every bad one is named.
    Diagnostics bad;
    std::vector<schema::EmbeddedSchema> texts;
    std::vector<std::string> names;
    names.reserve(overrides.size());
    for (const Override& o : overrides) {
        names.push_back(schema_name(o.kind, o.type));
        try {
            SchemaSet({{names.back(), o.text}});
        } catch (const std::invalid_argument& e) {
            Diagnostic d = error(code::config, o.file + " is " + e.what(), {o.file, 0, 0});
            d.hint = "a connector schema is a draft-7 JSON Schema of the `config` mapping, in one file";
            bad.add(std::move(d));
        }
        out->digest_ += o.file + '\0' + o.text + '\0';
    }
    if (bad.has_errors()) return std::unexpected(std::move(bad));
    for (std::size_t i = 0; i < overrides.size(); ++i)
        texts.push_back({names[i], overrides[i].text});
    out->overrides_ = std::make_unique<SchemaSet>(texts);
    for (std::size_t i = 0; i < overrides.size(); ++i)
        out->schemas_[{overrides[i].kind, overrides[i].type}] = {out->overrides_.get(), names[i]};
    return out;
}

const ConnectorSchemas::Schema* ConnectorSchemas::find(Kind kind, std::string_view type) const {
    auto it = schemas_.find(std::pair{kind, std::string(type)});
    return it == schemas_.end() ? nullptr : &it->second;
}

bool ConnectorSchemas::knows(Kind kind, std::string_view type) const {
    return find(kind, type) != nullptr;
}

std::vector<std::string> ConnectorSchemas::types(Kind kind) const {
    std::vector<std::string> out;
    for (const auto& [key, _] : schemas_) {
        if (key.first == kind) out.push_back(key.second);
    }
    return out;
}

void ConnectorSchemas::check(Kind kind, std::string_view type, yaml::Node config, const std::string& file,
                             const std::string& address, Diagnostics& out) const {
    const Schema* schema = find(kind, type);
    if (!schema) return;
    schema->set->check(schema->name, config, file, address, out, {}, "config");
    // SPEC 2.7: vendors add settings to connections, never to a sync's keys.
    if (kind != Kind::syncs) schema->set->check_near_misses(schema->name, config, file, address, out, "config");
}

}  // namespace ferry
