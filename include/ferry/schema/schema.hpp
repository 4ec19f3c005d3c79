// Shape checks: schemas/*.json applied through valijson. The schemas are the
// one source of truth for what a file may hold; nothing here repeats them.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/model/diagnostic.hpp"
#include "ferry/schema/embedded.hpp"
#include "ferry/yaml/yaml.hpp"

namespace ferry {

class SchemaSet {
public:
    // The schemas compiled into ferry, parsed once.
    static const SchemaSet& builtin();
    // Schemas given as text, each parsed and compiled once; throws
    // std::invalid_argument, saying why, for one that is not a draft-7 JSON
    // Schema ferry can apply (JSON that does not parse, a `$ref` to another
    // file).
    explicit SchemaSet(const std::vector<schema::EmbeddedSchema>& schemas);

    ~SchemaSet();
    SchemaSet(const SchemaSet&) = delete;
    SchemaSet& operator=(const SchemaSet&) = delete;

    // Checks `root` against schemas/<schema>; each problem becomes a `schema`
    // diagnostic located at the offending node of `file`, unknown fields
    // with a "did you mean" hint. A top-level `skip_key` is left out (a
    // draft's `draft` block). `path` names `root` in messages when it is
    // part of a larger document (`config`). Safe to call from several threads.
    void check(std::string_view schema, yaml::Node root, const std::string& file, const std::string& address,
               Diagnostics& out, std::string_view skip_key = {}, std::string_view path = {}) const;

    // Where the schema leaves a mapping open (more keys allowed than it
    // lists), a key it does not list but that is close to one it does is
    // taken for a misspelling: a `schema` error with a "did you mean" hint.
    // Other unlisted keys pass. (SPEC 2.7: vendors add settings.)
    void check_near_misses(std::string_view schema, yaml::Node root, const std::string& file,
                           const std::string& address, Diagnostics& out, std::string_view path = {}) const;

    bool has(std::string_view schema) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ferry
