#include "ferry/model/permissions.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace ferry {

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::ranges::transform(out, out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

namespace {
const Grant* grant_of(const Workspace& ws, std::string_view actor) {
    if (auto it = ws.members.find(lowercase(actor)); it != ws.members.end()) return &it->second;
    if (auto it = ws.members.find("*"); it != ws.members.end()) return &it->second;
    return nullptr;
}
}  // namespace

Level level_of(const Workspace& ws, std::string_view actor, Kind kind) {
    const Grant* g = actor.empty() ? nullptr : grant_of(ws, actor);
    return g ? g->levels[static_cast<std::size_t>(kind)] : Level::none;
}

bool is_admin(const Workspace& ws, std::string_view actor) {
    const Grant* g = actor.empty() ? nullptr : grant_of(ws, actor);
    return g && g->admin;
}

std::string_view level_name(Level level) {
    static constexpr std::array<std::string_view, 4> names = {"none", "view", "draft", "edit"};
    return names[static_cast<std::size_t>(level)];
}

}  // namespace ferry
