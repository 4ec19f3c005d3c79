#include "ferry/model/linking.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include "ferry/model/permissions.hpp"

namespace ferry {

Diagnostics check_link(const Workspace& a, const Workspace& b, const LinkSet& links, const LinkRequest& request,
                       std::string_view actor) {
    Diagnostics out;
    const Kind kind = request.kind;
    const std::string a_addr = address(a.name, kind, request.a_id);
    const std::string b_addr = address(b.name, kind, request.b_id);

    if (kind != Kind::sources && kind != Kind::destinations) {
        Diagnostic d = error(code::link_kind_not_allowed, "", {}, a_addr);
        if (kind == Kind::audiences) {
            d.message = "audiences cannot be linked";
            d.hint = "audiences stay in their workspace; link the sources and destinations their models use";
        } else {
            d.message = std::string(kind_name(kind)) + " are linked by deploying them, not with `ferry link`";
            d.hint = "ferry reconcile --from " + a.name + " --to " + b.name + " --select " +
                     std::string(kind_name(kind)) + "/" + request.a_id;
        }
        out.add(std::move(d));
        return out;
    }

    const Resource* ra = a.find(kind, request.a_id);
    const Resource* rb = b.find(kind, request.b_id);
    for (auto [found, addr, ws, other] : {std::tuple{ra, a_addr, &a, &b}, std::tuple{rb, b_addr, &b, &a}}) {
        if (found) continue;
        Diagnostic d = error(code::unknown_resource, addr + " does not exist", {}, addr);
        d.hint = "ferry links " + ws->name + " lists what is linked; `ferry link " +
                 (ws == &a ? b_addr + " " + a.name : a_addr + " " + b.name) + "` lists what may be";
        out.add(std::move(d));
    }
    if (ra && rb && ra->field("type") != rb->field("type")) {
        Diagnostic d =
            error(code::type_mismatch,
                  a_addr + " is of type '" + std::string(ra->field("type")) + "' but " + b_addr + " is of type '" +
                      std::string(rb->field("type")) + "'; only resources of the same type can be linked",
                  {}, a_addr);
        d.hint = "ferry link " + a_addr + " " + b.name + " lists the " + std::string(ra->field("type")) +
                 " resources it may be linked to";
        out.add(std::move(d));
    }
    if (a.organization != b.organization) {
        Diagnostic d = error(
            code::different_organization,
            a.name + " belongs to organization '" + a.organization + "' and " + b.name + " to '" + b.organization + "'",
            {}, a_addr);
        d.hint = "only workspaces of one organization can be linked: check `organization:` in both workspace.yaml";
        out.add(std::move(d));
    }
    for (const Workspace* ws : {&a, &b}) {
        Level level = level_of(*ws, actor, kind);
        if (level == Level::edit) continue;
        Diagnostic d = error(code::permission_denied,
                             std::string(actor) + " needs edit on " + std::string(kind_name(kind)) + " in " + ws->name +
                                 " to link, and has " + std::string(level_name(level)),
                             {}, ws == &a ? a_addr : b_addr);
        d.hint = "ask an admin of " + ws->name + " for the editor role (or `" + std::string(kind_name(kind)) +
                 ": edit`), or pass --actor";
        out.add(std::move(d));
    }
    if (const std::string* other = links.in_b(kind, request.a_id); other && *other != request.b_id) {
        Diagnostic d =
            error(code::already_linked, a_addr + " is already linked to " + address(b.name, kind, *other), {}, a_addr);
        d.hint = "ferry unlink " + a_addr + " " + address(b.name, kind, *other);
        out.add(std::move(d));
    }
    if (const std::string* other = links.in_a(kind, request.b_id); other && *other != request.a_id) {
        Diagnostic d =
            error(code::already_linked, b_addr + " is already linked to " + address(a.name, kind, *other), {}, b_addr);
        d.hint = "ferry unlink " + address(a.name, kind, *other) + " " + b_addr;
        out.add(std::move(d));
    }
    return out;
}

std::vector<const Resource*> link_candidates(const Workspace& a, const Workspace& b, const LinkSet& links, Kind kind,
                                             std::string_view a_id) {
    std::vector<const Resource*> out;
    const Resource* ra = a.find(kind, a_id);
    if (!ra || links.in_b(kind, std::string(a_id))) return out;
    for (const auto& [id, r] : b.of(kind)) {
        if (r.field("type") == ra->field("type") && !links.in_a(kind, id)) out.push_back(&r);
    }
    return out;
}

std::vector<LinkEntry> with_links(const std::vector<LinkEntry>& links, std::string_view other_workspace,
                                  const std::vector<NewLink>& added) {
    std::set<std::pair<Kind, std::string_view>> locals, others;
    for (const NewLink& l : added) {
        locals.emplace(l.kind, l.local_id);
        others.emplace(l.kind, l.other_id);
    }
    std::vector<LinkEntry> out;
    out.reserve(links.size() + added.size());
    for (const LinkEntry& e : links) {
        bool replaced = e.other_workspace == other_workspace &&
                        (locals.contains({e.kind, e.local_id}) || others.contains({e.kind, e.other_id}));
        if (!replaced) out.push_back(e);
    }
    for (const NewLink& l : added)
        out.push_back({l.kind, std::string(l.local_id), std::string(other_workspace), std::string(l.other_id), {}});
    return out;
}

std::vector<LinkEntry> with_link(const std::vector<LinkEntry>& links, Kind kind, std::string_view local_id,
                                 std::string_view other_workspace, std::string_view other_id) {
    return with_links(links, other_workspace, {{kind, local_id, other_id}});
}

std::vector<LinkEntry> without_link(const Workspace& ws, Kind kind, std::string_view local_id,
                                    std::string_view other_workspace, std::string_view other_id) {
    std::vector<LinkEntry> out;
    for (const LinkEntry& e : ws.links) {
        if (e.kind == kind && e.local_id == local_id && e.other_workspace == other_workspace &&
            e.other_id == other_id) {
            continue;
        }
        out.push_back(e);
    }
    return out;
}

bool states_link(const Workspace& ws, Kind kind, std::string_view local_id, std::string_view other_workspace,
                 std::string_view other_id) {
    return std::ranges::any_of(ws.links, [&](const LinkEntry& e) {
        return e.kind == kind && e.local_id == local_id && e.other_workspace == other_workspace &&
               e.other_id == other_id;
    });
}

bool same_links(std::vector<LinkEntry> x, std::vector<LinkEntry> y) {
    auto key = [](const LinkEntry& e) { return std::tie(e.kind, e.local_id, e.other_workspace, e.other_id); };
    auto less = [&](const LinkEntry& p, const LinkEntry& q) { return key(p) < key(q); };
    std::ranges::sort(x, less);
    std::ranges::sort(y, less);
    return std::ranges::equal(x, y, [&](const LinkEntry& p, const LinkEntry& q) { return key(p) == key(q); });
}

}  // namespace ferry
