// Shape checks: schemas/*.json applied through valijson. The schemas are the
// one source of truth for what a file may hold; nothing here repeats them.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "ferry/model/diagnostic.hpp"
#include "ferry/yaml/yaml.hpp"

namespace ferry {

class SchemaSet {
public:
    // The schemas compiled into ferry, parsed once.
    static const SchemaSet& builtin();

    ~SchemaSet();
    SchemaSet(const SchemaSet&) = delete;
    SchemaSet& operator=(const SchemaSet&) = delete;

    // Checks `root` against schemas/<schema>; each problem becomes a `schema`
    // diagnostic located at the offending node of `file`, unknown fields
    // with a "did you mean" hint. A top-level `skip_key` is left out (a
    // draft's `draft` block). Safe to call from several threads.
    void check(std::string_view schema, yaml::Node root, const std::string& file, const std::string& address,
               Diagnostics& out, std::string_view skip_key = {}) const;

private:
    SchemaSet();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ferry
