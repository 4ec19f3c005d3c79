#include "session.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>

#include "ferry/util/did_you_mean.hpp"

namespace ferry::cli {

std::expected<std::string, Diagnostic> resolve_actor(const Context& ctx, const git::Repository* repo,
                                                     const std::string& target_workspace) {
    if (!ctx.actor.empty()) return ctx.actor;
    if (const char* env = std::getenv("FERRY_ACTOR"); env && *env) return std::string(env);
    if (repo) {
        if (auto email = repo->config("user.email")) return *email;
    }
    Diagnostic d = error(code::permission_denied, "no actor: ferry acts on someone's behalf and could not tell whose");
    d.hint = "pass --actor EMAIL, set FERRY_ACTOR, or set user.email in the " + target_workspace + " repository";
    return std::unexpected(std::move(d));
}

std::expected<std::string, Diagnostic> resolve_actor(const Context& ctx, Organization& org,
                                                     const std::string& target_workspace) {
    const git::Repository* repo = nullptr;
    if (auto ws = org.workspace(target_workspace)) {
        if (auto r = org.repository(**ws)) repo = *r;
    }
    return resolve_actor(ctx, repo, target_workspace);
}

namespace {

// Each workspace's repository folder, as the github reporter needs it to
// point annotations at a checkout (SPEC 4.1); none for a URL's clone.
std::map<std::string, std::string, std::less<>> repository_folders(const OrganizationConfig& config) {
    std::map<std::string, std::string, std::less<>> folders;
    for (const WorkspaceConfig& ws : config.workspaces) {
        if (!ws.url.empty()) continue;
        std::error_code ec;
        std::filesystem::path repo = std::filesystem::weakly_canonical(ws.repo, ec);
        if (ec) repo = ws.repo;
        // `repo: x/.git` names the repository whose work tree is x.
        if (repo.filename() == ".git") repo = repo.parent_path();
        folders.emplace(ws.name, repo.string());
    }
    return folders;
}

}  // namespace

std::expected<Organization, Diagnostics> open_organization(const Context& ctx) {
    auto file = find_config(ctx.config);
    if (!file) {
        Diagnostic d = file.error();
        const char* env = std::getenv("FERRY_CONFIG");
        // Nothing named a file and none was found: most likely a first run.
        if (ctx.config.empty() && !(env && *env)) {
            d.hint +=
                "; new here? ferry init WORKSPACE --org NAME, run in a repository, scaffolds a workspace "
                "and prints its ferry.yaml entry";
        }
        return std::unexpected(Diagnostics{{std::move(d)}});
    }
    // Fetches and long loads show their progress where the reporter shows any.
    git::Progress progress = ctx.reporter->progress();
    auto org = Organization::open(file->string(), std::move(progress));
    if (org) ctx.reporter->repositories(repository_folders(org->config()));
    return org;
}

Diagnostics unknown_workspaces(const Organization& org, const std::vector<std::string>& names) {
    Diagnostics out;
    std::vector<std::string> known;
    for (const auto& w : org.config().workspaces)
        known.push_back(w.name);
    for (const std::string& name : names) {
        auto ws = org.workspace(name);
        if (ws) continue;
        Diagnostic d = ws.error();
        if (std::string close = did_you_mean(name, known); !close.empty()) {
            d.hint = "did you mean '" + close + "'? " + d.hint;
        } else {
            d.hint += "; a new one: ferry init " + name + " --org NAME in its repository, then add it to ferry.yaml";
        }
        out.add(std::move(d));
    }
    return out;
}

Diagnostics blocking_errors(const LoadedWorkspace& lw) {
    Diagnostics out;
    for (const auto& d : lw.diagnostics.items) {
        bool in_shared_file =
            d.location.file == lw.workspace.links_file || d.location.file == lw.workspace.file("workspace.yaml");
        if (d.severity == Severity::error && in_shared_file) out.add(d);
    }
    return out;
}

nlohmann::json commits_json(const std::vector<Written>& written) {
    nlohmann::json commits = nlohmann::json::array();
    for (const auto& w : written)
        commits.push_back({{"workspace", w.workspace}, {"commit", w.commit}});
    return {{"commits", commits}};
}

}  // namespace ferry::cli
