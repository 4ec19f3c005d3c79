// The links resolver on arbitrary links.yaml files: dev's and prod's
// links.yaml (the sample workspaces otherwise), split at the first NUL byte.
// Never a crash; the resolved links are one-to-one; a clean file reads back
// the same after ferry rewrites it, and a link ferry adds reads back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "ferry/load/workspace_loader.hpp"
#include "ferry/model/linking.hpp"
#include "ferry/model/links.hpp"
#include "ferry/write/files.hpp"
#include "samples.hpp"

namespace {

// The sample workspace with `links` as its links.yaml, loaded afresh
// (workspaces are not copied: their resources stay where they were placed).
ferry::LoadedWorkspace load_with_links(const char* name, std::string links) {
    static const ferry::MemoryTree dev = ferry::fuzz::sample_tree("dev", false);
    static const ferry::MemoryTree prod = ferry::fuzz::sample_tree("prod", false);
    auto tree = std::make_shared<ferry::MemoryTree>(name[0] == 'd' ? dev : prod);
    tree->add("links.yaml", std::move(links));
    return ferry::load_workspace(tree, {name, "", "main", std::string(40, name[0] == 'd' ? 'd' : 'e')});
}

bool has_errors_in_links(const ferry::LoadedWorkspace& lw) {
    for (const auto& d : lw.diagnostics.items) {
        if (d.severity == ferry::Severity::error && d.location.file == lw.workspace.links_file) return true;
    }
    return false;
}

void check(bool ok) {
    if (!ok) __builtin_trap();
}

// What ferry writes back reads back as the same entries.
void check_round_trip(const char* name, const std::vector<ferry::LinkEntry>& entries) {
    ferry::LoadedWorkspace again = load_with_links(name, ferry::links_yaml(entries));
    check(!has_errors_in_links(again));
    check(ferry::same_links(again.workspace.links, entries));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    std::size_t nul = input.find('\0');
    std::string dev_links = input.substr(0, nul);
    std::string prod_links = nul == std::string::npos ? std::string() : input.substr(nul + 1);

    ferry::LoadedWorkspace dev = load_with_links("dev", dev_links);
    ferry::LoadedWorkspace prod = load_with_links("prod", prod_links);
    ferry::Diagnostics problems;
    ferry::LinkSet links = ferry::resolve_links(dev.workspace, prod.workspace, problems);
    for (const ferry::Link& l : links.all()) {
        const std::string* b = links.in_b(l.kind, l.a_id);
        const std::string* a = links.in_a(l.kind, l.b_id);
        check(b && a && *b == l.b_id && *a == l.a_id);
        check(dev.workspace.exists(l.kind, l.a_id) && prod.workspace.exists(l.kind, l.b_id));
    }

    if (!has_errors_in_links(dev)) check_round_trip("dev", dev.workspace.links);
    // `ferry link` and `reconcile --link` write a file with one more link.
    if (!has_errors_in_links(dev) && !has_errors_in_links(prod) && !problems.has_errors()) {
        for (const auto& [id, resource] : dev.workspace.of(ferry::Kind::sources)) {
            for (const ferry::Resource* candidate :
                 ferry::link_candidates(dev.workspace, prod.workspace, links, ferry::Kind::sources, id)) {
                auto entries = ferry::with_link(dev.workspace.links, ferry::Kind::sources, id, "prod", candidate->id);
                check_round_trip("dev", entries);
                // Workspaces are not copied: dev states the new links for a moment.
                std::vector<ferry::LinkEntry> before = std::exchange(dev.workspace.links, entries);
                check(ferry::states_link(dev.workspace, ferry::Kind::sources, id, "prod", candidate->id));
                dev.workspace.links = std::move(before);
                break;
            }
        }
    }
    return 0;
}
