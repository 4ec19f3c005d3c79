// `ferry history WS[@REF]:KIND/ID`: the commits that changed a resource.
#include <ctime>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include "ferry/load/workspace_loader.hpp"
#include "ferry/plan/plan.hpp"
#include "ferry/render/render.hpp"
#include "ferry/yaml/value.hpp"
#include "ferry/yaml/yaml.hpp"
#include "session.hpp"

namespace ferry::cli {
namespace {

std::string iso_time(std::int64_t seconds) {
    std::time_t t = static_cast<std::time_t>(seconds);
    std::tm utc{};
    gmtime_r(&t, &utc);
    std::ostringstream out;
    out << std::put_time(&utc, "%Y-%m-%dT%H:%M:%SZ");
    return out.str();
}

// `Ferry-From: dev@<commit>` among the message's trailers: the last
// paragraph, when every line of it is `Key: value`.
std::optional<std::pair<std::string, std::string>> ferry_from(const std::string& message) {
    std::string body = message.substr(0, message.find_last_not_of('\n') + 1);
    auto start = body.rfind("\n\n");
    std::string last = start == std::string::npos ? body : body.substr(start + 2);
    std::optional<std::pair<std::string, std::string>> found;
    std::istringstream lines(last);
    for (std::string line; std::getline(lines, line);) {
        auto colon = line.find(": ");
        if (colon == std::string::npos || colon == 0 || line.find(' ') < colon) return std::nullopt;
        if (line.starts_with("Ferry-From: ")) {
            std::string value = line.substr(12);
            auto at = value.rfind('@');
            if (at != std::string::npos && at > 0) found = std::pair{value.substr(0, at), value.substr(at + 1)};
        }
    }
    return found;
}

// One file of the resource, as parsed JSON, or its text when it is not YAML.
struct Version {
    std::optional<std::string> text;  // nullopt: no file there
    nlohmann::json value;             // null when absent or not YAML
    bool yaml = true;
};

std::expected<Version, std::string> version_at(const git::Repository& repo, const std::string& commit,
                                               const std::string& path) {
    Version v;
    if (commit.empty()) return v;  // before a root commit
    auto text = repo.file_at(commit, path, TreeLimits{}.resource_bytes);
    if (!text) return std::unexpected(text.error());
    v.text = std::move(*text);
    if (!v.text) return v;
    auto doc = yaml::parse(*v.text);
    if (doc) {
        v.value = to_json(doc->root());
    } else {
        v.yaml = false;
    }
    return v;
}

// SPEC 4: `history --patch`, a commit's change to the resource in the
// plan's form. The published file's change when it has one, else the
// draft's; `lines` get it indented under the commit's line.
std::expected<void, std::string> add_patch(const git::Repository& repo, const git::CommitInfo& e, Kind kind,
                                           const std::vector<std::string>& paths, nlohmann::json& entry,
                                           std::vector<std::string>& lines) {
    for (const std::string& path : paths) {
        auto after = version_at(repo, e.id, path);
        if (!after) return std::unexpected(after.error());
        auto before = version_at(repo, e.parent, path);
        if (!before) return std::unexpected(before.error());
        if (before->text == after->text) continue;
        entry["file"] = path;
        std::vector<std::string> patch;
        if (before->yaml && after->yaml) {
            nlohmann::json diff = nlohmann::json::array();
            for (const DiffOp& op : diff_values(before->value, after->value))
                diff.push_back({{"op", op_name(op.op)}, {"path", op.path}, {"before", op.before}, {"after", op.after}});
            entry["diff"] = std::move(diff);
            patch = resource_patch(kind, before->text ? before->value : nlohmann::json(),
                                   after->text ? after->value : nlohmann::json());
        } else {
            // A version that is not YAML (a broken commit): its text, line by line.
            patch = text_patch(path, before->text.value_or(""), after->text.value_or(""));
        }
        for (std::string& line : patch)
            lines.push_back("    " + line);
        return {};
    }
    return {};
}

int history(const Context& ctx, const std::string& text, bool patch) {
    nlohmann::json result = {{"entries", nlohmann::json::array()}};
    auto a = parse_address(text);
    if (!a) return usage_error("'" + text + "' is not an address WORKSPACE[@REF]:KIND/ID");
    auto org = open_organization(ctx);
    if (!org) return finish(ctx, result, org.error(), kFailed);
    if (auto unknown = unknown_workspaces(*org, {a->workspace}); unknown.has_errors())
        return finish(ctx, result, unknown, kFailed);
    auto ws = org->workspace(a->workspace);
    auto repo = org->repository(**ws);
    if (!repo) return finish(ctx, result, Diagnostics{{repo.error()}}, kFailed);
    auto resolved = (*repo)->resolve((*ws)->branch, a->ref);
    if (!resolved)
        return finish(ctx, result, Diagnostics{{error(code::git, a->workspace + ": " + resolved.error())}}, kFailed);

    std::string prefix = (*ws)->path.empty() ? "" : (*ws)->path + "/";
    std::vector<std::string> paths;
    for (std::string_view folder : {"", "drafts/"}) {
        for (std::string_view ext : {".yaml", ".yml"}) {
            paths.push_back(prefix + std::string(folder) + std::string(kind_name(a->kind)) + "/" + a->id +
                            std::string(ext));
        }
    }
    auto entries = (*repo)->history(resolved->commit, paths);
    if (!entries) return finish(ctx, result, Diagnostics{{error(code::git, entries.error())}}, kFailed);
    if (entries->empty()) {
        Diagnostic d = error(code::unknown_resource, a->str() + " has no history on " + resolved->ref, {}, a->str());
        return finish(ctx, result, Diagnostics{{std::move(d)}}, kFailed);
    }
    std::vector<std::string> lines;
    for (const auto& e : *entries) {
        nlohmann::json entry = {{"commit", e.id},
                                {"time", iso_time(e.time)},
                                {"author", e.author_email},
                                {"message", e.message.substr(0, e.message.find_last_not_of('\n') + 1)}};
        if (auto from = ferry_from(e.message)) entry["from"] = {{"workspace", from->first}, {"commit", from->second}};
        std::string line = e.id.substr(0, 12) + "  " + iso_time(e.time) + "  " + e.author_email + "  " +
                           e.message.substr(0, e.message.find('\n'));
        if (auto from = ferry_from(e.message))
            line += "  (from " + from->first + "@" + from->second.substr(0, 12) + ")";
        if (patch && !lines.empty()) lines.emplace_back();
        lines.push_back(std::move(line));
        if (patch) {
            if (auto added = add_patch(**repo, e, a->kind, paths, entry, lines); !added)
                return finish(ctx, result, Diagnostics{{error(code::git, added.error())}}, kFailed);
        }
        result["entries"].push_back(std::move(entry));
    }
    return finish(ctx, result, {}, kOk, {}, std::move(lines));
}

}  // namespace

Command history_command() {
    return {"history", "the commits that changed a resource, newest first", [](CLI::App& sub) {
                auto target = std::make_shared<std::string>();
                auto patch = std::make_shared<bool>(false);
                sub.add_option("resource", *target, "WORKSPACE[@REF]:KIND/ID")->required();
                sub.add_flag("--patch", *patch, "each commit's change to the resource, as a plan shows it");
                sub.footer(
                    "Examples:\n  ferry history prod:syncs/users-to-salesforce --format json\n"
                    "  ferry history prod:models/active-users --patch");
                return [target, patch](const Context& ctx) { return history(ctx, *target, *patch); };
            }};
}

}  // namespace ferry::cli
