#include "session.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <thread>

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
    git::Progress progress;
    if (ctx.output.format == Format::text && !ctx.output.quiet && isatty(STDERR_FILENO)) {
        // Each line overwrites the one before: padded with spaces to its width.
        progress = [width = std::size_t{0}](const std::string& line, bool last) mutable {
            std::cerr << '\r' << line;
            if (line.size() < width) std::cerr << std::string(width - line.size(), ' ');
            if (last && !line.empty()) {
                std::cerr << '\n';
            } else if (last) {
                std::cerr << '\r';
            }
            width = last ? 0 : line.size();
            std::cerr.flush();
        };
    }
    return Organization::open(file->string(), std::move(progress));
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

namespace {

// Enough for a handful of concurrent writers to one branch: each round, one wins.
constexpr int kAttempts = 25;

}  // namespace

std::string with_trailers(const std::string& message, const std::string& from, const std::string& actor) {
    std::string out = message + "\n\n";
    if (!from.empty()) out += "Ferry-From: " + from + "\n";
    return out + "Ferry-Actor: " + actor + "\n";
}

git::Identity author_for(const std::string& actor, git::Repository& repo) {
    if (auto email = repo.config("user.email"); email && *email == actor) {
        if (auto name = repo.config("user.name")) return {*name, actor};
    }
    return {actor.substr(0, actor.find('@')), actor};
}

Diagnostic write_failure(const git::WriteFailure& failure, const std::string& workspace) {
    using Kind = git::WriteFailure::Kind;
    std::string_view code = failure.kind == Kind::worktree_dirty  ? code::worktree_dirty
                            : failure.kind == Kind::moved         ? code::stale_plan
                            : failure.kind == Kind::push_rejected ? code::push_rejected
                                                                  : code::git;
    return error(code, workspace + ": " + failure.message, {}, workspace);
}

void finish_interrupted_writes(Organization& org, const std::vector<std::string>& workspaces) {
    for (const auto& name : workspaces) {
        auto config = org.workspace(name);
        if (!config) continue;
        if (auto repo = org.repository(**config)) (*repo)->finish_interrupted_write();
    }
}

std::expected<std::vector<Written>, Diagnostics> write_workspaces(Organization& org,
                                                                  const std::vector<std::string>& workspaces,
                                                                  const std::string& actor, const std::string& message,
                                                                  const ComputeChanges& compute) {
    std::mt19937 jitter(std::random_device{}());
    finish_interrupted_writes(org, workspaces);
    for (int attempt = 1;; ++attempt) {
        std::vector<LoadedWorkspace> loaded;
        Diagnostics problems;
        for (const auto& name : workspaces) {
            auto lw = org.load({name, {}});
            if (!lw) {
                problems.add(lw.error());
                continue;
            }
            loaded.push_back(std::move(*lw));
        }
        if (problems.has_errors()) return std::unexpected(std::move(problems));
        auto changes = compute(loaded);
        if (!changes) return std::unexpected(std::move(changes.error()));

        // One commit per repository and branch, so that two workspaces of a
        // monorepo change together.
        struct Group {
            git::Repository* repo;
            const Workspace* first;
            std::vector<std::string> names;
            git::CommitRequest request;
        };
        std::map<std::pair<std::string, std::string>, Group> groups;
        for (const WorkspaceChange& change : *changes) {
            if (change.files.empty()) continue;
            const Workspace& ws = *change.workspace;
            const WorkspaceConfig* config = *org.workspace(ws.name);
            auto repo = org.repository(*config);
            if (!repo) return std::unexpected(Diagnostics{{repo.error()}});
            auto& group = groups[{config->repo.string(), ws.ref}];
            if (!group.repo) {
                group.repo = *repo;
                group.first = &ws;
                group.request.branch = ws.ref;
                group.request.base_commit = ws.commit;
                group.request.message = with_trailers(message, change.from, actor);
                group.request.author = author_for(actor, **repo);
            }
            group.names.push_back(ws.name);
            for (const auto& f : change.files)
                group.request.changes.push_back({ws.file(f.path), f.content});
        }

        auto refuse = [&](const std::vector<std::string>& names, const git::WriteFailure& failure) {
            return std::unexpected(Diagnostics{{write_failure(failure, names.front())}});
        };
        // Held from the checks to the last commit (or undo), so that no other
        // writer commits on a repository between its commit and its undo.
        std::vector<const git::Repository*> repos;
        for (const auto& [key, group] : groups)
            repos.push_back(group.repo);
        std::vector<git::WriteHold> holds = git::hold_writes(repos);
        bool moved = false;
        for (auto& [key, group] : groups) {
            auto ok = group.repo->preflight(group.request);
            if (!ok && ok.error().kind == git::WriteFailure::Kind::moved && attempt < kAttempts) {
                moved = true;
                break;
            }
            if (!ok) return refuse(group.names, ok.error());
        }
        // Each attempt is all or nothing across repositories: when a later
        // repository fails, the commits already made are taken back.
        std::vector<std::pair<Group*, std::string>> done;
        auto take_back = [&](bool retrying) {
            for (auto it = done.rbegin(); it != done.rend(); ++it) {
                // A commit pushed to a URL's remote stays (undo says so);
                // planning again starts from it.
                if (retrying && it->first->repo->remote()) continue;
                if (auto undone = it->first->repo->undo(it->first->request, it->second); !undone) {
                    spdlog::warn("{}: {}", it->first->names.front(), undone.error().message);
                }
            }
        };
        for (auto& [key, group] : groups) {
            if (moved) break;
            auto commit = group.repo->commit(group.request);
            if (!commit) {
                const auto& failure = commit.error();
                bool retry = failure.kind == git::WriteFailure::Kind::moved && attempt < kAttempts;
                take_back(retry);
                if (retry) {
                    moved = true;
                    break;
                }
                return refuse(group.names, failure);
            }
            if (*commit) done.emplace_back(&group, **commit);
        }
        if (!moved) {
            std::vector<Written> written;
            for (const auto& [group, commit] : done) {
                for (const auto& name : group->names)
                    written.push_back({name, commit});
            }
            return written;
        }
        // Another writer moved a branch: back off a little and start over
        // from the new tips.
        holds.clear();
        std::this_thread::sleep_for(std::chrono::milliseconds(5 + jitter() % (10 * attempt)));
    }
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
