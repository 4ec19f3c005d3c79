// The load cache: documents come back exactly, and a damaged, truncated or
// foreign file is never trusted.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "ferry/cache.hpp"
#include "ferry/value.hpp"

using namespace ferry;
namespace fs = std::filesystem;

namespace {

yaml::Document parse(std::string_view text) {
    auto doc = yaml::parse(text);
    REQUIRE(doc);
    return std::move(*doc);
}

constexpr std::string_view kSync =
    "name: S\nmodel: m\ndestination: d\nschedule: &s { type: interval, every: 1h }\nagain: *s\n"
    "config:\n  mappings:\n    - { from: a, to: b }\n    - { from: c, to: 12 }\n";

struct TempGitDir {
    // Unique across the processes ctest runs side by side, and within one.
    fs::path path = fs::temp_directory_path() /
                    ("ferry-cache-test-" + std::to_string(::getpid()) + "-" + std::to_string(next_id()));
    static int next_id() {
        static int n = 0;
        return ++n;
    }
    TempGitDir() { fs::create_directories(path); }
    ~TempGitDir() { fs::remove_all(path); }
    fs::path cache_file() const {
        for (const auto& e : fs::directory_iterator(path / "ferry" / "cache"))
            return e.path();
        return {};
    }
};

// Saves one document for syncs/s.yaml, as a load would.
void save_one(const fs::path& git_dir, const yaml::Document& doc, std::string_view root = "") {
    auto cache = ParseCache::open(git_dir, root);
    REQUIRE(cache);
    cache->save({{"syncs/s.yaml", "0123456789abcdef0123456789abcdef01234567", kSync.size(), &doc}});
}

}  // namespace

TEST_CASE("a document's image reads back as the same document") {
    yaml::Document doc = parse(kSync);
    std::string image;
    doc.append_image(image);
    auto back = yaml::Document::from_image(image, kSync.size(), {});
    REQUIRE(back);
    CHECK(to_json(back->root()) == to_json(doc.root()));
    CHECK(back->root().key_node("config").mark().line == 6);
}

TEST_CASE("an image read in place shares its owner's bytes, and a moved-from document is empty") {
    yaml::Document doc = parse(kSync);
    std::string image;
    doc.append_image(image);
    // An owner whose bytes are 8-aligned, as the cache file's images are.
    auto owner = std::make_shared<std::vector<std::uint64_t>>((image.size() + 7) / 8);
    std::memcpy(owner->data(), image.data(), image.size());
    std::string_view in(reinterpret_cast<const char*>(owner->data()), image.size());
    auto back = yaml::Document::from_image(in, kSync.size(), {}, owner);
    REQUIRE(back);
    CHECK(back->root().get("name").text().data() >= in.data());
    CHECK(back->root().get("name").text().data() < in.data() + in.size());
    owner.reset();  // the document keeps the bytes alive
    CHECK(to_json(back->root()) == to_json(doc.root()));
    yaml::Document moved = std::move(*back);
    CHECK_FALSE(back->root());
    CHECK(back->node_count() == 0);
    CHECK(to_json(moved.root()) == to_json(doc.root()));
}

