// A change spanning several repositories holds all their write locks, so that
// nobody commits on one between its commit and its undo: the libgit2 side of
// the transaction's holds (transaction_test.cpp tests their order).
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "ferry/git/repository.hpp"

using namespace ferry;
namespace fs = std::filesystem;

namespace {

struct TempRepos {
    fs::path root = fs::temp_directory_path() / ("ferry-lock-test-" + std::to_string(::getpid()));
    TempRepos() {
        fs::remove_all(root);
        for (const char* name : {"dev", "prod"}) {
            std::string cmd = "git init -q -b main '" + (root / name).string() + "'";
            REQUIRE(std::system(cmd.c_str()) == 0);
        }
    }
    ~TempRepos() { fs::remove_all(root); }
    git::Repository open(const char* name) const {
        auto repo = git::Repository::open(root / name);
        REQUIRE(repo);
        return std::move(*repo);
    }
};

git::CommitRequest request(const std::string& base, const std::string& file) {
    return {"main", base, "", {{file, "x: 1\n"}}, "test", {"Test", "test@example.com"}};
}

}  // namespace

TEST_CASE("Repository::hold: this thread's writes go through, another's wait until released") {
    TempRepos repos;
    git::Repository dev = repos.open("dev");
    git::Repository prod = repos.open("prod");
    auto first = dev.commit(request("", "a.yaml"));
    REQUIRE(first);
    REQUIRE(*first);
    const std::string base = **first;

    std::atomic<bool> other_done = false;
    std::thread other;
    {
        git::WriteHold prod_hold = prod.hold();
        git::WriteHold dev_hold = dev.hold();
        git::WriteHold nested = dev.hold();  // nested, as the transaction's own commit() takes it
        auto mine = dev.commit(request(base, "b.yaml"));
        REQUIRE(mine);
        REQUIRE(*mine);

        other = std::thread([&repos, &other_done, seen = **mine] {
            git::Repository again = repos.open("dev");
            auto theirs = again.commit(request(seen, "c.yaml"));
            CHECK_FALSE(theirs);  // dev went back to base before the lock was free
            if (!theirs) CHECK(theirs.error().kind == git::WriteFailure::Kind::moved);
            other_done = true;
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        CHECK_FALSE(other_done.load());

        // The undo a failure on prod would make: dev has not moved on.
        auto undone = dev.undo(request(base, "b.yaml"), **mine);
        CHECK(undone);
    }
    other.join();
    CHECK(other_done.load());
    auto tip = dev.resolve("main", "");
    REQUIRE(tip);
    CHECK(tip->commit == base);
}

TEST_CASE("Repository::commit refuses paths git would refuse or fsck would reject") {
    TempRepos repos;
    git::Repository dev = repos.open("dev");
    for (const char* path :
         {".gitmodules/workspace.yaml", "a/.git/config", "A/.GIT/x", "x/../y", "GIT~1/x", "m/.gitattributes/z"}) {
        CAPTURE(path);
        auto made = dev.commit(request("", path));
        REQUIRE_FALSE(made);
        CHECK(made.error().kind == git::WriteFailure::Kind::other);
    }
    auto fine = dev.commit(request("", ".github/workflows/x.yaml"));
    CHECK(fine);
}

TEST_CASE("Repository::preflight: a change across repositories a killed writer left is finished before any write") {
    TempRepos repos;
    git::Repository dev = repos.open("dev");
    git::Repository prod = repos.open("prod");
    auto base_dev = dev.commit(request("", "a.yaml"));
    auto base_prod = prod.commit(request("", "a.yaml"));
    REQUIRE(base_dev);
    REQUIRE(base_prod);
    // The two halves of a link, made; only dev's branch moved, then the kill.
    auto half_dev = dev.prepare(request(**base_dev, "links.yaml"));
    auto half_prod = prod.prepare(request(**base_prod, "links.yaml"));
    REQUIRE(half_dev);
    REQUIRE(half_prod);
    const git::Intent intent{git::Intent::State::commit,
                             {{dev.lock_key(), "refs/heads/main", **base_dev, **half_dev},
                              {prod.lock_key(), "refs/heads/main", **base_prod, **half_prod}}};
    REQUIRE(dev.record_intent(intent));
    REQUIRE(prod.record_intent(intent));
    REQUIRE(dev.publish(request(**base_dev, "links.yaml"), **half_dev));

    // A write to prod that began before the kill (its recovery found
    // nothing) is refused by its checks, to be computed again...
    auto checked = prod.preflight(request(**base_prod, "other.yaml"));
    REQUIRE_FALSE(checked);
    CHECK(checked.error().kind == git::WriteFailure::Kind::moved);
    CHECK(prod.interrupted_write().has_value());
    // ...after the recovery of its next attempt, which finishes both halves.
    REQUIRE(prod.finish_interrupted_write());
    CHECK_FALSE(prod.interrupted_write().has_value());
    CHECK_FALSE(dev.interrupted_write().has_value());
    auto tip = prod.resolve("main", "");
    REQUIRE(tip);
    CHECK(tip->commit == **half_prod);
    CHECK(prod.preflight(request(**half_prod, "other.yaml")));

    // A record that cannot be read is said, never guessed at.
    {
        std::ofstream out(repos.root / "prod" / ".git" / "ferry" / "intent");
        out << "ferry-intent 1\nstate maybe\n";
    }
    auto unreadable = prod.preflight(request(**half_prod, "other.yaml"));
    REQUIRE_FALSE(unreadable);
    CHECK(unreadable.error().kind == git::WriteFailure::Kind::other);
    CHECK(unreadable.error().message.find("cannot be read") != std::string::npos);
}
