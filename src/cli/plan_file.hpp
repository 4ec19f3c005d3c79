// Reading a plan file saved with `reconcile --out`, for `ferry apply`. The
// file may have been edited by anyone: every shape problem is plan-mismatch.
#pragma once

#include <expected>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "ferry/model/diagnostic.hpp"
#include "ferry/plan/plan.hpp"

namespace ferry::cli {

// What a plan file says it was made from: enough to make it again.
struct PlanClaims {
    WorkspaceAt from, to;
    std::string actor;
    PlanOptions options;
};

struct PlanFile {
    nlohmann::json plan;  // the file as written, less the `written` result
    PlanClaims claims;
};

// Parses `text` (the contents of `name`) as a plan file; `plan-mismatch` when
// it is not JSON, not a plan of this format_version, or its claims are ill-formed.
std::expected<PlanFile, Diagnostic> read_plan_file(std::string_view text, const std::string& name);

// A plan-mismatch diagnostic, with the hint to plan again unless one is given.
Diagnostic plan_mismatch(std::string message, std::string hint = {});

}  // namespace ferry::cli
