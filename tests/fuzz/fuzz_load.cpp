// A whole workspace load (schema checks, references, secrets) with one file
// of arbitrary bytes, placed as the first byte chooses.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ferry/load/workspace_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static const char* places[] = {"workspace.yaml", "links.yaml",   "sources/x.yaml",   "destinations/x.yaml",
                                   "models/x.yaml",  "syncs/x.yaml", "audiences/x.yaml", "drafts/models/x.yaml"};
    std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    ferry::MemoryTree tree;
    tree.add("workspace.yaml", "organization: acme\nmembers: { a@b.c: admin }\n");
    tree.add("sources/wh.yaml", "name: W\ntype: pg\n");
    tree.add(places[data[0] % 8], std::move(text));
    auto loaded =
        ferry::load_workspace(std::make_shared<ferry::MemoryTree>(tree), {"dev", "", "main", std::string(40, '0')});
    return 0;
}
