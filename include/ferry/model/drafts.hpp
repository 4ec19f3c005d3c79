// SPEC 2.6: what a draft's `draft` block says of it.
#pragma once

#include <string>

#include "ferry/yaml/yaml.hpp"

namespace ferry {

struct DraftBlock {
    std::string author;             // empty when the block names none
    std::string approval = "none";  // none | requested
    std::string origin;             // WORKSPACE@COMMIT, when a deployment wrote it
};

// The block of a draft's document `root`; what it lacks, or holds in
// another shape than draft.schema.json's (a load error says so), keeps
// its default.
DraftBlock draft_block(yaml::Node root);

}  // namespace ferry