TEST_CASE("a damaged image is refused") {
    yaml::Document doc = parse(kSync);
    std::string image;
    doc.append_image(image);
    SUBCASE("truncated anywhere") {
        for (std::size_t n = 0; n < image.size(); n += 7)
            CHECK_FALSE(yaml::Document::from_image(std::string_view(image).substr(0, n), kSync.size(), {}));
    }
    SUBCASE("any byte changed is refused or still a well-formed tree") {
        // A changed byte may land in text or a line number: harmless. It
        // must never yield a tree whose indices point outside it.
        for (std::size_t i = 0; i < image.size(); ++i) {
            std::string bad = image;
            bad[i] = static_cast<char>(bad[i] ^ 0x5A);
            if (auto d = yaml::Document::from_image(bad, kSync.size(), {})) (void)to_json(d->root());
        }
    }
    SUBCASE("a boolean with no text") {
        yaml::Document flag = parse("enabled: true\n");
        std::string bad;
        flag.append_image(bad);
        std::uint32_t nodes = 0;
        std::memcpy(&nodes, bad.data() + 4, 4);
        bool changed = false;
        for (std::uint32_t i = 0; i < nodes; ++i) {
            yaml::Document::NodeData d;
            std::memcpy(&d, bad.data() + 16 + i * sizeof d, sizeof d);
            if (d.type() != yaml::Type::boolean) continue;
            d.count = 0;
            std::memcpy(bad.data() + 16 + i * sizeof d, &d, sizeof d);
            changed = true;
        }
        REQUIRE(changed);
        CHECK_FALSE(yaml::Document::from_image(bad, 14, {}));
    }
    SUBCASE("a child that is not before its parent (a cycle)") {
        std::string bad = image;
        // The last child slot names the root itself.
        std::uint32_t root = 0;
        std::memcpy(&root, bad.data(), 4);
        std::uint32_t nodes = 0, children = 0, text = 0;
        std::memcpy(&nodes, bad.data() + 4, 4);
        std::memcpy(&children, bad.data() + 8, 4);
        std::memcpy(&text, bad.data() + 12, 4);
        std::size_t last_child = 16 + nodes * sizeof(yaml::Document::NodeData) + (children - 1) * 4;
        std::memcpy(bad.data() + last_child, &root, 4);
        CHECK_FALSE(yaml::Document::from_image(bad, kSync.size(), {}));
    }
}

TEST_CASE("the cache keeps documents by path and blob id") {
    TempGitDir dir;
    yaml::Document doc = parse(kSync);
    save_one(dir.path, doc);
    auto cache = ParseCache::open(dir.path, "");
    REQUIRE(cache);
    auto found = cache->find("syncs/s.yaml", "0123456789abcdef0123456789abcdef01234567");
    REQUIRE(found);
    CHECK(to_json(found->doc.root()) == to_json(doc.root()));
    CHECK(found->blob_size == kSync.size());
    CHECK(cache->hits() == 1);
    CHECK_FALSE(cache->find("syncs/s.yaml", "1123456789abcdef0123456789abcdef01234567"));
    CHECK_FALSE(cache->find("syncs/t.yaml", "0123456789abcdef0123456789abcdef01234567"));
    // Another workspace folder of the same repository has its own file.
    CHECK_FALSE(ParseCache::open(dir.path, "prod")->find("syncs/s.yaml", "0123456789abcdef0123456789abcdef01234567"));
}

TEST_CASE("a damaged cache file reads as empty") {
    TempGitDir dir;
    yaml::Document doc = parse(kSync);
    save_one(dir.path, doc);
    const fs::path file = dir.cache_file();
    const auto size = fs::file_size(file);
    auto found = [&] {
        return ParseCache::open(dir.path, "")->find("syncs/s.yaml", "0123456789abcdef0123456789abcdef01234567");
    };
    REQUIRE(found());
    std::string good;
    {
        std::ifstream in(file, std::ios::binary);
        good.assign(std::istreambuf_iterator<char>(in), {});
    }
    auto write = [&](std::string_view bytes) {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    };
    SUBCASE("truncated") {
        for (std::uintmax_t n : {std::uintmax_t{0}, std::uintmax_t{5}, std::uintmax_t{24}, size / 2, size - 1}) {
            write(std::string_view(good).substr(0, n));
            CHECK_FALSE(found());
        }
    }
    SUBCASE("one byte changed") {
        for (std::size_t i = 0; i < good.size(); i += 3) {
            std::string bad = good;
            bad[i] = static_cast<char>(bad[i] ^ 1);
            write(bad);
            CHECK_FALSE(found());
        }
    }
    SUBCASE("garbage") {
        write("this is not a cache file\n");
        CHECK_FALSE(found());
    }
    SUBCASE("and is rebuilt by the next save") {
        write("garbage");
        save_one(dir.path, doc);
        CHECK(found());
    }
}

TEST_CASE("FERRY_NO_CACHE=1 turns the cache off") {
    TempGitDir dir;
    ::setenv("FERRY_NO_CACHE", "1", 1);
    CHECK_FALSE(ParseCache::open(dir.path, ""));
    ::unsetenv("FERRY_NO_CACHE");
    CHECK(ParseCache::open(dir.path, ""));
    CHECK_FALSE(fs::exists(dir.path / "ferry"));  // opening writes nothing
}
