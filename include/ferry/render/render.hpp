// Diagnostics and plans -> text, json, markdown, github: the pieces the
// reporter (reporter.hpp) puts together for each format.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/model/diagnostic.hpp"
#include "ferry/model/workspace.hpp"

namespace ferry {

// Repeated diagnostics, grouped: at most `per_code` of each code and
// severity, in order, then one that counts the rest. Every format prints
// diagnostics through this, so that 500,000 stale links make a page of
// output, not 110 MB.
inline constexpr std::size_t kShownPerCode = 100;
Diagnostics grouped(const Diagnostics& diags, std::size_t per_code = kShownPerCode);

// SPEC 4.1: `error[CODE]: message` with `--> file:line:column` where known;
// errors only when `quiet`.
void print_text(std::ostream& out, const Diagnostics& diags, bool color, bool quiet);
// SPEC 4.1: where `--format github` annotations point. A location's file is
// a path inside its workspace's repository (its `path:` included), which is
// what GitHub takes when the repository is the checkout; with a root
// (`--annotation-root DIR`), the path is made relative to DIR through the
// repository's folder, so that it lands on the file in a checkout whose
// root is elsewhere. Paths only: nothing here touches the disk.
struct AnnotationPaths {
    std::string root;               // absolute; empty: paths inside each repository
    std::string working_directory;  // absolute: what a file outside any workspace (ferry.yaml) is relative to
    std::map<std::string, std::string, std::less<>> repositories;  // workspace -> its repository's folder
};
// The `file=` of a location: relative to paths.root when it has one and the
// file is under it, else the location's own path.
std::string annotation_file(const Location& location, const AnnotationPaths& paths);
// `::error file=F,line=L::message`, errors first, at most 10 of each kind.
void print_github(std::ostream& out, const Diagnostics& diags, const AnnotationPaths& paths = {});
// A bullet list fit for a pull-request comment.
void print_markdown(std::ostream& out, const Diagnostics& diags);

nlohmann::json to_json(const Diagnostic& d);

struct Plan;
// SPEC 4.1's JSON object (schemas/plan.schema.json).
// Without `with_changes`, `changes` is left empty (print_plan_json streams them).
nlohmann::json plan_json(const Plan& plan, bool with_changes = true);
// json_text(plan_json(plan)) with `extra`'s keys added, written to `out`
// one change at a time: the same bytes, in a fraction of the memory.
void print_plan_json(std::ostream& out, const Plan& plan, const nlohmann::json& extra = nlohmann::json::object());
// SPEC 7: `sha256:HEX`, a hash of what the plan would write (its changes'
// resources, links and drafts replaced): the same inputs give the same
// digest, and any change to what would be written gives another.
std::string plan_digest(const Plan& plan);
// Whether `text` is a digest as plan_digest() writes it.
bool is_plan_digest(std::string_view text);
// `Plan: 1 to create, 2 to update.`, `No changes.`, or why it is blocked.
std::string plan_summary(const Plan& plan);
// Terraform-like: `+ create`, `~ update`, a line per changed field.
void print_plan_text(std::ostream& out, const Plan& plan, bool color);
// For a pull-request comment: summary and errors first, diffs collapsed,
// never longer than `limit` characters.
inline constexpr std::size_t kCommentLimit = 65536;
// GitHub's limit per step is 1 MiB; the rest is left for what the step adds
// around the plan (what was written, the CI action's lines).
inline constexpr std::size_t kStepSummaryLimit = (1 << 20) - (16 << 10);
std::string plan_markdown(const Plan& plan, std::size_t limit = kCommentLimit);
// `history --patch`: a resource's change from one version of its file to
// another, as a plan shows it (SPEC 4.1); a side is null where the file is
// absent. Each line unescaped, for the reporter.
std::vector<std::string> resource_patch(Kind kind, const nlohmann::json& before, const nlohmann::json& after);
// The same for a file that is not YAML on either side: a line diff of its text.
std::vector<std::string> text_patch(const std::string& file, const std::string& before, const std::string& after);
// Adds `errors` and `warnings` arrays to a command's JSON result.
void add_diagnostics(nlohmann::json& result, const Diagnostics& diags);
// A JSON result as printed: indented, and bytes that are not UTF-8 (an
// argument can hold any) replaced rather than fatal.
std::string json_text(const nlohmann::json& result);

}  // namespace ferry
