// Selection patterns (SPEC 3.2): KIND/ID globs, as --select and --exclude take them.
#include <fnmatch.h>

#include "ferry/plan/plan.hpp"

namespace ferry {

std::optional<Pattern> parse_pattern(std::string_view text) {
    auto slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto kind = parse_kind(text.substr(0, slash));
    std::string_view id = text.substr(slash + 1);
    if (!kind || id.empty() || id.size() > 64) return std::nullopt;
    bool glob = false;
    for (char c : id) {
        if (c == '*' || c == '?') {
            glob = true;
        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            return std::nullopt;
        }
    }
    if (!glob && !is_valid_id(id)) return std::nullopt;
    return Pattern{*kind, std::string(id), glob};
}

bool Pattern::matches(Kind k, std::string_view resource_id) const {
    if (k != kind) return false;
    // Ids and patterns hold no NUL: a pattern's id is checked when parsed,
    // a resource's comes from a file name that passed is_valid_id.
    return is_glob ? fnmatch(id.c_str(), std::string(resource_id).c_str(), 0) == 0 : id == resource_id;
}

std::string Pattern::str() const {
    return std::string(kind_name(kind)) + "/" + id;
}

}  // namespace ferry
