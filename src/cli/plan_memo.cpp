#include "plan_memo.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <set>

#include "ferry/schema/embedded.hpp"
#include "ferry/util/checksum.hpp"
#include "ferry/util/parallel.hpp"
#include "ferry/util/sha256.hpp"

namespace ferry::cli {
namespace {

// Raise when what a memo holds, or what a plan derives from what it holds,
// changes (the planner's rules, the layout below): memos written before are
// then foreign and ignored.
constexpr int kMemoFormat = 2;  // 2: a whole document's diff is made from it
constexpr std::string_view kMagic = "ferry plan memo\n";
// A plan with more changes than this is not kept (see save_memo).
constexpr std::size_t kMemoMaxChanges = 1000;

// --- what a memo is for ------------------------------------------------------

// Everything a plan depends on besides the two trees: this build's rules and
// schemas, the organization's connector schemas, where both workspaces are,
// the options and the actor. A memo made for another key is not read.
std::string memo_key(const OrganizationConfig& config, const Organization::Located& s, const Organization::Located& t,
                     const MemoRequest& request) {
    Sha256 h;
    auto field = [&](std::string_view text) {
        h.update(std::to_string(text.size()));
        h.update(":");
        h.update(text);
    };
    field(std::to_string(kMemoFormat));
    for (const auto& schema : schema::embedded_schemas()) {
        field(schema.name);
        field(schema.text);
    }
    field(config.connectors->digest());
    for (const Organization::Located* w : {&s, &t}) {
        field(w->ws->name);
        field(w->ws->path);
        field(w->repo->git_dir().string());
    }
    const PlanOptions& o = request.options;
    for (const auto* patterns : {&o.select, &o.exclude}) {
        field(std::to_string(patterns->size()));
        for (const Pattern& p : *patterns)
            field(p.str());
    }
    field(std::string{o.all ? '1' : '0', o.with_schedule ? '1' : '0', o.include_dependencies ? '1' : '0'});
    field(request.actor);
    return h.hex();
}

std::filesystem::path memo_file(const git::Repository& repo, std::string_view key) {
    return repo.git_dir() / "ferry" / "cache" / ("plan-" + std::string(key.substr(0, 32)) + ".memo");
}

// --- the plan in parts as JSON -------------------------------------------------

// Diagnostic codes are string_views into the code:: constants; a code read
// back is kept here for the process's life.
std::string_view intern(const std::string& text) {
    static std::mutex mutex;
    static std::set<std::string, std::less<>> held;  // nodes: their strings stay put
    std::lock_guard lock(mutex);
    return *held.insert(text).first;
}

nlohmann::json diagnostics_json(const Diagnostics& diags) {
    nlohmann::json out = nlohmann::json::array();
    for (const Diagnostic& d : diags.items) {
        out.push_back({d.severity == Severity::error ? 1 : 0, d.code, d.message, d.address, d.location.file,
                       d.location.line, d.location.column, d.location.workspace, d.hint});
    }
    return out;
}

Diagnostics diagnostics_from(const nlohmann::json& in) {
    Diagnostics out;
    for (const auto& d : in) {
        out.add({d.at(0).get<int>() == 1 ? Severity::error : Severity::warning,
                 intern(d.at(1).get<std::string>()),
                 d.at(2).get<std::string>(),
                 d.at(3).get<std::string>(),
                 {d.at(4).get<std::string>(), d.at(5).get<std::uint32_t>(), d.at(6).get<std::uint32_t>(),
                  d.at(7).get<std::string>()},
                 d.at(8).get<std::string>()});
    }
    return out;
}

Kind kind_from(const nlohmann::json& j) {
    auto kind = parse_kind(j.get<std::string>());
    if (!kind) throw std::runtime_error("not a kind");
    return *kind;
}

nlohmann::json links_json(const std::vector<PlannedLink>& links) {
    nlohmann::json out = nlohmann::json::array();
    for (const PlannedLink& l : links)
        out.push_back({kind_name(l.kind), l.source_id, l.target_id});
    return out;
}

std::vector<PlannedLink> links_from(const nlohmann::json& in) {
    std::vector<PlannedLink> out;
    for (const auto& l : in)
        out.push_back({kind_from(l.at(0)), l.at(1).get<std::string>(), l.at(2).get<std::string>()});
    return out;
}

nlohmann::json changes_json(const std::vector<Change>& changes) {
    nlohmann::json out = nlohmann::json::array();
    for (const Change& c : changes) {
        nlohmann::json diff = nlohmann::json::array();
        for (const DiffOp& op : c.diff)
            diff.push_back({static_cast<int>(op.op), op.path, op.before, op.after});
        out.push_back({kind_name(c.kind), c.id, c.origin_id, static_cast<int>(c.action), static_cast<int>(c.mode),
                       std::move(diff), c.after, c.replaces_draft, c.whole});
    }
    return out;
}

std::vector<Change> changes_from(const nlohmann::json& in) {
    std::vector<Change> out;
    for (const auto& c : in) {
        Change change;
        change.kind = kind_from(c.at(0));
        change.id = c.at(1).get<std::string>();
        change.origin_id = c.at(2).get<std::string>();
        change.action = static_cast<Action>(c.at(3).get<int>());
        change.mode = static_cast<Mode>(c.at(4).get<int>());
        for (const auto& op : c.at(5))
            change.diff.push_back(
                {static_cast<DiffOp::Op>(op.at(0).get<int>()), op.at(1).get<std::string>(), op.at(2), op.at(3)});
        change.after = c.at(6);
        change.replaces_draft = c.at(7).get<bool>();
        change.whole = c.at(8).get<bool>();
        out.push_back(std::move(change));
    }
    return out;
}

nlohmann::json parts_json(const PlanParts& parts) {
    nlohmann::json pairs = nlohmann::json::array();
    for (const PairVerdict& v : parts.pairs) {
        pairs.push_back({kind_name(v.key.first), v.key.second, diagnostics_json(v.diagnostics), changes_json(v.changes),
                         links_json(v.links), v.drafts_replaced,
                         v.created_model ? nlohmann::json(*v.created_model) : nlohmann::json()});
    }
    return {{"ref", parts.head.from.ref},
            {"diagnostics", diagnostics_json(parts.head.diagnostics)},
            {"links", links_json(parts.head.links)},
            {"not_selected", parts.head.not_selected},
            {"models_said", diagnostics_json(parts.models_said)},
            {"syncs_said", diagnostics_json(parts.syncs_said)},
            {"pairs", std::move(pairs)}};
}

PlanParts parts_from(const nlohmann::json& in) {
    PlanParts parts;
    parts.head.from.ref = in.at("ref").get<std::string>();
    parts.head.diagnostics = diagnostics_from(in.at("diagnostics"));
    parts.head.links = links_from(in.at("links"));
    parts.head.not_selected = in.at("not_selected").get<std::vector<std::string>>();
    parts.models_said = diagnostics_from(in.at("models_said"));
    parts.syncs_said = diagnostics_from(in.at("syncs_said"));
    for (const auto& p : in.at("pairs")) {
        PairVerdict v{{kind_from(p.at(0)), p.at(1).get<std::string>()},
                      diagnostics_from(p.at(2)),
                      changes_from(p.at(3)),
                      links_from(p.at(4)),
                      p.at(5).get<std::vector<std::string>>(),
                      {}};
        if (!p.at(6).is_null()) v.created_model = p.at(6).get<std::string>();
        parts.pairs.push_back(std::move(v));
    }
    return parts;
}

// --- the memo file -------------------------------------------------------------

// Ids and paths go into the memo's line sections as they are: a memo is
// written only when every one of them is plain (an id, a path of ids).
bool plain(std::string_view text) {
    return !text.empty() && std::ranges::all_of(text, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == '/' ||
               (c >= 'A' && c <= 'Z');
    });
}

// A section of sorted lines, searched by the start of a line without
// splitting it first: a memo's few lookups cost a few comparisons each.
class Lines {
public:
    explicit Lines(std::string_view text = {}) : text_(text) {}

