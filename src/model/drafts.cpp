#include "ferry/model/drafts.hpp"

namespace ferry {

DraftBlock draft_block(yaml::Node root) {
    DraftBlock out;
    yaml::Node block = root && root.is_map() ? root.get("draft") : yaml::Node{};
    if (!block || !block.is_map()) return out;
    auto text = [&](std::string_view key, std::string& into) {
        if (yaml::Node value = block.get(key); value && value.is_string()) into = value.text();
    };
    text("author", out.author);
    text("approval", out.approval);
    text("origin", out.origin);
    return out;
}

}  // namespace ferry
