#include "ferry/config.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "ferry/schema.hpp"
#include "ferry/yaml.hpp"

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
        // One spelling per repository (`../mono` and `../mono/` are one), so
        // that workspaces sharing it are written in one commit.
        ws.repo = fs::weakly_canonical(file.parent_path() / std::string(entry.get("repo").text()), ec);
        if (ec || ws.repo.empty())
            ws.repo = (file.parent_path() / std::string(entry.get("repo").text())).lexically_normal();
        if (ws.repo.has_relative_path() && ws.repo.filename().empty()) ws.repo = ws.repo.parent_path();
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
    if (diags.has_errors()) return std::unexpected(std::move(diags));
    return org;
}

}  // namespace ferry