    // The rest of the first line that starts with `prefix` and a space.
    std::optional<std::string_view> find(std::string_view prefix) const {
        const std::string key = std::string(prefix) + ' ';
        std::size_t lo = 0, hi = text_.size();  // byte offsets of line starts
        while (lo < hi) {
            std::size_t mid = lo + (hi - lo) / 2;
            // The start of the line that holds `mid`: lo is a line's start,
            // so this is never before lo.
            const std::size_t start = mid == 0 ? 0 : text_.rfind('\n', mid - 1) + 1;
            // (A last line without its newline ends where the text does.)
            const std::size_t end = std::min(text_.find('\n', start), text_.size());
            std::string_view line = text_.substr(start, end - start);
            if (line.substr(0, key.size()) < key) {
                lo = end + 1;
            } else {
                hi = start;
            }
        }
        if (lo >= text_.size()) return std::nullopt;
        std::string_view line = text_.substr(lo, std::min(text_.find('\n', lo), text_.size()) - lo);
        if (!line.starts_with(key)) return std::nullopt;
        return line.substr(key.size());
    }

private:
    std::string_view text_;
};

// Lines for a Lines section, most often added in order already (then
// nothing is sorted); a line out of order has them sorted at the end.
class Section {
public:
    // Starts a line; the caller appends its text to line() and calls end().
    std::string& line() {
        start_ = text_.size();
        return text_;
    }
    void end() {
        text_ += '\n';
        std::string_view now(text_.data() + start_, text_.size() - start_);
        if (sorted_ && !previous_.empty() && now < previous_) sorted_ = false;
        previous_.assign(now);
    }
    std::string take() {
        if (sorted_) return std::move(text_);
        std::vector<std::string_view> lines;
        for (std::string_view rest = text_; !rest.empty();) {
            const auto eol = rest.find('\n');
            lines.push_back(rest.substr(0, eol + 1));
            rest.remove_prefix(eol + 1);
        }
        std::ranges::sort(lines);
        std::string out;
        out.reserve(text_.size());
        for (std::string_view l : lines)
            out += l;
        return out;
    }

private:
    std::string text_, previous_;
    std::size_t start_ = 0;
    bool sorted_ = true;
};

struct Memo {
    std::string text;  // the whole file; the sections point into it
    std::string source_tree, target_tree;
    Lines by_a, by_b;  // "KIND A B" / "KIND B A": the links
    Lines selected;    // "KIND ID x"
    Lines troubled;    // "S|T PATH-OR-ADDRESS x": what had load problems
    Lines identities;  // "S|T+PATH IDENTITY": each model's and sync's (and draft's)
    PlanParts parts;
};

void put_section(std::string& out, std::string_view name, std::string_view body) {
    out += std::string(name) + " " + std::to_string(body.size()) + "\n";
    out += body;
}

std::optional<std::string_view> take_section(std::string_view& in, std::string_view name) {
    const auto eol = in.find('\n');
    if (eol == std::string_view::npos) return std::nullopt;
    std::string_view head = in.substr(0, eol);
    if (!head.starts_with(name) || head.size() <= name.size() || head[name.size()] != ' ') return std::nullopt;
    std::size_t size = 0;
    for (char c : head.substr(name.size() + 1)) {
        if (c < '0' || c > '9') return std::nullopt;
        size = size * 10 + static_cast<std::size_t>(c - '0');
    }
    in.remove_prefix(eol + 1);
    if (in.size() < size) return std::nullopt;
    std::string_view body = in.substr(0, size);
    in.remove_prefix(size);
    return body;
}

// A memo is read whole; one larger than this is not a memo ferry wrote.
constexpr off_t kMemoMaxBytes = off_t{1} << 30;

std::optional<Memo> read_memo(const std::filesystem::path& file, std::string_view key) {
    // Not blocking, and only a regular file: a named pipe or a folder in
    // the memo's place is no memo.
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return std::nullopt;
    auto memo = std::make_optional<Memo>();
    struct stat st {};
    bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && st.st_size <= kMemoMaxBytes;
    if (ok) {
        memo->text.resize(static_cast<std::size_t>(st.st_size));
        std::size_t done = 0;
        while (done < memo->text.size()) {
            const ssize_t n = ::read(fd, memo->text.data() + done, memo->text.size() - done);
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
        }
        ok = done == memo->text.size();
    }
    ::close(fd);
    if (!ok) return std::nullopt;
    std::string_view rest = memo->text;
    // The magic, the key, then the checksum of everything after it.
    if (!rest.starts_with(kMagic)) return std::nullopt;
    rest.remove_prefix(kMagic.size());
    if (rest.size() < 82 || rest.substr(0, 64) != key || rest[64] != '\n' || rest[81] != '\n') return std::nullopt;
    const std::string_view sum = rest.substr(65, 16);
    rest.remove_prefix(82);
    if (fmt::format("{:016x}", checksum(rest)) != sum) return std::nullopt;
    auto trees = take_section(rest, "trees");
    auto by_a = take_section(rest, "links");
    auto by_b = take_section(rest, "links-by-target");
    auto selected = take_section(rest, "selected");
    auto troubled = take_section(rest, "troubled");
    auto identities = take_section(rest, "identities");
    auto parts = take_section(rest, "parts");
    if (!trees || !by_a || !by_b || !selected || !troubled || !identities || !parts || trees->size() != 81)
        return std::nullopt;
    memo->source_tree = trees->substr(0, 40);
    memo->target_tree = trees->substr(41, 40);
    memo->by_a = Lines(*by_a);
    memo->by_b = Lines(*by_b);
    memo->selected = Lines(*selected);
    memo->troubled = Lines(*troubled);
    memo->identities = Lines(*identities);
    try {
        // A memo nests a resource's values, which ferry's own documents keep
        // to 64 levels: anything deeper is refused before it is built.
        auto shallow = [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
            if (depth > 200) throw std::runtime_error("a memo nested too deep");
            return true;
        };
        memo->parts = parts_from(nlohmann::json::parse(*parts, shallow));
    } catch (const std::exception&) {
        return std::nullopt;
    }
    return memo;
}

// --- what changed ----------------------------------------------------------

// A changed file an incremental plan can take: a model's or sync's (or its
// draft's) contents, the file there before and after.
struct Edit {
    Kind kind;
    std::string id;
    bool draft;
};

std::optional<Edit> edit_of(const git::Repository::FileChange& change) {
    if (!change.blobs || change.old_id.empty() || change.new_id.empty()) return std::nullopt;
    std::string_view path = change.path;
    bool draft = path.starts_with("drafts/");
    if (draft) path.remove_prefix(7);
    const auto slash = path.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto kind = parse_kind(path.substr(0, slash));
    if (!kind || !has_drafts(*kind)) return std::nullopt;
    std::string_view name = path.substr(slash + 1);
    std::string_view id;
    if (name.ends_with(".yaml")) id = name.substr(0, name.size() - 5);
    if (name.ends_with(".yml")) id = name.substr(0, name.size() - 4);
    if (!is_valid_id(id)) return std::nullopt;
    return Edit{*kind, std::string(id), draft};
}

void add_resource_paths(std::vector<std::string>& paths, Kind kind, std::string_view id, bool with_draft) {
    for (std::string_view ext : {".yaml", ".yml"}) {
        paths.push_back(std::string(kind_name(kind)) + "/" + std::string(id) + std::string(ext));
        if (with_draft && has_drafts(kind))
            paths.push_back("drafts/" + std::string(kind_name(kind)) + "/" + std::string(id) + std::string(ext));
    }
}

// The files at `paths` (and workspace.yaml), loaded alone.
std::expected<LoadedWorkspace, std::string> load_sparse(const Organization::Located& at, const std::string& tree,
                                                        std::vector<std::string> paths,
                                                        const ConnectorSchemas& connectors) {
    paths.push_back("workspace.yaml");
    auto files = at.repo->files(tree, paths);
    if (!files) return std::unexpected(files.error());
    return load_workspace(std::shared_ptr<const TreeSource>(std::move(*files)),
                          {at.ws->name, at.ws->path, at.resolved.ref, at.resolved.commit}, {}, SchemaSet::builtin(),
                          connectors);
}

const Resource* resource_at(const Workspace& ws, const Edit& e) {
    return e.draft ? ws.find_draft(e.kind, e.id) : ws.find(e.kind, e.id);
}

// The facts that other files' checks and other resources' plans read (all
// but the fingerprint of the contents), as text: each field escaped so that
// none holds a newline or the separator.
void append_identity(std::string& out, const ResourceFacts& f) {
    auto field = [&](std::string_view text) {
        while (!text.empty()) {
            const auto special = std::ranges::find_if(text, [](char c) {
                const auto u = static_cast<unsigned char>(c);
                return c == '|' || c == '\\' || u < 0x20 || u == 0x7f;
            });
            out.append(text.begin(), special);
            if (special == text.end()) break;
            out += fmt::format("\\x{:02x}", static_cast<unsigned char>(*special));
            text.remove_prefix(static_cast<std::size_t>(special - text.begin()) + 1);
        }
        out += '|';
    };
    field(f.is_map ? "map" : "-");
    field(f.type);
    field(f.source);
    field(f.model);
    field(f.destination);
    field(f.schedule_type);
    field(f.schedule_is_map ? "map" : "-");
    field(std::to_string(f.alerts.size()));
    for (const std::string& alert : f.alerts)
        field(alert);
    field(f.plaintext_secret ? "secret" : "-");
    field(f.connector_type);
}

std::string identity_of(const ResourceFacts& f) {
    std::string out;
    append_identity(out, f);
    return out;
}

// Where the memo keeps a resource's identity: "S models ID", "T drafts/syncs ID".
std::string identity_key(char side, Kind kind, std::string_view id, bool draft) {
    return std::string(1, side) + (draft ? "drafts/" : "") + std::string(kind_name(kind)) + " " + std::string(id);
}

// The identity a memo line holds, parsed back into the references it names.
void add_references(std::vector<std::string>& paths, Kind kind, std::string_view identity) {
    std::vector<std::string_view> fields;
    while (!identity.empty()) {
        const auto bar = identity.find('|');
        fields.push_back(identity.substr(0, bar));
        if (bar == std::string_view::npos) break;
        identity.remove_prefix(bar + 1);
    }
    if (fields.size() < 5) return;
    for (const Reference& ref : references_of(kind)) {
        std::string_view value = ref.field == "source" ? fields[2] : ref.field == "model" ? fields[3] : fields[4];
        if (is_valid_id(value)) add_resource_paths(paths, ref.target, value, false);
    }
}

std::string in_repo(const Organization::Located& at, const std::string& path) {
    return at.ws->path.empty() ? path : at.ws->path + "/" + path;
}

// A side's changed files, as `loaded` (which holds them and what they
// reference) has them now: each must have loaded without a problem before
// (the memo says) and now, and say the same to everything else.
bool edits_are_clean(const Organization::Located& at, const LoadedWorkspace& loaded,
                     const std::vector<git::Repository::FileChange>& changes, const std::vector<Edit>& edits,
                     const Memo& memo, char side) {
    for (std::size_t i = 0; i < edits.size(); ++i) {
        const Edit& e = edits[i];
        const std::string file = in_repo(at, changes[i].path);
        const std::string addr = address(at.ws->name, e.kind, e.id);
        const std::string s(1, side);
        if (memo.troubled.find(s + " " + file) || memo.troubled.find(s + " " + addr)) return false;
        const Resource* now = resource_at(loaded.workspace, e);
        auto before = memo.identities.find(identity_key(side, e.kind, e.id, e.draft));
        if (!now || now->file != file || !before || *before != identity_of(now->facts)) return false;
        if (std::ranges::any_of(loaded.diagnostics.items,
                                [&](const Diagnostic& d) { return d.address == addr || d.location.file == file; }))
            return false;
    }
    return true;
}

std::optional<std::vector<Edit>> edits_of(const std::vector<git::Repository::FileChange>& changes) {
    std::vector<Edit> edits;
    for (const auto& c : changes) {
        auto e = edit_of(c);
        if (!e) return std::nullopt;
        edits.push_back(std::move(*e));
    }
    return edits;
}

std::expected<Plan, std::string> memo_plan(Organization& org, const MemoRequest& request,
                                           std::vector<std::string>& notes) {
    if (ParseCache::disabled()) return std::unexpected("FERRY_NO_CACHE=1");
    if (!request.options.links.empty()) return std::unexpected("--link");
    auto s = org.locate(request.from);
    auto t = org.locate({request.to, {}});
    if (!s || !t) return std::unexpected("a workspace could not be read");
    // A change across repositories cut short: the full load says so.
    if (s->repo->interrupted_write() || t->repo->interrupted_write()) return std::unexpected("a write was cut short");
    const std::string key = memo_key(org.config(), *s, *t, request);
    auto memo = read_memo(memo_file(*s->repo, key), key);
    if (!memo) return std::unexpected("no memo of an earlier plan with these options");
    auto s_tree = s->repo->tree_id(s->resolved.commit, s->ws->path);
    auto t_tree = t->repo->tree_id(t->resolved.commit, t->ws->path);
    if (!s_tree || !t_tree) return std::unexpected("a workspace's tree could not be read");
    // S's and T's side by side, unless one repository holds both (its
    // handle serves one thread at a time).
    const std::size_t sides = s->repo == t->repo ? 1 : 2;
    std::expected<std::vector<git::Repository::FileChange>, std::string> s_changes, t_changes;
    util::parallel_for(
        2,
        [&](std::size_t i) {
            if (i == 0) s_changes = s->repo->changed_files(memo->source_tree, *s_tree);
            if (i == 1) t_changes = t->repo->changed_files(memo->target_tree, *t_tree);
        },
        sides);
    if (!s_changes || !t_changes) return std::unexpected("the memo's trees are gone");
    auto s_edits = edits_of(*s_changes);
    auto t_edits = edits_of(*t_changes);
    if (!s_edits || !t_edits)
        return std::unexpected("a file other than a model's or sync's was added, removed or changed");

    // Which selected resources to plan again: those whose file, or whose
    // counterpart's file, changed.
    auto line = [](Kind kind, std::string_view id) { return std::string(kind_name(kind)) + " " + std::string(id); };
    std::set<PairKey> again;
    for (const Edit& e : *s_edits)
        again.insert({e.kind, e.id});
    for (const Edit& e : *t_edits) {
        auto source_id = memo->by_b.find(line(e.kind, e.id));
        again.insert({e.kind, source_id ? std::string(*source_id) : e.id});
    }
    std::erase_if(again, [&](const PairKey& k) { return !memo->selected.find(line(k.first, k.second)); });
    auto in_b = [&](Kind kind, std::string_view id) -> std::optional<std::string> {
        auto found = memo->by_a.find(line(kind, id));
        return found ? std::optional(std::string(*found)) : std::nullopt;
    };
    // What is read, each side in one load: the changed files and what they
    // reference; the resources planned again, their drafts and references;
    // in T, their counterparts and drafts, and their references'.
    std::vector<std::string> s_paths, t_paths;
    for (const auto& [edits, changes, paths, side] :
         {std::tuple{&*s_edits, &*s_changes, &s_paths, 'S'}, std::tuple{&*t_edits, &*t_changes, &t_paths, 'T'}}) {
        for (std::size_t i = 0; i < edits->size(); ++i) {
            paths->push_back((*changes)[i].path);
            const Edit& e = (*edits)[i];
            auto before = memo->identities.find(identity_key(side, e.kind, e.id, e.draft));
            if (!before) return std::unexpected("a changed file is not in the memo");
            add_references(*paths, e.kind, *before);
        }
    }
    LinkSet links;
    links.a = s->ws->name;
    links.b = t->ws->name;
    PairContext context;
    for (const PairKey& k : again) {
        add_resource_paths(s_paths, k.first, k.second, true);
        const auto linked = in_b(k.first, k.second);
        if (linked) links.add(k.first, k.second, *linked);
        add_resource_paths(t_paths, k.first, linked ? *linked : k.second, true);
        context.selected.insert(k);
        auto known = memo->identities.find(identity_key('S', k.first, k.second, false));
        if (!known) return std::unexpected("a resource to plan again is not in the memo");
        std::vector<std::string> refs;
        add_references(refs, k.first, *known);
        for (const std::string& ref : refs) {
            // "KIND/ID.yaml": its counterpart in T, its link, whether selected.
            const auto slash = ref.find('/');
            const Kind kind = *parse_kind(std::string_view(ref).substr(0, slash));
            const std::string id = ref.substr(slash + 1, ref.rfind('.') - slash - 1);
            s_paths.push_back(ref);
            if (auto other = in_b(kind, id)) {
                links.add(kind, id, *other);
                add_resource_paths(t_paths, kind, *other, false);
            }
            if (kind == Kind::models && memo->selected.find(line(kind, id))) context.selected.insert({kind, id});
        }
    }
    for (const PairVerdict& v : memo->parts.pairs) {
        if (v.created_model) context.created_models.emplace(v.key.second, *v.created_model);
    }
    const ConnectorSchemas& connectors = *org.config().connectors;
    std::expected<LoadedWorkspace, std::string> source, target;
    util::parallel_for(
        2,
        [&](std::size_t i) {
            if (i == 0) source = load_sparse(*s, *s_tree, s_paths, connectors);
            if (i == 1) target = load_sparse(*t, *t_tree, t_paths, connectors);
        },
        sides);
    if (!source || !target) return std::unexpected("the changed files could not be read");
    if (!edits_are_clean(*s, *source, *s_changes, *s_edits, *memo, 'S') ||
        !edits_are_clean(*t, *target, *t_changes, *t_edits, *memo, 'T'))
        return std::unexpected("a changed file has a problem, had one, or changed its references");
    std::vector<PairKey> keys(again.begin(), again.end());
    std::vector<PairVerdict> verdicts = plan_pairs({{source->workspace, *source->documents, nullptr},
                                                    {target->workspace, *target->documents, nullptr},
                                                    links,
                                                    request.options,
                                                    request.actor},
                                                   keys, context);

    // The new verdicts in place of the old, in the order of the keys.
    PlanParts parts = std::move(memo->parts);
    std::map<PairKey, const PairVerdict*> old;
    for (const PairVerdict& v : parts.pairs)
        old.emplace(v.key, &v);
    for (const PairVerdict& v : verdicts) {
        // A model created before and not now (or the reverse) changes what
        // its syncs read: planned in full.
        auto was = old.find(v.key);
        const std::optional<std::string> none;
        if ((was == old.end() ? none : was->second->created_model) != v.created_model)
            return std::unexpected("a model the plan creates changed");
    }
    std::erase_if(parts.pairs, [&](const PairVerdict& v) { return again.contains(v.key); });
    for (PairVerdict& v : verdicts) {
        if (!v.empty()) parts.pairs.push_back(std::move(v));
    }
    std::ranges::sort(parts.pairs, {}, &PairVerdict::key);

    // The plan names the commits read now; a draft it writes names S's.
    if (parts.head.from.ref != s->resolved.ref &&
        std::ranges::any_of(parts.head.diagnostics.items,
                            [](const Diagnostic& d) { return d.code == code::unknown_resource; }))
        return std::unexpected("an unknown-resource error names the ref read");
    parts.head.from = {s->ws->name, s->resolved.ref, s->resolved.commit};
    parts.head.to = {t->ws->name, t->resolved.ref, t->resolved.commit};
    parts.head.actor = request.actor;
    parts.head.options = request.options;
    for (PairVerdict& v : parts.pairs) {
        for (Change& c : v.changes) {
            if (c.mode != Mode::draft || !c.after.is_object()) continue;
            auto draft = c.after.find("draft");
            if (draft == c.after.end() || !draft->is_object())
                return std::unexpected("the memo's draft block is not one ferry writes");
            (*draft)["origin"] = s->ws->name + "@" + s->resolved.commit;
        }
    }
    spdlog::debug("planned {} of the selected resources again, from the plan of {} at tree {} and {} at tree {}",
                  keys.size(), s->ws->name, memo->source_tree.substr(0, 12), t->ws->name,
                  memo->target_tree.substr(0, 12));
    notes = {org.worktree_note(*s), org.worktree_note(*t)};
    return assemble(std::move(parts));
}

void write_memo(Organization& org, const MemoRequest& request, const LoadedWorkspace& source,
                const LoadedWorkspace& target, const LinkSet& links, const PlanParts& parts) {
    if (ParseCache::disabled() || !request.options.links.empty()) return;
    // Where the loads were made, without resolving anything again.
    auto at = [&](const std::string& name, const Workspace& w) -> std::optional<Organization::Located> {
        auto ws = org.workspace(name);
        if (!ws) return std::nullopt;
        auto repo = org.repository(**ws);
        if (!repo) return std::nullopt;
        return Organization::Located{*ws, *repo, {w.ref, w.commit}};
    };
    auto s = at(request.from.name, source.workspace);
    auto t = at(request.to, target.workspace);
    if (!s || !t) return;
    auto s_tree = s->repo->tree_id(s->resolved.commit, s->ws->path);
    auto t_tree = t->repo->tree_id(t->resolved.commit, t->ws->path);
    if (!s_tree || !t_tree) return;

    // A memo pays where a plan changes little and is made again and again
    // (a pull request's checks); a plan of thousands of changes (a first
    // deployment) would cost more to keep and read back than to make.
    std::size_t changes = 0;
    for (const PairVerdict& v : parts.pairs)
        changes += v.changes.size();
    if (changes > kMemoMaxChanges) return;

    // A file git could not read may be readable next time (a partial
    // clone fetching it): such a plan is not kept.
    auto unread = [](const Diagnostics& d) {
        return std::ranges::any_of(d.items, [](const Diagnostic& x) { return x.code == code::git; });
    };
    if (unread(source.diagnostics) || unread(target.diagnostics) || unread(parts.head.diagnostics) ||
        std::ranges::any_of(parts.pairs, [&](const PairVerdict& v) { return unread(v.diagnostics); }))
        return;

    // Each section in the order it is searched in: kinds by name, ids in
    // order (a space, which ends an id, sorts before every character of one).
    std::array<Kind, 5> by_name = kAllKinds;
    std::ranges::sort(by_name, {}, [](Kind k) { return kind_name(k); });
    std::vector<Link> all = links.all();
    std::ranges::stable_sort(all, {}, [](const Link& l) { return kind_name(l.kind); });
    Section by_a, by_b, selected, troubled, identities;
    for (const Link& l : all) {
        if (!plain(l.a_id) || !plain(l.b_id)) return;
        by_a.line().append(kind_name(l.kind)).append(" ").append(l.a_id).append(" ").append(l.b_id);
        by_a.end();
    }
    std::ranges::stable_sort(all, {},
                             [](const Link& l) { return std::pair(kind_name(l.kind), std::string_view(l.b_id)); });
    for (const Link& l : all) {
        by_b.line().append(kind_name(l.kind)).append(" ").append(l.b_id).append(" ").append(l.a_id);
        by_b.end();
    }
    for (const auto& [kind, id] : parts.selected) {
        if (!plain(id)) return;
        selected.line().append(kind_name(kind)).append(" ").append(id).append(" x");
        selected.end();
    }
    std::vector<std::string> problems;
    for (const auto& [side, lw] : {std::pair{'S', &source}, std::pair{'T', &target}}) {
        for (const Diagnostic& d : lw->diagnostics.items) {
            // A problem not tied to a plain file or address: no memo.
            if (!d.location.file.empty()) {
                if (!plain(d.location.file)) return;
                problems.push_back(std::string(1, side) + " " + d.location.file);
            }
            if (!d.address.empty()) {
                if (d.address.find_first_of(" \n") != std::string::npos) return;
                problems.push_back(std::string(1, side) + " " + d.address);
            }
        }
        // drafts/models, drafts/syncs, models, syncs: the order of their keys.
        for (bool drafts : {true, false}) {
            for (Kind kind : {Kind::models, Kind::syncs}) {
                for (const auto& [id, r] : drafts ? lw->workspace.drafts_of(kind) : lw->workspace.of(kind)) {
                    std::string& line = identities.line();
                    line += identity_key(side, kind, id, drafts);
                    line += ' ';
                    append_identity(line, r.facts);
                    identities.end();
                }
            }
        }
    }
    std::ranges::sort(problems);
    problems.erase(std::unique(problems.begin(), problems.end()), problems.end());
    for (const std::string& p : problems) {
        troubled.line().append(p).append(" x");
        troubled.end();
    }
    std::string body;
    put_section(body, "trees", *s_tree + " " + *t_tree);
    put_section(body, "links", by_a.take());
    put_section(body, "links-by-target", by_b.take());
    put_section(body, "selected", selected.take());
    put_section(body, "troubled", troubled.take());
    put_section(body, "identities", identities.take());
    put_section(body, "parts", parts_json(parts).dump());
    const std::string key = memo_key(org.config(), *s, *t, request);

    // Written aside, then renamed over the old memo: a reader sees one whole.
    const std::filesystem::path file = memo_file(*s->repo, key);
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    std::filesystem::path temp = file;
    temp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out << kMagic << key << '\n' << fmt::format("{:016x}", checksum(body)) << '\n' << body;
        out.close();
        if (!out) {
            std::filesystem::remove(temp, ec);
            return;
        }
    }
    std::filesystem::rename(temp, file, ec);
    if (ec) std::filesystem::remove(temp, ec);
}

}  // namespace

// A memo is an optimisation: nothing about one (bytes forged in ways the
// checks above do not foresee, text JSON cannot hold, memory) may fail the
// command. Whatever it throws plans in full, or leaves no memo.
std::expected<Plan, std::string> plan_from_memo(Organization& org, const MemoRequest& request,
                                                std::vector<std::string>& notes) {
    try {
        return memo_plan(org, request, notes);
    } catch (const std::exception& e) {
        notes.clear();
        return std::unexpected(std::string("the memo could not be used: ") + e.what());
    }
}

void save_memo(Organization& org, const MemoRequest& request, const LoadedWorkspace& source,
               const LoadedWorkspace& target, const LinkSet& links, const PlanParts& parts) {
    try {
        write_memo(org, request, source, target, links, parts);
    } catch (const std::exception& e) {
        spdlog::debug("no plan memo kept: {}", e.what());
    }
}

}  // namespace ferry::cli
