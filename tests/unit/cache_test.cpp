// The load cache: facts come back exactly, and a damaged, truncated or
// foreign file is never trusted.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "ferry/load/cache.hpp"

using namespace ferry;
namespace fs = std::filesystem;

namespace {

ResourceFacts facts_of_text(std::string_view text) {
    auto doc = yaml::parse(text);
    REQUIRE(doc);
    return facts_of(doc->root(), false);
}

constexpr std::string_view kSync =
    "name: S\nmodel: m\ndestination: d\nschedule: &s { type: interval, every: 1h }\nagain: *s\n"
    "alerts: [oncall, 3, pager]\nconfig:\n  mappings:\n    - { from: a, to: b }\n    - { from: c, to: 12 }\n";
constexpr std::string_view kBlob = "0123456789abcdef0123456789abcdef01234567";

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

// Saves the facts of syncs/s.yaml and that workspace.yaml was checked, as a load would.
void save_one(const fs::path& git_dir, const ResourceFacts& facts, std::string_view root = "") {
    auto cache = ParseCache::open(git_dir, root);
    REQUIRE(cache);
    cache->save({{"syncs/s.yaml", kBlob, kSync.size(), &facts}, {"workspace.yaml", kBlob, 10, nullptr}});
}

void check_same(const ResourceFacts& a, const ResourceFacts& b) {
    CHECK(a.is_map == b.is_map);
    CHECK(a.type == b.type);
    CHECK(a.source == b.source);
    CHECK(a.model == b.model);
    CHECK(a.destination == b.destination);
    CHECK(a.schedule_type == b.schedule_type);
    CHECK(a.schedule_is_map == b.schedule_is_map);
    CHECK(a.alerts == b.alerts);
    CHECK(a.plaintext_secret == b.plaintext_secret);
    CHECK(a.fingerprint.exact == b.fingerprint.exact);
    CHECK(a.fingerprint.present == b.fingerprint.present);
    CHECK(a.fingerprint.rest == b.fingerprint.rest);
    CHECK(a.fingerprint.owned == b.fingerprint.owned);
}

}  // namespace

TEST_CASE("the cache keeps facts by path and blob id") {
    TempGitDir dir;
    ResourceFacts facts = facts_of_text(kSync);
    CHECK(facts.model == "m");
    CHECK(facts.schedule_type == "interval");
    CHECK(facts.alerts == std::vector<std::string>{"oncall", "pager"});
    save_one(dir.path, facts);
    auto cache = ParseCache::open(dir.path, "");
    REQUIRE(cache);
    auto found = cache->find("syncs/s.yaml", kBlob);
    REQUIRE(found);
    REQUIRE(found->facts);
    check_same(*found->facts, facts);
    CHECK(found->blob_size == kSync.size());
    // A file checked whole is kept without facts.
    auto workspace = cache->find("workspace.yaml", kBlob);
    REQUIRE(workspace);
    CHECK_FALSE(workspace->facts);
    CHECK(cache->hits() == 2);
    CHECK_FALSE(cache->find("syncs/s.yaml", "1123456789abcdef0123456789abcdef01234567"));
    CHECK_FALSE(cache->find("syncs/t.yaml", kBlob));
    // Another workspace folder of the same repository has its own file.
    CHECK_FALSE(ParseCache::open(dir.path, "prod")->find("syncs/s.yaml", kBlob));
}

TEST_CASE("a damaged cache file reads as empty") {
    TempGitDir dir;
    ResourceFacts facts = facts_of_text(kSync);
    save_one(dir.path, facts);
    const fs::path file = dir.cache_file();
    const auto size = fs::file_size(file);
    auto found = [&] { return ParseCache::open(dir.path, "")->find("syncs/s.yaml", kBlob); };
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
        for (std::size_t i = 0; i < good.size(); ++i) {
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
        save_one(dir.path, facts);
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
