// Diagnostics (and later plans) -> text, json, markdown, github.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "ferry/model/diagnostic.hpp"

namespace ferry {

enum class Format { text, json, markdown, github };

struct Output {
    Format format = Format::text;
    bool color = false;  // only on a terminal, never with NO_COLOR
    bool quiet = false;  // errors only
    bool verbose = false;
};

// SPEC 4.1: `error[CODE]: message` with `--> file:line:column` where known.
void print_text(std::ostream& out, const Diagnostics& diags, const Output& output);
// `::error file=F,line=L::message`, errors first, at most 10 of each kind.
void print_github(std::ostream& out, const Diagnostics& diags);
// A bullet list fit for a pull-request comment.
void print_markdown(std::ostream& out, const Diagnostics& diags);

nlohmann::json to_json(const Diagnostic& d);

struct Plan;
// SPEC 4.1's JSON object (schemas/plan.schema.json).
nlohmann::json plan_json(const Plan& plan);
// `Plan: 1 to create, 2 to update.`, `No changes.`, or why it is blocked.
std::string plan_summary(const Plan& plan);
// Terraform-like: `+ create`, `~ update`, a line per changed field.
void print_plan_text(std::ostream& out, const Plan& plan, bool color);
// For a pull-request comment: summary and errors first, diffs collapsed,
// never longer than `limit` characters.
std::string plan_markdown(const Plan& plan, std::size_t limit = 65536);
// Adds `errors` and `warnings` arrays to a command's JSON result.
void add_diagnostics(nlohmann::json& result, const Diagnostics& diags);

}  // namespace ferry
