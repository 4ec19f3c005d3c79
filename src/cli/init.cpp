// `ferry init WORKSPACE --org NAME`: a new workspace tree in an existing
// repository, committed through the one write path.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "ferry/write/files.hpp"
#include "ferry/write/transaction.hpp"
#include "session.hpp"

namespace ferry::cli {
namespace {

namespace fs = std::filesystem;

struct InitArgs {
    std::string workspace, organization, name;
    std::string repo, path, branch;
};

// Where the tree goes: ferry.yaml's entry when it names the workspace, else
// --repo and --path (by default the repository and folder ferry runs in).
struct Place {
    git::Repository* repo = nullptr;
    fs::path repo_path;                     // as ferry.yaml would name it
    std::string branch;                     // empty: the branch HEAD names
    std::string folder;                     // inside the repository; "" for its root
    const fs::path* config_file = nullptr;  // the ferry.yaml found, if any
    bool configured = false;                // ferry.yaml already names the workspace
};

// A folder inside a repository: relative, '/'-separated, no `..`, and none
// of git's own names (`.git`, `.gitmodules`, ... as folders fail git fsck).
std::optional<std::string> repository_folder(const std::string& text) {
    fs::path p = fs::path(text).lexically_normal();
    if (p.is_absolute()) return std::nullopt;
    std::string out;
    for (const auto& part : p) {
        std::string name = part.string();
        std::ranges::transform(name, name.begin(), [](unsigned char c) { return std::tolower(c); });
        for (std::string_view git_name : {".git", ".gitmodules", ".gitattributes", ".gitignore", ".mailmap", "git~1"}) {
            if (name == git_name) return std::nullopt;
        }
        if (part == "..") return std::nullopt;
        if (part.empty() || part == ".") continue;
        out += (out.empty() ? "" : "/") + part.string();
    }
    return out;
}

std::string join(const std::string& folder, const std::string& path) {
    return folder.empty() ? path : folder + "/" + path;
}

// The entry to add under `workspaces:` in ferry.yaml.
std::string config_entry(const InitArgs& args, const Place& place) {
    fs::path repo = place.repo_path;
    if (place.config_file) {
        std::error_code ec;
        repo = repo.lexically_relative(fs::weakly_canonical(place.config_file->parent_path(), ec));
    }
    if (repo.empty()) repo = ".";
    std::string entry = "  " + args.workspace + ":\n    repo: " + repo.string() + "\n";
    if (!place.branch.empty()) entry += "    branch: " + place.branch + "\n";
    if (!place.folder.empty()) entry += "    path: " + place.folder + "\n";
    return entry;
}

struct Scaffold {
    std::string commit;
    std::string branch;
    std::vector<std::string> files;  // paths inside the repository
    Diagnostics warnings;
};

// Reads the branch tip, refuses a tree that is already a workspace, and
// commits workspace.yaml and the empty kind folders through the
// transaction (which reads again when the branch moved meanwhile).
std::expected<Scaffold, Diagnostics> scaffold(const InitArgs& args, const Place& place, const std::string& actor) {
    auto fail = [](Diagnostic d) { return std::unexpected(Diagnostics{{std::move(d)}}); };
    git::Repository& repo = *place.repo;
    auto branch = place.branch.empty() ? repo.head_branch() : place.branch;
    if (!branch) return fail(error(code::git, args.workspace + ": " + branch.error()));
    const std::string where = place.folder.empty() ? "the root of " + place.repo_path.string()
                                                   : place.folder + "/ in " + place.repo_path.string();
    std::vector<std::string> files;
    auto compute = [&](int) -> std::expected<std::vector<Write>, Diagnostics> {
        std::vector<TreeEntry> existing;
        std::string base;
        if (auto tip = repo.resolve(*branch, {}); tip) {
            base = tip->commit;
            auto tree = repo.tree(base, "");
            if (!tree) return fail(error(code::git, args.workspace + ": " + tree.error()));
            existing = (*tree)->entries();
        } else if (!repo.empty()) {
            // Only a repository without any commit starts a branch here.
            return fail(error(code::git, args.workspace + ": " + tip.error()));
        }
        auto taken = [&](const std::string& path) {
            return std::ranges::any_of(
                existing, [&](const TreeEntry& e) { return e.path == path || e.path.starts_with(path + "/"); });
        };
        for (const char* file : {"workspace.yaml", "workspace.yml"}) {
            if (!taken(join(place.folder, file))) continue;
            Diagnostic d = error(code::target_exists,
                                 args.workspace + " already exists: " + where + " has " + file + " on " + *branch);
            d.hint = place.configured ? "ferry validate " + args.workspace + " checks it"
                                      : "add it to ferry.yaml, then ferry validate " + args.workspace + " checks it";
            return fail(std::move(d));
        }
        if (!place.folder.empty() &&
            std::ranges::any_of(existing, [&](const TreeEntry& e) { return e.path == place.folder; })) {
            return fail(error(code::git, args.workspace + ": " + place.folder + " is a file on " + *branch));
        }

        Write w{args.workspace,
                &repo,
                *branch,
                base,
                {},
                "Create workspace " + args.workspace + " (organization " + args.organization + ")",
                {}};
        nlohmann::json workspace = {{"name", args.name.empty() ? args.workspace : args.name},
                                    {"organization", args.organization},
                                    {"members", {{actor, "admin"}}}};
        w.files.push_back({join(place.folder, "workspace.yaml"), workspace_yaml(workspace)});
        // git keeps no empty folders: an empty file holds each kind's place
        // (SPEC 2.2: files other than <id>.yaml are ignored).
        for (Kind kind : kAllKinds) {
            std::string folder = join(place.folder, std::string(kind_name(kind)));
            if (!taken(folder)) w.files.push_back({folder + "/.gitkeep", std::string()});
        }
        // SPEC 7: the schemas that the first line of every file ferry writes
        // names, by a path relative to that file, so that it resolves in any
        // clone (an existing file is left to its owner).
        for (auto& [path, text] : editor_schema_files()) {
            if (!taken(join(place.folder, path))) w.files.push_back({join(place.folder, path), std::move(text)});
        }
        files.clear();
        for (const auto& f : w.files)
            files.push_back(f.path);
        return std::vector<Write>{std::move(w)};
    };
    auto written = run_transaction({&repo}, {.actor = actor, .new_branch = args.branch}, compute);
    if (!written) return std::unexpected(std::move(written.error()));
    Scaffold out{written->written.empty() ? "" : written->written.front().commit,
                 args.branch.empty() ? *branch : args.branch, std::move(files), std::move(written->warnings)};
    return out;
}

std::expected<Place, Diagnostics> find_place(const Context& ctx, const InitArgs& args, std::optional<Organization>& org,
                                             std::optional<git::Repository>& own_repo) {
    auto fail = [](Diagnostic d) { return std::unexpected(Diagnostics{{std::move(d)}}); };
    Place place{};
    const char* env = std::getenv("FERRY_CONFIG");
    if (auto file = find_config(ctx.config); file) {
        auto opened = Organization::open(file->string());
        if (!opened) return std::unexpected(opened.error());
        org.emplace(std::move(*opened));
        place.config_file = &org->config().file;
    } else if (!ctx.config.empty() || (env && *env)) {
        return fail(file.error());  // named, and missing
    }
    if (const WorkspaceConfig* ws = org ? org->config().find(args.workspace) : nullptr) {
        auto repo = org->repository(*ws);
        if (!repo) return fail(repo.error());
        place.repo = *repo;
        place.repo_path = ws->repo;
        place.branch = ws->branch;
        place.folder = ws->path;
        place.configured = true;
        return place;
    }
    std::error_code ec;
    fs::path cwd = fs::current_path(ec);
    auto repo = args.repo.empty() ? git::Repository::discover(cwd) : git::Repository::open(args.repo);
    if (!repo) {
        Diagnostic d = error(code::git, repo.error());
        d.hint = "run ferry init in a git repository, or name one with --repo (git init makes one)";
        return fail(std::move(d));
    }
    own_repo.emplace(std::move(*repo));
    place.repo = &*own_repo;
    fs::path work_dir = own_repo->work_dir();
    place.repo_path = fs::weakly_canonical(work_dir.empty() ? own_repo->git_dir() : work_dir, ec);
    if (place.repo_path.has_relative_path() && place.repo_path.filename().empty())
        place.repo_path = place.repo_path.parent_path();
    if (!args.path.empty()) {
        place.folder = *repository_folder(args.path);
    } else if (args.repo.empty() && !work_dir.empty()) {
        // Here: the folder ferry runs in, inside its repository.
        fs::path here = fs::weakly_canonical(cwd, ec).lexically_relative(place.repo_path);
        if (auto folder = repository_folder(here.string())) place.folder = *folder;
    }
    return place;
}

int init(const Context& ctx, const InitArgs& args) {
    nlohmann::json result = {{"commits", nlohmann::json::array()}};
    if (!is_valid_id(args.workspace)) {
        return usage_error("'" + args.workspace + "' is not a workspace name: lowercase letters, digits, '-' and '_'");
    }
    if (!args.path.empty() && !repository_folder(args.path)) {
        return usage_error("--path " + args.path + " must be a folder inside the repository");
    }
    std::optional<Organization> org;
    std::optional<git::Repository> own_repo;
    auto place = find_place(ctx, args, org, own_repo);
    if (!place) return finish(ctx, result, place.error(), kFailed);
    if (place->configured && (!args.repo.empty() || !args.path.empty())) {
        return usage_error(args.workspace + " is in " + place->config_file->string() +
                           ": its repo and path come from there; drop --repo and --path");
    }
    auto actor = resolve_actor(ctx, place->repo, args.workspace);
    if (!actor) return finish(ctx, result, Diagnostics{{actor.error()}}, kFailed);
    auto done = scaffold(args, *place, *actor);
    if (!done) return finish(ctx, result, done.error(), kFailed);

    const std::string entry = place->configured ? "" : config_entry(args, *place);
    result["commits"].push_back({{"workspace", args.workspace}, {"commit", done->commit}});
    result["files"] = done->files;
    if (!entry.empty()) result["ferry_yaml"] = "workspaces:\n" + entry;
    std::vector<std::string> lines{
        "Created workspace " + args.workspace + " (organization " + args.organization + ", " + *actor + " as admin)",
        "  " + place->repo_path.string() + " on " + done->branch + ": commit " + done->commit.substr(0, 12)};
    for (const auto& f : done->files)
        lines.push_back("  + " + f);
    if (!entry.empty()) {
        lines.emplace_back();
        lines.push_back("Add it to " +
                        (place->config_file
                             ? place->config_file->string()
                             : std::string("a ferry.yaml (none was found; repo: is relative to its folder)")) +
                        ":");
        lines.emplace_back();
        lines.emplace_back("workspaces:");
        // The entry is ferry's own YAML, a line at a time.
        for (std::size_t start = 0, end; start < entry.size(); start = end + 1) {
            end = entry.find('\n', start);
            if (end == std::string::npos) end = entry.size();
            lines.push_back(entry.substr(start, end - start));
        }
        lines.emplace_back();
    }
    lines.push_back("Then: ferry validate " + args.workspace);
    return finish(ctx, std::move(result), done->warnings, kOk, {}, std::move(lines));
}

}  // namespace

Command init_command() {
    return {
        "init", "scaffold a new workspace tree in an existing repository", [](CLI::App& sub) {
            auto args = std::make_shared<InitArgs>();
            sub.add_option("workspace", args->workspace, "the workspace's name in ferry.yaml")->required();
            sub.add_option("--org", args->organization, "its organization (workspace.yaml's organization)")->required();
            sub.add_option("--name", args->name, "its human-readable name (default: WORKSPACE)");
            sub.add_option("--repo", args->repo,
                           "the repository (default: ferry.yaml's repo for WORKSPACE, else the one ferry runs in)");
            sub.add_option("--path", args->path,
                           "folder inside the repository (default: ferry.yaml's path, else the current folder)");
            sub.add_option("--branch", args->branch, "write the commit on this new branch");
            sub.footer(
                "Writes workspace.yaml (the actor as admin) and empty kind folders as one commit on the\n"
                "repository's branch, and prints the entry to add to ferry.yaml.\n\n"
                "Examples:\n"
                "  cd acme-dev && ferry init dev --org acme\n"
                "  ferry init staging --org acme --repo acme-mono --path staging --branch add-staging\n"
                "  ferry init prod --org acme --actor alice@acme.com     (in ferry.yaml already)");
            return [args](const Context& ctx) { return init(ctx, *args); };
        }};
}

}  // namespace ferry::cli
