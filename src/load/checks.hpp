// The checks of SPEC 6 that one loaded workspace answers alone. Private to
// load/: the loader runs them.
#pragma once

#include "ferry/model/diagnostic.hpp"
#include "ferry/model/documents.hpp"
#include "ferry/model/workspace.hpp"

namespace ferry {

// The checks made on a loaded workspace alone: references, secrets, grants.
// Documents are read again only to say where a problem is.
void check_workspace(const Workspace& ws, const DocumentSource& documents, Diagnostics& out);
// SPEC 2.4: whether a resource's document writes a secret out, by its key
// (sources, destinations) or its value (any kind); check_workspace says where.
bool has_plaintext_secret(Kind kind, yaml::Node root);

}  // namespace ferry
