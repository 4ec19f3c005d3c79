// YAML trees -> the workspace model, with every input check of SPEC 6 that
// one workspace can answer alone.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "ferry/load/cache.hpp"
#include "ferry/model/diagnostic.hpp"
#include "ferry/model/documents.hpp"
#include "ferry/model/tree.hpp"
#include "ferry/model/workspace.hpp"
#include "ferry/schema/connectors.hpp"
#include "ferry/schema/schema.hpp"

namespace ferry {

struct TreeLimits {
    std::uint64_t resource_bytes = 1 << 20;  // a resource, workspace.yaml: 1 MiB
    // links.yaml grows with the organization: about 70 bytes a link, and
    // 100,000 links must fit.
    std::uint64_t links_bytes = 64u << 20;
};

struct WorkspaceOrigin {
    std::string name;  // in ferry.yaml
    std::string root;  // folder inside the repository; "" for the root
    std::string ref;
    std::string commit;
};

struct LoadedWorkspace {
    Workspace workspace;
    Diagnostics diagnostics;
    // The resources' documents, read again from the tree on demand.
    std::shared_ptr<const DocumentSource> documents;
    // SPEC 6: when the work tree has the commit read checked out and differs
    // from it under the workspace, what a note says of that; else empty.
    std::string worktree_note;
};

// With a cache, blobs it holds are not read again, and the cache is
// updated with what this load found (see cache.hpp). `files_done`, when
// given, counts the files loaded so far, for a progress display. The
// loaded workspace's `documents` keep the tree, to read blobs again.
LoadedWorkspace load_workspace(std::shared_ptr<const TreeSource> tree, WorkspaceOrigin origin,
                               const TreeLimits& limits = {}, const SchemaSet& schemas = SchemaSet::builtin(),
                               const ConnectorSchemas& connectors = ConnectorSchemas::builtin(),
                               const ParseCache* cache = nullptr, std::atomic<std::size_t>* files_done = nullptr);

// SPEC 2.7, `validate --strict`: an `unknown-connector-type` warning per
// type of source or destination that has no connector schema (its config is
// free-form), naming where it is used.
void check_connector_types(const LoadedWorkspace& loaded, const ConnectorSchemas& connectors, Diagnostics& out);

}  // namespace ferry
