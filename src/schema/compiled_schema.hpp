// A JSON Schema compiled into checks that walk ferry's own YAML tree.
//
// It answers one question fast, "is this document certainly valid?", so that
// the valid files (nearly all of them) are never converted to another tree
// and handed to valijson. It never explains: when it says no, or when the
// schema uses a keyword it does not know, SchemaSet asks valijson, whose
// findings become the diagnostics. So a "yes" must be exact; a "no" may be
// cautious.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "ferry/yaml/yaml.hpp"

namespace ferry::schema {

class CompiledSchema {
public:
    // `document` must outlive the compiled schema.
    explicit CompiledSchema(const nlohmann::json& document);
    ~CompiledSchema();
    CompiledSchema(const CompiledSchema&) = delete;
    CompiledSchema& operator=(const CompiledSchema&) = delete;

    // True only when `root` (without its top-level `skip_key`) satisfies
    // the schema. Safe to call from several threads.
    bool accepts(yaml::Node root, std::string_view skip_key = {}) const;

    // False when the schema uses a keyword these checks do not implement:
    // then accepts() always says no.
    bool complete() const;

    struct Check;

private:
    const Check* root_ = nullptr;
    std::vector<std::unique_ptr<Check>> owned_;  // every check, the root among them
    bool complete_ = true;
    friend class Compiler;
};

}  // namespace ferry::schema
