// The checks of SPEC 6 that one loaded workspace answers alone. Private to
// load/: the loader runs them.
#pragma once

#include "ferry/model/diagnostic.hpp"
#include "ferry/model/documents.hpp"
#include "ferry/model/workspace.hpp"
#include "ferry/schema/connectors.hpp"

namespace ferry {

// The checks made on a loaded workspace alone: references, secrets, grants.
// Documents are read again only to say where a problem is.
void check_workspace(const Workspace& ws, const DocumentSource& documents, Diagnostics& out);
// SPEC 2.4: whether a resource's document writes a secret out, by its key
// (sources, destinations) or its value (any kind); check_workspace says where.
bool has_plaintext_secret(Kind kind, yaml::Node root);

// SPEC 2.7: a resource's `config` against its connector's schema: a
// source's or destination's by its own type, a sync's by its destination's
// (`facts.connector_type`). A secret written out under a secret's key is
// plaintext-secret's to report, not the schema's.
void check_connector_config(const ConnectorSchemas& connectors, Kind kind, const ResourceFacts& facts, yaml::Node root,
                            const std::string& file, const std::string& address, Diagnostics& out);

}  // namespace ferry
