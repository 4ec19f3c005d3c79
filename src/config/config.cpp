#include "ferry/config/config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "ferry/schema/connectors.hpp"
#include "ferry/schema/schema.hpp"
#include "ferry/util/did_you_mean.hpp"
#include "ferry/util/url.hpp"
#include "ferry/yaml/yaml.hpp"

namespace ferry {

namespace fs = std::filesystem;

const WorkspaceConfig* OrganizationConfig::find(std::string_view name) const {
    for (const auto& w : workspaces) {
        if (w.name == name) return &w;
    }
    return nullptr;
}

std::expected<fs::path, Diagnostic> find_config(const std::string& flag) {
    auto must_exist = [](fs::path p, std::string_view from) -> std::expected<fs::path, Diagnostic> {
        std::error_code ec;
        if (!fs::is_regular_file(p, ec)) {
            return std::unexpected(
                error(code::config, "no organization file at " + p.string() + " (from " + std::string(from) + ")"));
        }
        return fs::absolute(p, ec);
    };
    if (!flag.empty()) return must_exist(flag, "--config");
    if (const char* env = std::getenv("FERRY_CONFIG"); env && *env) return must_exist(env, "FERRY_CONFIG");
    std::error_code ec;
    for (fs::path dir = fs::current_path(ec); !dir.empty(); dir = dir.parent_path()) {
        if (fs::is_regular_file(dir / "ferry.yaml", ec)) return dir / "ferry.yaml";
        if (dir == dir.parent_path()) break;
    }
    Diagnostic d = error(code::config, "no ferry.yaml in this folder or any parent folder");
    d.hint = "pass --config FILE, set FERRY_CONFIG, or run ferry where ferry.yaml is";
    return std::unexpected(std::move(d));
}

namespace {

// A folder inside a repository: relative, '/'-separated, no '.' or '..' parts.
// An absolute path is refused rather than read as relative: `/etc` most
// likely means a folder outside the repository.
std::optional<std::string> normalize_folder(std::string_view path) {
    if (path.starts_with('/')) return std::nullopt;
    std::string out;
    while (!path.empty()) {
        auto slash = path.find('/');
        std::string_view part = path.substr(0, slash);
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
        if (part.empty() || part == ".") continue;
        if (part == ".." || part == ".git") return std::nullopt;
        if (!out.empty()) out += '/';
        out += part;
    }
    return out;
}

// FNV-1a: a stable hash that keeps two URLs' clones apart.
std::string url_hash(std::string_view url) {
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : url) {
        h ^= c;
        h *= 1099511628211ull;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

// A readable folder name for a URL: its host and path, without scheme and
// credentials, in safe characters.
std::string url_folder_name(std::string_view url) {
    if (UrlCredentials c = url_credentials(url); c.present) {
        url = c.rest;
    } else if (auto scheme = url.find("://"); scheme != std::string_view::npos) {
        url = url.substr(scheme + 3);
    } else if (auto at = url.find('@'); at != std::string_view::npos && at < url.find('/')) {
        url = url.substr(at + 1);  // scp-like: user@host:path
    }
    std::string out;
    for (unsigned char c : url) {
        bool safe = std::isalnum(c) || c == '.' || c == '_';
        if (safe) {
            out += static_cast<char>(c);
        } else if (!out.empty() && out.back() != '-') {
            out += '-';
        }
        if (out.size() >= 60) break;
    }
    while (!out.empty() && (out.back() == '-' || out.back() == '.'))
        out.pop_back();
    while (!out.empty() && out.front() == '.')
        out.erase(0, 1);
    return out.empty() ? "repo" : out;
}

}  // namespace

bool is_repository_url(std::string_view repo) {
    if (auto scheme = repo.find("://"); scheme != std::string_view::npos && scheme > 0) {
        std::string_view name = repo.substr(0, scheme);
        bool is_scheme = std::isalpha(static_cast<unsigned char>(name[0])) &&
                         std::ranges::all_of(
                             name, [](unsigned char c) { return std::isalnum(c) || c == '+' || c == '-' || c == '.'; });
        if (is_scheme) return true;
    }
    auto colon = repo.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    auto slash = repo.find('/');
    return slash == std::string_view::npos || colon < slash;
}

std::expected<fs::path, std::string> repository_cache(std::string_view url) {
    fs::path root;
    std::error_code ec;
    if (const char* dir = std::getenv("FERRY_REPO_CACHE"); dir && *dir) {
        root = fs::absolute(dir, ec);
    } else if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg && fs::path(xdg).is_absolute()) {
        root = fs::path(xdg) / "ferry" / "repos";
    } else if (const char* home = std::getenv("HOME"); home && *home) {
        root = fs::path(home) / ".cache" / "ferry" / "repos";
    } else {
        return std::unexpected(std::string("no folder to keep clones in: set FERRY_REPO_CACHE or HOME"));
    }
    return root / (url_folder_name(url) + "-" + url_hash(url));
}

namespace {

std::string shown_path(const fs::path& path) {
    std::error_code ec;
    if (auto rel = fs::relative(path, fs::current_path(ec), ec); !ec && !rel.empty() && *rel.begin() != "..") {
        return rel.string();
    }
    return path.string();
}

bool is_type_name(std::string_view type) {
    return !type.empty() &&
           std::ranges::all_of(
               type, [](unsigned char c) { return std::islower(c) || std::isdigit(c) || c == '-' || c == '_'; }) &&
           type.front() != '-' && type.front() != '_';
}

// SPEC 2.7: FOLDER/KIND/TYPE.schema.json, KIND one of sources,
// destinations, syncs. Other files are not schemas and are left alone.
std::vector<ConnectorSchemas::Override> read_overrides(const fs::path& folder, Diagnostics& diags) {
    std::vector<ConnectorSchemas::Override> out;
    std::error_code ec;
    std::vector<fs::path> files;
    for (fs::recursive_directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        if (it.depth() > 1) {
            it.disable_recursion_pending();
            continue;
        }
        const fs::path& p = it->path();
        if (it.depth() == 1 && p.filename().string().ends_with(".schema.json")) files.push_back(p);
    }
    std::ranges::sort(files);  // in a fixed order: the cache's key depends on it
    static const std::vector<std::string> kinds = {"sources", "destinations", "syncs"};
    for (const fs::path& p : files) {
        const std::string shown = shown_path(p);
        const std::string kind_folder = p.parent_path().filename().string();
        std::string type = p.filename().string();
        type.resize(type.size() - std::string_view(".schema.json").size());
        if (std::ranges::find(kinds, kind_folder) == kinds.end()) {
            Diagnostic d = error(code::config,
                                 shown +
                                     ": connector schemas are sorted by kind into sources/, destinations/ and "
                                     "syncs/, not " +
                                     kind_folder + "/",
                                 {shown, 0, 0});
            if (std::string meant = did_you_mean(kind_folder, kinds); !meant.empty())
                d.hint = "did you mean " + meant + "/?";
            diags.add(std::move(d));
            continue;
        }
        if (!is_type_name(type)) {
            diags.add(error(code::config,
                            shown + ": '" + type + "' is not a connector type: lowercase letters, digits, '-' and '_'",
                            {shown, 0, 0}));
            continue;
        }
        std::ifstream in(p, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        if (!in) {
            diags.add(error(code::config, "cannot read " + shown, {shown, 0, 0}));
            continue;
        }
        out.push_back({*parse_kind(kind_folder), std::move(type), shown, text.str()});
    }
    return out;
}

}  // namespace

std::expected<OrganizationConfig, Diagnostics> load_config(const fs::path& file) {
    Diagnostics diags;
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) {
        diags.add(error(code::config, "cannot read " + file.string()));
        return std::unexpected(std::move(diags));
    }
    // Shown as the user would type it: relative when under the current folder.
    std::string shown = file.string();
    std::error_code ec;
    if (auto rel = fs::relative(file, fs::current_path(ec), ec); !ec && !rel.empty() && *rel.begin() != "..") {
        shown = rel.string();
    }
    auto doc = yaml::parse(text.str());
    if (!doc) {
        diags.add(error(code::config, "ferry.yaml: " + doc.error().message,
                        {shown, doc.error().mark.line, doc.error().mark.column}));
        return std::unexpected(std::move(diags));
    }
    SchemaSet::builtin().check("ferry.schema.json", doc->root(), shown, {}, diags);
    for (auto& d : diags.items)
        d.code = code::config;
    if (diags.has_errors()) return std::unexpected(std::move(diags));

