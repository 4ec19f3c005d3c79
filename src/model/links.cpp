#include "ferry/links.hpp"

#include <algorithm>
#include <tuple>

namespace ferry {

namespace {
std::size_t slot(Kind kind) {
    return static_cast<std::size_t>(kind);
}

const std::string* lookup(const std::unordered_map<std::string, std::string>& map, const std::string& key) {
    auto it = map.find(key);
    return it == map.end() ? nullptr : &it->second;
}
}  // namespace

const std::string* LinkSet::in_b(Kind kind, const std::string& a_id) const {
    return lookup(a_to_b_[slot(kind)], a_id);
}
const std::string* LinkSet::in_a(Kind kind, const std::string& b_id) const {
    return lookup(b_to_a_[slot(kind)], b_id);
}

bool LinkSet::add(Kind kind, const std::string& a_id, const std::string& b_id) {
    auto& forward = a_to_b_[slot(kind)];
    auto& backward = b_to_a_[slot(kind)];
    auto f = forward.find(a_id);
    auto r = backward.find(b_id);
    if (f != forward.end() || r != backward.end()) {
        // The same link said twice (once by each side) is agreement.
        return f != forward.end() && r != backward.end() && f->second == b_id && r->second == a_id;
    }
    forward.emplace(a_id, b_id);
    backward.emplace(b_id, a_id);
    return true;
}

std::vector<Link> LinkSet::all() const {
    std::vector<Link> out;
    for (Kind kind : kAllKinds) {
        for (const auto& [a_id, b_id] : a_to_b_[slot(kind)])
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

    LinkSet staged;
    staged.a = a.name;
    staged.b = b.name;
    std::vector<const Statement*> accepted;
    for (const Statement& s : statements) {
        const std::string* known = staged.in_b(s.entry->kind, s.a_id);
        bool said_before = known && *known == s.b_id;
        if (staged.add(s.entry->kind, s.a_id, s.b_id)) {
            if (!said_before) accepted.push_back(&s);
            continue;
        }
        const std::string* other_b = staged.in_b(s.entry->kind, s.a_id);
        const std::string* other_a = staged.in_a(s.entry->kind, s.b_id);
        std::string message =
            address(a.name, s.entry->kind, s.a_id) + " <-> " + address(b.name, s.entry->kind, s.b_id) + " contradicts ";
        message += other_b
                       ? address(a.name, s.entry->kind, s.a_id) + " <-> " + address(b.name, s.entry->kind, *other_b)
                       : address(a.name, s.entry->kind, *other_a) + " <-> " + address(b.name, s.entry->kind, s.b_id);
        message += ": links must agree and be one-to-one";
        Diagnostic d = error(code::link_conflict, std::move(message),
                             {s.said_by->links_file, s.entry->mark.line, s.entry->mark.column},
                             address(s.said_by->name, s.entry->kind, s.entry->local_id));
        d.hint = "fix links.yaml in " + s.said_by->name + " (or `ferry unlink` one side)";
        out.add(std::move(d));
    }

    // A stale link is reported once, by the first file that states it.
    LinkSet live;
    live.a = a.name;
    live.b = b.name;
    for (const Statement* s : accepted) {
        Kind kind = s->entry->kind;
        bool a_exists = a.exists(kind, s->a_id);
        bool b_exists = b.exists(kind, s->b_id);
        if (a_exists && b_exists) {
            live.add(kind, s->a_id, s->b_id);
            continue;
        }
        std::string missing = !a_exists ? address(a.name, kind, s->a_id) : address(b.name, kind, s->b_id);
        Diagnostic d = warning(code::stale_link,
                               "link " + address(a.name, kind, s->a_id) + " <-> " + address(b.name, kind, s->b_id) +
                                   " is stale: " + missing + " does not exist; it is ignored",
                               {s->said_by->links_file, s->entry->mark.line, s->entry->mark.column},
                               address(s->said_by->name, kind, s->entry->local_id));
        d.hint = "ferry unlink " + address(a.name, kind, s->a_id) + " " + address(b.name, kind, s->b_id);
        out.add(std::move(d));
    }
    return live;
}

}  // namespace ferry
