// Links between two workspaces: the union of what each one's links.yaml says
// about the other, checked for agreement and one-to-one (SPEC 2.5).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "ferry/model/diagnostic.hpp"
#include "ferry/model/workspace.hpp"
#include "ferry/util/flat_index.hpp"

namespace ferry {

struct Link {
    Kind kind;
    std::string a_id;  // in LinkSet::a
    std::string b_id;  // in LinkSet::b
};

class LinkSet {
public:
    std::string a, b;  // workspace names

    // The counterpart in b of a's resource, or nullptr.
    const std::string* in_b(Kind kind, const std::string& a_id) const;
    const std::string* in_a(Kind kind, const std::string& b_id) const;
    // Every live link, by kind then a's id.
    std::vector<Link> all() const;

    // Records a link; false when it contradicts one already recorded.
    bool add(Kind kind, const std::string& a_id, const std::string& b_id);

private:
    // Per kind: the links in the order added, found from either side.
    struct Table {
        std::vector<std::pair<std::string, std::string>> pairs;  // a's id, b's id
        FlatIndex<std::uint32_t> by_a, by_b;
    };
    std::array<Table, 5> tables_;
};

// Resolves the links between `a` and `b`. Contradictions are `link-conflict`
// errors; links whose resource is gone are dropped with a `stale-link` warning.
LinkSet resolve_links(const Workspace& a, const Workspace& b, Diagnostics& out);

}  // namespace ferry