    OrganizationConfig org{file, {}};
    yaml::Node workspaces = doc->root().get("workspaces");
    for (std::size_t i = 0; i < workspaces.size(); ++i) {
        yaml::Node key = workspaces.key(i);
        yaml::Node entry = workspaces.value(i);
        WorkspaceConfig ws;
        ws.name = key.text();
        ws.location = {shown, key.mark().line, key.mark().column};
        yaml::Node repo = entry.get("repo");
        std::string_view repo_text = repo.text();
        if (is_repository_url(repo_text)) {
            // One clone per URL (`.../acme` and `.../acme/` are one), shared
            // by the workspaces of a monorepo.
            while (repo_text.size() > 1 && repo_text.back() == '/')
                repo_text.remove_suffix(1);
            ws.url = repo_text;
            auto cache = repository_cache(ws.url);
            if (!cache) {
                diags.add(error(code::config, "workspace '" + ws.name + "': " + cache.error(),
                                {shown, repo.mark().line, repo.mark().column}));
                continue;
            }
            ws.repo = *cache;
        } else {
            // One spelling per repository (`../mono` and `../mono/` are one), so
            // that workspaces sharing it are written in one commit.
            ws.repo = fs::weakly_canonical(file.parent_path() / std::string(repo_text), ec);
            if (ec || ws.repo.empty()) ws.repo = (file.parent_path() / std::string(repo_text)).lexically_normal();
            if (ws.repo.has_relative_path() && ws.repo.filename().empty()) ws.repo = ws.repo.parent_path();
        }
        if (yaml::Node b = entry.get("branch")) ws.branch = b.text();
        if (yaml::Node p = entry.get("path")) {
            auto folder = normalize_folder(p.text());
            if (!folder) {
                diags.add(error(code::config, "workspace '" + ws.name + "': path must stay inside the repository",
                                {shown, p.mark().line, p.mark().column}));
                continue;
            }
            ws.path = *folder;
        }
        org.workspaces.push_back(std::move(ws));
    }
    // SPEC 2.7: connectors/ beside ferry.yaml, or the folder `connectors:` names.
    fs::path folder = file.parent_path() / "connectors";
    if (yaml::Node c = doc->root().get("connectors")) {
        folder = file.parent_path() / std::string(c.text());
        if (!fs::is_directory(folder, ec)) {
            Diagnostic d = error(code::config, "connectors: " + shown_path(folder) + " is not a folder",
                                 {shown, c.mark().line, c.mark().column});
            d.hint = "`connectors:` names a folder, relative to ferry.yaml's, holding KIND/TYPE.schema.json files";
            diags.add(std::move(d));
        }
    }
    std::vector<ConnectorSchemas::Override> overrides;
    if (fs::is_directory(folder, ec)) overrides = read_overrides(folder, diags);
    if (diags.has_errors()) return std::unexpected(std::move(diags));
    auto connectors = ConnectorSchemas::with(std::move(overrides));
    if (!connectors) return std::unexpected(std::move(connectors.error()));
    org.connectors = std::move(*connectors);
    return org;
}

}  // namespace ferry
