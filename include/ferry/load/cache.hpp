// SPEC 4: what ferry derived from git objects, kept between runs.
//
// One file per workspace folder of a repository, under
// <gitdir>/ferry/cache/, holds what a load derived from every blob that
// loaded cleanly (no diagnostic), keyed by its path and object id: for a
// resource, its facts (facts.hpp); for workspace.yaml and links.yaml, that
// their checks passed. A resource that has not changed is never read,
// parsed or checked again. Files with problems are
// not kept, so their diagnostics always come from a fresh load. The file is
// replaced whole (written aside, then renamed), so readers never see half of
// one; a missing, truncated, corrupted or foreign file reads as empty; and
// deleting it at any time only costs time.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ferry/model/facts.hpp"

namespace ferry {

class ParseCache {
public:
    // The cache of workspace folder `root` in the repository whose git
    // directory is `git_dir`; nullptr when FERRY_NO_CACHE=1. `checks` says
    // what else the checks depend on (the organization's connector schemas):
    // a file written for other checks reads as empty.
    static std::unique_ptr<ParseCache> open(const std::filesystem::path& git_dir, std::string_view root,
                                            std::string_view checks = {});
    // FERRY_NO_CACHE=1: nothing under <gitdir>/ferry/cache/ is read or
    // written (this cache, nor the plan memos beside it).
    static bool disabled();

    // What was kept for this blob at this path, if anything, with the
    // blob's size. Safe to call from several threads.
    struct Found {
        std::optional<ResourceFacts> facts;  // none for workspace.yaml, links.yaml
        std::size_t blob_size;
    };
    std::optional<Found> find(std::string_view path, std::string_view blob_id) const;

    struct Entry {
        std::string_view path;
        std::string_view blob_id;
        std::size_t blob_size;
        const ResourceFacts* facts;  // nullptr: a file checked whole, not a resource
    };
    // Replaces the file with these entries, unless it held nearly all of
    // them and little else (then parsing the few others again costs less
    // than rewriting it). Failing to write is not an error: the next run
    // loads again.
    void save(const std::vector<Entry>& entries) const;

    // How many finds were answered, for -v.
    std::size_t hits() const;

private:
    ParseCache(std::filesystem::path file, std::string key);
    void read();

    struct Slot {
        std::string_view blob_id;
        std::size_t blob_size;
        std::string_view image;  // with its padding
        std::uint32_t length;    // without
        std::uint64_t checksum;  // of the image, checked when it is found
    };
    std::filesystem::path file_;
    std::string key_;                     // what the file must have been written for
    std::shared_ptr<const void> buffer_;  // the file; slots point into it
    std::unordered_map<std::string_view, Slot> slots_;
    mutable std::atomic<std::size_t> hits_{0};
};

}  // namespace ferry
