#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "ferry/load/organization.hpp"
#include "ferry/model/links.hpp"
#include "ferry/util/did_you_mean.hpp"
#include "ferry/util/parallel.hpp"

namespace ferry {

WorkspaceRequest parse_workspace_request(std::string_view text) {
    auto at = text.find('@');
    if (at == std::string_view::npos) return {std::string(text), {}};
    return {std::string(text.substr(0, at)), std::string(text.substr(at + 1))};
}

namespace {

// `dev has uncommitted changes to 2 files under models/; ferry reads
// commits, this is dev@main 1a2b3c4`, or nothing.
std::string worktree_note(const std::string& name, const std::string& ref, const std::string& commit,
                          const std::string& folder, const std::vector<std::string>& paths) {
    if (paths.empty()) return {};
    std::vector<std::string> where;
    for (const std::string& path : paths) {
        std::string_view inside = path;
        if (!folder.empty()) inside.remove_prefix(std::min(inside.size(), folder.size() + 1));
        const auto slash = inside.find('/');
        std::string top(slash == std::string_view::npos ? inside : inside.substr(0, slash + 1));
        if (std::ranges::find(where, top) == where.end()) where.push_back(std::move(top));
    }
    std::string listed;
    for (std::size_t i = 0; i < where.size() && i < 3; ++i)
        listed += (i == 0 ? "" : i + 1 == where.size() ? " and " : ", ") + where[i];
    if (where.size() > 3) listed += " and " + std::to_string(where.size() - 3) + " more";
    return name + " has uncommitted changes to " + std::to_string(paths.size()) +
           (paths.size() == 1 ? " file" : " files") + " under " + listed + "; ferry reads commits, this is " + name +
           "@" + ref + " " + commit.substr(0, 7);
}

}  // namespace

void shallow_checkout(Diagnostic& d, const git::Repository& repo) {
    // SPEC 7: said as what it is, with the fix, not as a blocked plan.
    std::string folder = repo.work_dir().empty() ? repo.git_dir().string() : repo.work_dir().string();
    while (folder.size() > 1 && folder.back() == '/')
        folder.pop_back();
    d.message += "; " + folder +
                 " is a shallow clone (a checkout with fetch-depth: 1, CI's default), which lacks the commits and "
                 "branches it did not fetch";
    d.hint =
        "fetch the whole history: in GitHub Actions, actions/checkout with fetch-depth: 0; by hand, git fetch "
        "--unshallow";
}

std::expected<Organization, Diagnostics> Organization::open(const std::string& config_flag, git::Progress progress) {
    auto file = find_config(config_flag);
    if (!file) {
        Diagnostics d;
        d.add(file.error());
        return std::unexpected(std::move(d));
    }
    auto config = load_config(*file);
    if (!config) return std::unexpected(std::move(config.error()));
    return Organization(std::move(*config), std::move(progress));
}

std::expected<const WorkspaceConfig*, Diagnostic> Organization::workspace(std::string_view name) const {
    if (const WorkspaceConfig* ws = config_.find(name)) return ws;
    Diagnostic d =
        error(code::unknown_workspace, "no workspace named '" + std::string(name) + "' in " + config_.file.string());
    std::string known;
    for (const auto& w : config_.workspaces)
        known += (known.empty() ? "" : ", ") + w.name;
    d.hint = "known workspaces: " + known;
    return std::unexpected(std::move(d));
}

std::expected<git::Repository*, Diagnostic> Organization::repository(const WorkspaceConfig& ws) {
    auto it = repositories_.find(ws.repo.string());
    if (it == repositories_.end()) {
        auto repo =
            ws.url.empty() ? git::Repository::open(ws.repo) : git::Repository::open_remote(ws.url, ws.repo, progress_);
        if (!repo && !ws.url.empty()) {
            Diagnostic d = error(code::git, "workspace '" + ws.name + "': " + repo.error(), ws.location);
            d.hint =
                "ferry fetches a repository named by URL on every run; check the URL, the network and the "
                "credentials (ssh agent, FERRY_GIT_TOKEN, GITHUB_TOKEN or GIT_ASKPASS)";
            return std::unexpected(std::move(d));
        }
        if (!repo) {
            Diagnostic d = error(code::config, "workspace '" + ws.name + "': " + repo.error(), ws.location);
            d.hint = "`repo:` in ferry.yaml is relative to ferry.yaml's folder";
            return std::unexpected(std::move(d));
        }
        it = repositories_.emplace(ws.repo.string(), std::move(*repo)).first;
    }
    return &it->second;
}

std::expected<LoadedWorkspace, Diagnostic> Organization::load(const WorkspaceRequest& request) {
    return std::move(load_all({request}, Failure::go_on).front());
}

// What a load needs from git before its files are read.
struct Organization::Pending {
    const WorkspaceRequest* request;
    const WorkspaceConfig* ws;
    git::Repository* repo;
    git::Resolved resolved;
    std::filesystem::path git_dir;
};

std::expected<Organization::Pending, Diagnostic> Organization::prepare(const WorkspaceRequest& request) {
    auto ws = workspace(request.name);
    if (!ws) return std::unexpected(ws.error());
    auto repo = repository(**ws);
    if (!repo) return std::unexpected(repo.error());
    auto resolved = (*repo)->resolve((*ws)->branch, request.ref);
    if (!resolved) {
        Diagnostic d = error(code::git, "workspace '" + request.name + "': " + resolved.error(),
                             request.ref.empty() ? (*ws)->location : Location{});
        // SPEC 6: a mistyped branch (in ferry.yaml or after @) gets a "did you mean".
        const std::string& asked = request.ref.empty() ? (*ws)->branch : request.ref;
        if (!asked.empty()) {
            if (std::string close = did_you_mean(asked, (*repo)->branches()); !close.empty() && close != asked)
                d.hint = "did you mean '" + close + "'?";
        }
        if ((*repo)->shallow()) shallow_checkout(d, **repo);
        return std::unexpected(std::move(d));
    }
    return Pending{&request, *ws, *repo, std::move(*resolved), (*repo)->git_dir()};
}

// Repositories are opened one at a time; then the workspaces are read two at
// a time, so that one's steps on a single core (listing its tree and its
// tasks, assembling its model, checking references) overlap the other's.
// Two workspaces of one repository list their trees in turn: libgit2's
// repository handles are not shared between threads.
std::vector<std::expected<LoadedWorkspace, Diagnostic>> Organization::load_all(
    const std::vector<WorkspaceRequest>& requests, Failure on_failure) {
    std::vector<std::expected<LoadedWorkspace, Diagnostic>> results;
    std::vector<Pending> pending;
    std::vector<std::size_t> slot;  // pending[i] is results[slot[i]]
    for (const WorkspaceRequest& request : requests) {
        auto p = prepare(request);
        if (!p && on_failure == Failure::stop) {
            // The command fails on this: the workspaces after it are not
            // opened (a URL's repository would be fetched), as when they
            // were read one after the other. (A folder missing from its
            // commit is found later, when its tree is listed beside the
            // other loads.)
            while (results.size() < requests.size())
                results.emplace_back(std::unexpected(p.error()));
            break;
        }
        if (p) {
            pending.push_back(std::move(*p));
            slot.push_back(results.size());
            results.emplace_back(LoadedWorkspace{});
        } else {
            results.emplace_back(std::unexpected(p.error()));
        }
    }
    std::vector<std::atomic<std::size_t>> done(pending.size());
    std::atomic<std::size_t> total{0};  // grows as trees are listed
    std::string names;
    std::map<git::Repository*, std::mutex> listing;
    for (const Pending& p : pending) {
        names += (names.empty() ? "" : ", ") + p.request->name;
        listing[p.repo];
    }
    // A load that takes a while says how far it is (on a terminal only:
    // progress_ is empty otherwise). The ticker stops before `done` goes.
    std::jthread ticker;
    if (progress_ && !pending.empty()) {
        ticker = std::jthread([&](std::stop_token stop) {
            using namespace std::chrono_literals;
            bool shown = false;
            for (auto wait = 300ms; !stop.stop_requested(); wait = 100ms) {
                std::this_thread::sleep_for(wait);
                if (stop.stop_requested()) break;
                std::size_t sum = 0;
                for (const auto& d : done)
                    sum += d.load();
                progress_(
                    "reading " + names + ": " + std::to_string(sum) + " of " + std::to_string(total.load()) + " files",
                    false);
                shown = true;
            }
            if (shown) progress_("", true);
        });
    }
    // Said with -v once the loads are over, in the order asked.
    std::vector<std::string> reports(pending.size());
    auto run = [&](std::size_t i) {
        Pending& p = pending[i];
        auto started = std::chrono::steady_clock::now();
        std::shared_ptr<const TreeSource> tree;  // the workspace's resources keep it
        {
            std::lock_guard lock(listing.at(p.repo));
            auto listed = p.repo->tree(p.resolved.commit, p.ws->path);
            if (!listed) {
                results[slot[i]] = std::unexpected(
                    error(code::config, "workspace '" + p.request->name + "': " + listed.error(), p.ws->location));
                return;
            }
            tree = std::move(*listed);
        }
        total += tree->entries().size();
        // Reading the cache file is a good part of a warm load: each
        // workspace reads its own, side by side.
        auto cache = ParseCache::open(p.git_dir, p.ws->path, config_.connectors->digest());
        LoadedWorkspace loaded = load_workspace(tree, {p.request->name, p.ws->path, p.resolved.ref, p.resolved.commit},
                                                {}, SchemaSet::builtin(), *config_.connectors, cache.get(), &done[i]);
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        reports[i] = fmt::format("read {} at {} ({}) from {}: {} files ({} from the cache) in {} ms", p.request->name,
                                 p.resolved.ref, p.resolved.commit.substr(0, 12), p.ws->repo.string(),
                                 tree->entries().size(), cache ? cache->hits() : 0, ms.count());
        results[slot[i]] = std::move(loaded);
    };
    // Should a load throw, the ticker (a jthread) is stopped and joined as
    // the exception leaves.
    util::parallel_for(pending.size(), run, 2);
    if (ticker.joinable()) {
        ticker.request_stop();
        ticker.join();
    }
    for (const std::string& report : reports) {
        if (!report.empty()) spdlog::debug("{}", report);  // empty: its tree could not be listed
    }
    // SPEC 6: uncommitted changes are never read, but said. After the loads:
    // a repository's handle serves one thread at a time.
    std::set<const git::Repository*> told;
    for (std::size_t i = 0; i < pending.size(); ++i) {
        auto& result = results[slot[i]];
        if (!result) continue;
        const Pending& p = pending[i];
        // A change across repositories cut short: what was read may be half
        // of it until the next write finishes it (said once a repository).
        if (auto interrupted = p.repo->interrupted_write(); interrupted && told.insert(p.repo).second) {
            Diagnostic d =
                warning(code::git, "workspace '" + p.request->name + "': " + *interrupted, {}, p.request->name);
            d.hint = "run the ferry command again, or any ferry command that writes to one of them";
            result->diagnostics.add(std::move(d));
        }
        result->worktree_note = worktree_note({p.ws, p.repo, p.resolved});
    }
    return results;
}

std::string Organization::worktree_note(const Located& at) const {
    std::string branch = at.ws->branch;
    if (branch.empty()) {
        auto head = at.repo->head_branch();
        if (!head) return {};
        branch = *head;
    }
    return ferry::worktree_note(at.ws->name, at.resolved.ref, at.resolved.commit, at.ws->path,
                                at.repo->uncommitted(branch, at.resolved.commit, at.ws->path));
}

std::expected<Organization::Located, Diagnostic> Organization::locate(const WorkspaceRequest& request) {
    auto p = prepare(request);
    if (!p) return std::unexpected(p.error());
    return Located{p->ws, p->repo, p->resolved};
}

void check_links(const OrganizationConfig& config, const std::vector<const Workspace*>& workspaces,
                 const std::function<bool(const std::string&)>& report, Diagnostics& out) {
    for (const Workspace* ws : workspaces) {
        if (!report(ws->name)) continue;
        // One warning per workspace that ferry.yaml does not define, however
        // many links name it.
        std::map<std::string, std::pair<const LinkEntry*, std::size_t>> unknown;
        for (const LinkEntry& e : ws->links) {
            Location where{ws->links_file, e.mark.line, e.mark.column, ws->name};
            if (e.other_workspace == ws->name) {
                out.add(error(code::link_conflict, "a resource cannot be linked to its own workspace", where,
                              address(ws->name, e.kind, e.local_id)));
            } else if (!config.find(e.other_workspace)) {
                auto& [first, count] = unknown[e.other_workspace];
                if (!first) first = &e;
                ++count;
            }
        }
        for (const auto& [name, seen] : unknown) {
            const auto& [first, count] = seen;
            out.add(warning(code::stale_link,
                            std::to_string(count) + (count == 1 ? " link names" : " links name") + " workspace '" +
                                name + "', which ferry.yaml does not define; ignored",
                            {ws->links_file, first->mark.line, first->mark.column, ws->name}, ws->name));
        }
    }
    for (std::size_t i = 0; i < workspaces.size(); ++i) {
        for (std::size_t j = i + 1; j < workspaces.size(); ++j) {
            const Workspace& a = *workspaces[i];
            const Workspace& b = *workspaces[j];
            if (!report(a.name) && !report(b.name)) continue;
            LinkSet links = resolve_links(a, b, out);
            if (a.organization != b.organization && !a.organization.empty() && !b.organization.empty() &&
                !links.all().empty()) {
                out.add(error(code::different_organization,
                              a.name + " (" + a.organization + ") and " + b.name + " (" + b.organization +
                                  ") belong to different organizations but are linked",
                              {a.links_file, 0, 0, a.name}, a.name));
            }
        }
    }
}

}  // namespace ferry
