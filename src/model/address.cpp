#include <algorithm>

#include "ferry/model/workspace.hpp"

namespace ferry {

std::string_view kind_name(Kind kind) {
    static constexpr std::array<std::string_view, 5> names = {"sources", "destinations", "models", "syncs",
                                                              "audiences"};
    return names[static_cast<std::size_t>(kind)];
}

std::optional<Kind> parse_kind(std::string_view name) {
    for (Kind k : kAllKinds) {
        if (kind_name(k) == name) return k;
    }
    return std::nullopt;
}

bool is_valid_id(std::string_view id) {
    if (id.empty() || id.size() > 64) return false;
    auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!lower_or_digit(id[0])) return false;
    return std::ranges::all_of(id.substr(1), [&](char c) { return lower_or_digit(c) || c == '_' || c == '-'; });
}

std::string address(std::string_view workspace, Kind kind, std::string_view id) {
    std::string out;
    out.reserve(workspace.size() + id.size() + 16);
    out.append(workspace).append(":").append(kind_name(kind)).append("/").append(id);
    return out;
}

std::string Address::str() const {
    return address(workspace, kind, id);
}

// WORKSPACE[@REF]:KIND/ID. A ref may itself hold ':' only where git allows
// it, which is nowhere, so the first ':' after the workspace ends the ref.
std::optional<Address> parse_address(std::string_view text) {
    auto colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view workspace = text.substr(0, colon);
    std::string_view rest = text.substr(colon + 1);
    Address a;
    if (auto at = workspace.find('@'); at != std::string_view::npos) {
        a.ref = workspace.substr(at + 1);
        workspace = workspace.substr(0, at);
        if (a.ref.empty()) return std::nullopt;
    }
    auto slash = rest.find('/');
    if (workspace.empty() || slash == std::string_view::npos) return std::nullopt;
    auto kind = parse_kind(rest.substr(0, slash));
    if (!kind) return std::nullopt;
    a.workspace = workspace;
    a.kind = *kind;
    a.id = rest.substr(slash + 1);
    // An id that could never name a file of the tree (`..`, `a/b`) is no address.
    if (!is_valid_id(a.id) || !is_valid_id(a.workspace)) return std::nullopt;
    return a;
}

}  // namespace ferry
