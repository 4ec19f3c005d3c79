// The sample workspaces (samples/workspaces/NAME) as in-memory trees, read
// once from disk, for fuzz targets that need a realistic organization.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "ferry/model/tree.hpp"

namespace ferry::fuzz {

// One file of the sample workspace.
inline std::string sample_file(const std::string& name, const std::string& path) {
    std::ifstream in(std::filesystem::path(FERRY_SAMPLES_DIR) / name / path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Every file of the sample workspace, `links.yaml` left out when `with_links` is false.
inline MemoryTree sample_tree(const std::string& name, bool with_links = true) {
    namespace fs = std::filesystem;
    fs::path root = fs::path(FERRY_SAMPLES_DIR) / name;
    MemoryTree tree;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        if (!entry.is_regular_file()) continue;
        std::string path = fs::relative(entry.path(), root).generic_string();
        if (!with_links && path == "links.yaml") continue;
        std::ifstream in(entry.path(), std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        tree.add(path, text.str());
    }
    return tree;
}

}  // namespace ferry::fuzz
