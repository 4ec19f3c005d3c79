// A resource's document, read again when it is needed.
//
// A load keeps each resource's facts and drops its document (facts.hpp says
// why). The few resources a plan changes, or a diagnostic points into, have
// their documents read again through a DocumentSource: the loader's reads
// the blob from the tree it loaded, tests hand documents over from memory.
// A document that cannot be read (an object missing from a partial clone, a
// pruned blob) is a `git` diagnostic naming the file and its object, never
// an exception.
#pragma once

#include <expected>

#include "ferry/model/diagnostic.hpp"
#include "ferry/model/workspace.hpp"
#include "ferry/yaml/yaml.hpp"

namespace ferry {

class DocumentSource {
public:
    virtual ~DocumentSource() = default;
    // The root of `r`'s document, valid as long as this source. Each
    // document is read at most once, whichever thread asks first; safe to
    // call from several threads at once.
    virtual std::expected<yaml::Node, Diagnostic> root(const Resource& r) const = 0;
};

}  // namespace ferry
