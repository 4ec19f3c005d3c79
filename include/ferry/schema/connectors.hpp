// SPEC 2.7: the schemas of connector types' `config`, shipped in
// schemas/connectors/ and overridden or added to by an organization's own
// connectors/<kind>/<type>.schema.json (docs/connectors.md).
#pragma once

#include <expected>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/model/diagnostic.hpp"
#include "ferry/model/workspace.hpp"
#include "ferry/schema/schema.hpp"
#include "ferry/yaml/yaml.hpp"

namespace ferry {

class ConnectorSchemas {
public:
    // An organization's schema for one type: `kind` is sources or
    // destinations (the resource's `type`), or syncs (the `config` of a sync
    // whose destination has that type).
    struct Override {
        Kind kind;
        std::string type;
        std::string file;  // as shown in messages
        std::string text;
    };

    // The schemas compiled into ferry.
    static const ConnectorSchemas& builtin();
    // The built-in schemas, with `overrides` in place of theirs or beside
    // them; an override that is not a JSON Schema ferry can apply is a
    // `config` error naming its file.
    static std::expected<std::shared_ptr<const ConnectorSchemas>, Diagnostics> with(std::vector<Override> overrides);

    // Whether `type` has a schema for `kind` (sources, destinations, syncs).
    bool knows(Kind kind, std::string_view type) const;
    // Every type with a schema for `kind`, in order.
    std::vector<std::string> types(Kind kind) const;

    // Checks a resource's `config` against its type's schema, if it has one.
    // A source's or destination's unknown key is an error only when close to
    // a known one; a sync's keys are the schema's alone. Each problem is a
    // `schema` diagnostic at its node of `file`, named `config...`.
    void check(Kind kind, std::string_view type, yaml::Node config, const std::string& file, const std::string& address,
               Diagnostics& out) const;

    // What sets these schemas apart from the built-in ones (the overrides'
    // files and texts); empty for the built-in ones. Part of the load
    // cache's key, since checks depend on it.
    const std::string& digest() const { return digest_; }

    ConnectorSchemas(ConnectorSchemas&&) noexcept;
    ~ConnectorSchemas();

private:
    ConnectorSchemas();
    struct Schema {
        const SchemaSet* set;
        std::string name;
    };
    const Schema* find(Kind kind, std::string_view type) const;
    std::unique_ptr<SchemaSet> overrides_;
    std::map<std::pair<Kind, std::string>, Schema, std::less<>> schemas_;
    std::string digest_;
};

}  // namespace ferry
