#include "ferry/model/links.hpp"

#include <algorithm>
#include <set>
#include <tuple>

namespace ferry {

namespace {
std::size_t slot(Kind kind) {
    return static_cast<std::size_t>(kind);
}
}  // namespace

const std::string* LinkSet::in_b(Kind kind, const std::string& a_id) const {
    const Table& t = tables_[slot(kind)];
    const std::uint32_t* at = t.by_a.find(a_id, [&](std::uint32_t i) { return std::string_view(t.pairs[i].first); });
    return at ? &t.pairs[*at].second : nullptr;
}
const std::string* LinkSet::in_a(Kind kind, const std::string& b_id) const {
    const Table& t = tables_[slot(kind)];
    const std::uint32_t* at = t.by_b.find(b_id, [&](std::uint32_t i) { return std::string_view(t.pairs[i].second); });
    return at ? &t.pairs[*at].first : nullptr;
}

bool LinkSet::add(Kind kind, const std::string& a_id, const std::string& b_id) {
    const std::string* known_b = in_b(kind, a_id);
    const std::string* known_a = in_a(kind, b_id);
    if (known_b || known_a) {
        // The same link said twice (once by each side) is agreement.
        return known_b && known_a && *known_b == b_id && *known_a == a_id;
    }
    Table& t = tables_[slot(kind)];
    const auto at = static_cast<std::uint32_t>(t.pairs.size());
    t.pairs.emplace_back(a_id, b_id);
    t.by_a.insert(FlatIndex<std::uint32_t>::hash(a_id), at);
    t.by_b.insert(FlatIndex<std::uint32_t>::hash(b_id), at);
    return true;
}

std::vector<Link> LinkSet::all() const {
    std::vector<Link> out;
    for (Kind kind : kAllKinds) {
        for (const auto& [a_id, b_id] : tables_[slot(kind)].pairs)
            out.push_back({kind, a_id, b_id});
    }
    std::ranges::sort(out, [](const Link& x, const Link& y) {
        return std::tie(x.kind, x.a_id, x.b_id) < std::tie(y.kind, y.a_id, y.b_id);
    });
    return out;
}

LinkSet resolve_links(const Workspace& a, const Workspace& b, Diagnostics& out) {
    struct Statement {
        const Workspace* said_by;
        const LinkEntry* entry;
        std::string a_id, b_id;
    };
    std::vector<Statement> statements;
    for (const LinkEntry& e : a.links) {
        if (e.other_workspace == b.name) statements.push_back({&a, &e, e.local_id, e.other_id});
    }
    for (const LinkEntry& e : b.links) {
        if (e.other_workspace == a.name) statements.push_back({&b, &e, e.other_id, e.local_id});
    }

    // Stale statements go first: a link to a resource that is gone says
    // nothing, so it cannot contradict a live one (relinking after a delete).
    std::set<std::tuple<Kind, std::string, std::string>> stale_reported;
    std::vector<const Statement*> live_statements;
    for (const Statement& s : statements) {
        Kind kind = s.entry->kind;
        bool a_exists = a.exists(kind, s.a_id);
        bool b_exists = b.exists(kind, s.b_id);
        if (a_exists && b_exists) {
            live_statements.push_back(&s);
            continue;
        }
        if (!stale_reported.emplace(kind, s.a_id, s.b_id).second) continue;
        std::string missing = !a_exists ? address(a.name, kind, s.a_id) : address(b.name, kind, s.b_id);
        Diagnostic d = warning(code::stale_link,
                               "link " + address(a.name, kind, s.a_id) + " <-> " + address(b.name, kind, s.b_id) +
                                   " is stale: " + missing + " does not exist; it is ignored",
                               {s.said_by->links_file, s.entry->mark.line, s.entry->mark.column, s.said_by->name},
                               address(s.said_by->name, kind, s.entry->local_id));
        // `ferry unlink` takes only addresses that can name a file of a tree.
        d.hint = is_valid_id(s.a_id) && is_valid_id(s.b_id)
                     ? "ferry unlink " + address(a.name, kind, s.a_id) + " " + address(b.name, kind, s.b_id)
                     : "remove the entry from links.yaml in " + s.said_by->name + ": it names no possible resource";
        out.add(std::move(d));
    }

    LinkSet live;
    live.a = a.name;
    live.b = b.name;
    for (const Statement* s : live_statements) {
        Kind kind = s->entry->kind;
        if (live.add(kind, s->a_id, s->b_id)) continue;
        const std::string* other_b = live.in_b(kind, s->a_id);
        const std::string* other_a = live.in_a(kind, s->b_id);
        std::string message =
            address(a.name, kind, s->a_id) + " <-> " + address(b.name, kind, s->b_id) + " contradicts ";
        message += other_b ? address(a.name, kind, s->a_id) + " <-> " + address(b.name, kind, *other_b)
                           : address(a.name, kind, *other_a) + " <-> " + address(b.name, kind, s->b_id);
        message += ": links must agree and be one-to-one";
        Diagnostic d = error(code::link_conflict, std::move(message),
                             {s->said_by->links_file, s->entry->mark.line, s->entry->mark.column, s->said_by->name},
                             address(s->said_by->name, kind, s->entry->local_id));
        d.hint = "fix links.yaml in " + s->said_by->name + " (or `ferry unlink` one side)";
        out.add(std::move(d));
    }
    return live;
}

}  // namespace ferry
