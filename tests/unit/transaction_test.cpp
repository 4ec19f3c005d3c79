// The one write transaction against an in-memory fake of a repository:
// retries, undo, lock order, recovery and push, with no disk and no git.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include "ferry/write/transaction.hpp"

using namespace ferry;
using Kind = git::WriteFailure::Kind;

namespace {

// What every fake did, in order, across all of them.
using Log = std::vector<std::string>;

// A repository in memory: branches as lists of commits (tip last), and
// switches that make it fail the way a real one can.
class FakeTarget : public git::CommitTarget {
public:
    FakeTarget(std::string key, Log& log) : key_(std::move(key)), log_(log) { branches["main"] = {key_ + "-base"}; }

    std::map<std::string, std::vector<std::string>> branches;
    std::vector<git::CommitRequest> commits;  // the requests committed
    int moved_by_others = 0;                  // commits that find the branch moved by another writer
    int moved_before_check = 0;               // checks that find the branch moved by another writer
    std::optional<Kind> fail_preflight, fail_commit, fail_push;
    bool undo_refused = false;  // a git client moved the branch on after ferry's commit
    bool pending = false;       // a write killed half-way left something to finish
    bool writes_through = false;
    std::optional<git::Intent> intent;  // the record of a change across repositories, while kept

    std::string tip(const std::string& branch = "main") const {
        auto it = branches.find(branch);
        return it == branches.end() || it->second.empty() ? "" : it->second.back();
    }

    std::string lock_key() const override { return key_; }
    git::WriteHold hold() const override {
        log_.push_back("hold " + key_);
        return git::WriteHold(std::make_unique<Release>(log_, key_));
    }
    std::expected<void, git::WriteFailure> preflight(const git::CommitRequest& r) const override {
        log_.push_back("preflight " + key_);
        if (moved_before_check > 0) {
            auto& self = const_cast<FakeTarget&>(*this);
            --self.moved_before_check;
            self.branches[r.branch].push_back(key_ + "-other-" + std::to_string(++self.counter_));
        }
        if (fail_preflight) return std::unexpected(git::WriteFailure{*fail_preflight, "preflight refused"});
        if (tip(r.branch) != r.base_commit) return std::unexpected(git::WriteFailure{Kind::moved, "moved"});
        return {};
    }
    std::expected<std::optional<std::string>, git::WriteFailure> prepare(const git::CommitRequest&) const override {
        auto& self = const_cast<FakeTarget&>(*this);
        return key_ + "-" + std::to_string(++self.prepared_);
    }
    std::expected<void, git::WriteFailure> publish(const git::CommitRequest& r, const std::string& id) const override {
        auto& self = const_cast<FakeTarget&>(*this);
        log_.push_back("commit " + key_);
        if (moved_by_others > 0) {
            --self.moved_by_others;
            self.branches[r.branch].push_back(key_ + "-other-" + std::to_string(++self.counter_));
            return std::unexpected(git::WriteFailure{Kind::moved, "branch 'main' moved while ferry was writing"});
        }
        if (fail_commit) return std::unexpected(git::WriteFailure{*fail_commit, "commit refused"});
        if (tip(r.branch) != r.base_commit) return std::unexpected(git::WriteFailure{Kind::moved, "moved"});
        self.branches[r.new_branch.empty() ? r.branch : r.new_branch].push_back(id);
        self.commits.push_back(r);
        return {};
    }
    std::expected<void, git::WriteFailure> undo(const git::CommitRequest& r, const std::string& commit) const override {
        auto& self = const_cast<FakeTarget&>(*this);
        log_.push_back("undo " + key_);
        if (undo_refused) return std::unexpected(git::WriteFailure{Kind::moved, "moved on; left as it is"});
        auto& list = self.branches[r.new_branch.empty() ? r.branch : r.new_branch];
        if (list.empty() || list.back() != commit) return std::unexpected(git::WriteFailure{Kind::moved, "moved on"});
        list.pop_back();
        return {};
    }
    std::expected<void, git::WriteFailure> finish_interrupted_write() const override {
        log_.push_back("finish " + key_);
        const_cast<FakeTarget&>(*this).pending = false;
        return {};
    }
    std::expected<void, git::WriteFailure> record_intent(const git::Intent& i) const override {
        log_.push_back(std::string("intent ") + (i.state == git::Intent::State::commit ? "commit " : "undo ") + key_ +
                       " " + std::to_string(i.parts.size()));
        const_cast<FakeTarget&>(*this).intent = i;
        return {};
    }
    void clear_intent() const override {
        log_.push_back("clear " + key_);
        const_cast<FakeTarget&>(*this).intent.reset();
    }
    std::expected<void, git::WriteFailure> push(const std::string& branch) const override {
        log_.push_back("push " + key_ + " " + branch);
        if (fail_push) return std::unexpected(git::WriteFailure{*fail_push, "push refused"});
        return {};
    }
    bool remote() const override { return writes_through; }
    std::optional<std::string> config(const char*) const override { return std::nullopt; }

private:
    struct Release : git::WriteHold::Lock {
        Release(Log& log, std::string key) : log_(log), key_(std::move(key)) {}
        ~Release() override { log_.push_back("release " + key_); }
        Log& log_;
        std::string key_;
    };
    std::string key_;
    Log& log_;
    int counter_ = 0;
    int prepared_ = 0;
};

// A write of one file to `target`'s main, computed from its tip now, as a
// command computes from freshly read workspaces.
Write write_to(FakeTarget& target, const std::string& workspace, const std::string& file = "x.yaml") {
    return {workspace, &target, "main", target.tip(), {{file, "x: 1\n"}}, "Change " + workspace, "dev@abc"};
}

TransactionOptions options(TransactionOptions::OnMoved on_moved = TransactionOptions::OnMoved::compute_again) {
    TransactionOptions o;
    o.actor = "alice@acme.com";
    o.on_moved = on_moved;
    o.stale_hint = "plan again";
    o.back_off = [](int) {};
    return o;
}

bool logged(const Log& log, const std::string& event) {
    return std::ranges::find(log, event) != log.end();
}

std::ptrdiff_t position(const Log& log, const std::string& event) {
    return std::ranges::find(log, event) - log.begin();
}

}  // namespace

TEST_CASE("transaction: a commit carries the trailers and the actor as author") {
    Log log;
    FakeTarget prod("/repos/prod", log);
    auto written = run_transaction({&prod}, options(), [&](int) {
        return std::expected<std::vector<Write>, Diagnostics>(std::vector<Write>{write_to(prod, "prod")});
    });
    REQUIRE(written);
    REQUIRE(written->written.size() == 1);
    CHECK(written->written[0].workspace == "prod");
    CHECK(written->written[0].branch == "main");
    CHECK(written->written[0].commit == prod.tip());
    REQUIRE(prod.commits.size() == 1);
    CHECK(prod.commits[0].message == "Change prod\n\nFerry-From: dev@abc\nFerry-Actor: alice@acme.com\n");
    CHECK(prod.commits[0].author.name == "alice");
    CHECK(prod.commits[0].author.email == "alice@acme.com");
    CHECK(prod.commits[0].base_commit == "/repos/prod-base");
}

TEST_CASE("transaction: a branch another writer moved is read and computed again, and written on its new tip") {
    Log log;
    FakeTarget prod("/repos/prod", log);
    prod.moved_by_others = 2;
    int computed = 0;
    auto written = run_transaction({&prod}, options(), [&](int attempt) {
        CHECK(attempt == ++computed);
        return std::expected<std::vector<Write>, Diagnostics>(std::vector<Write>{write_to(prod, "prod")});
    });
    REQUIRE(written);
    CHECK(computed == 3);
    // The write went on top of both other writers' commits.
    CHECK(prod.branches["main"].size() == 4);
    CHECK(prod.commits.back().base_commit == "/repos/prod-other-2");
}

TEST_CASE("transaction: a branch that keeps moving is refused as stale-plan after the last attempt") {
    Log log;
    FakeTarget prod("/repos/prod", log);
    prod.moved_by_others = 1000;
    int computed = 0;
    auto written = run_transaction({&prod}, options(), [&](int) {
        ++computed;
        return std::expected<std::vector<Write>, Diagnostics>(std::vector<Write>{write_to(prod, "prod")});
    });
    REQUIRE_FALSE(written);
    CHECK(computed == kWriteAttempts);
    REQUIRE(written.error().items.size() == 1);
    CHECK(written.error().items[0].code == code::stale_plan);
    CHECK(written.error().items[0].hint == "plan again");
    CHECK(prod.commits.empty());
}

TEST_CASE("transaction: apply's write is refused as stale-plan at once when the branch moved") {
    Log log;
    FakeTarget prod("/repos/prod", log);
    prod.moved_by_others = 1;
    int computed = 0;
    auto written = run_transaction({&prod}, options(TransactionOptions::OnMoved::refuse), [&](int) {
        ++computed;
        return std::expected<std::vector<Write>, Diagnostics>(std::vector<Write>{write_to(prod, "prod")});
    });
    REQUIRE_FALSE(written);
    CHECK(computed == 1);
    CHECK(written.error().items[0].code == code::stale_plan);
    CHECK(prod.commits.empty());
}

TEST_CASE("transaction: a failure in the second repository takes back the first's commit") {
    Log log;
    FakeTarget dev("/repos/dev", log), prod("/repos/prod", log);
    const std::string dev_base = dev.tip();
    SUBCASE("refused by its commit") {
        prod.fail_commit = Kind::worktree_dirty;
    }
    SUBCASE("refused by its check, before anything is written") {
        prod.fail_preflight = Kind::worktree_dirty;
    }
    auto written = run_transaction({&dev, &prod}, options(), [&](int) {
        return std::expected<std::vector<Write>, Diagnostics>(
            std::vector<Write>{write_to(dev, "dev", "links.yaml"), write_to(prod, "prod", "links.yaml")});
    });
    REQUIRE_FALSE(written);
    CHECK(written.error().items[0].code == code::worktree_dirty);
    CHECK(written.error().items[0].address == "prod");
    CHECK(dev.tip() == dev_base);
    CHECK(prod.commits.empty());
    if (prod.fail_preflight) {
        CHECK_FALSE(logged(log, "commit /repos/dev"));
    } else {
        CHECK(logged(log, "undo /repos/dev"));
        // Taken back under the same holds.
        CHECK(position(log, "undo /repos/dev") < position(log, "release /repos/dev"));
    }
}

TEST_CASE("transaction: a change across repositories is recorded in each before any branch moves") {
    Log log;
    FakeTarget dev("/repos/dev", log), prod("/repos/prod", log);
    const std::string dev_base = dev.tip(), prod_base = prod.tip();
    auto writes = [&](int) {
        return std::expected<std::vector<Write>, Diagnostics>(
            std::vector<Write>{write_to(dev, "dev", "links.yaml"), write_to(prod, "prod", "links.yaml")});
    };
    SUBCASE("written whole: the records go once both branches moved") {
        auto written = run_transaction({&dev, &prod}, options(), writes);
        REQUIRE(written);
        CHECK(position(log, "intent commit /repos/prod 2") < position(log, "commit /repos/dev"));
        CHECK(position(log, "commit /repos/prod") < position(log, "clear /repos/dev"));
        CHECK_FALSE(dev.intent);
        CHECK_FALSE(prod.intent);
    }
    SUBCASE("refused in the second: the records say undo before the first is taken back") {
        prod.fail_commit = Kind::worktree_dirty;
        auto written = run_transaction({&dev, &prod}, options(), writes);
        REQUIRE_FALSE(written);
        CHECK(dev.tip() == dev_base);
        CHECK(position(log, "intent undo /repos/dev 2") < position(log, "undo /repos/dev"));
        CHECK(position(log, "undo /repos/dev") < position(log, "clear /repos/dev"));
        CHECK_FALSE(dev.intent);
    }
    SUBCASE("each part names its repository, branch, base and commit") {
        dev.fail_commit = Kind::other;  // stops before anything moves, the records kept as they were made
        auto written = run_transaction({&dev, &prod}, options(), writes);
        REQUIRE_FALSE(written);
        CHECK(logged(log, "intent commit /repos/dev 2"));
        CHECK(position(log, "clear /repos/prod") > position(log, "commit /repos/dev"));
        CHECK(prod.tip() == prod_base);
    }
}

TEST_CASE("transaction: a commit that cannot be taken back leaves the record, for the next write to finish") {
    Log log;
    FakeTarget dev("/repos/dev", log), prod("/repos/prod", log);
    prod.fail_commit = Kind::worktree_dirty;
    dev.undo_refused = true;  // a git client committed on dev's new commit
    auto written = run_transaction({&dev, &prod}, options(), [&](int) {
        return std::expected<std::vector<Write>, Diagnostics>(
            std::vector<Write>{write_to(dev, "dev", "links.yaml"), write_to(prod, "prod", "links.yaml")});
    });
    REQUIRE_FALSE(written);
    REQUIRE(dev.intent);
    REQUIRE(prod.intent);
    CHECK(dev.intent->state == git::Intent::State::commit);
    CHECK(prod.intent->parts.size() == 2);
    CHECK_FALSE(logged(log, "clear /repos/dev"));
}

TEST_CASE("transaction: one repository, or one that writes through to a remote, keeps no record") {
    Log log;
    FakeTarget dev("/repos/dev", log), prod("/repos/prod", log);
    prod.writes_through = true;
    auto written = run_transaction({&dev, &prod}, options(), [&](int) {
        return std::expected<std::vector<Write>, Diagnostics>(
            std::vector<Write>{write_to(dev, "dev", "links.yaml"), write_to(prod, "prod", "links.yaml")});
    });
    REQUIRE(written);
    CHECK(std::ranges::none_of(log, [](const std::string& e) { return e.starts_with("intent"); }));
}

TEST_CASE("transaction: locks are taken in the order of their keys, once per repository, and held to the end") {
    Log log;
    FakeTarget a("/repos/a", log), b("/repos/b", log);
    auto written = run_transaction({&b, &a}, options(), [&](int) {
        return std::expected<std::vector<Write>, Diagnostics>(
            std::vector<Write>{write_to(b, "b1"), write_to(a, "a1"), write_to(b, "b2", "y.yaml")});
    });
    REQUIRE(written);
    CHECK(std::ranges::count(log, std::string("hold /repos/b")) == 1);
    CHECK(position(log, "hold /repos/a") < position(log, "hold /repos/b"));
    // Every lock before the first check, none given back before the last commit.
    const auto first_check = std::min(position(log, "preflight /repos/a"), position(log, "preflight /repos/b"));
    const auto last_commit = std::max(position(log, "commit /repos/a"), position(log, "commit /repos/b"));
    CHECK(position(log, "hold /repos/b") < first_check);
    CHECK(last_commit < position(log, "release /repos/a"));
    CHECK(last_commit < position(log, "release /repos/b"));
    // Committed in the order of the keys too, whatever order the writes came in.
    CHECK(position(log, "commit /repos/a") < position(log, "commit /repos/b"));
    REQUIRE(written->written.size() == 3);
    CHECK(written->written[0].workspace == "a1");
}

TEST_CASE("transaction: two workspaces of one repository and branch are one commit") {
    Log log;
    FakeTarget mono("/repos/mono", log);
    auto written = run_transaction({&mono}, options(), [&](int) {
        return std::expected<std::vector<Write>, Diagnostics>(
            std::vector<Write>{write_to(mono, "dev", "dev/links.yaml"), write_to(mono, "prod", "prod/links.yaml")});
    });
    REQUIRE(written);
    REQUIRE(written->written.size() == 2);
    CHECK(written->written[0].commit == written->written[1].commit);
    REQUIRE(mono.commits.size() == 1);
    CHECK(mono.commits[0].changes.size() == 2);
    CHECK(mono.commits[0].message.starts_with("Change dev\n"));
}

TEST_CASE("transaction: what a killed writer left half-done is finished first, even when nothing is written") {
    Log log;
    FakeTarget prod("/repos/prod", log);
    prod.pending = true;
    SUBCASE("a write") {
        auto written = run_transaction({&prod}, options(), [&](int) {
            log.push_back(prod.pending ? "compute, pending" : "compute");
            return std::expected<std::vector<Write>, Diagnostics>(std::vector<Write>{write_to(prod, "prod")});
        });
        REQUIRE(written);
        // Finished before anything is read for the change.
        CHECK(position(log, "finish /repos/prod") < position(log, "compute"));
        CHECK_FALSE(logged(log, "compute, pending"));
    }
    SUBCASE("a command refused before it writes") {
        auto written = run_transaction({&prod}, options(), [&](int) -> std::expected<std::vector<Write>, Diagnostics> {
            return std::unexpected(Diagnostics{{error(code::permission_denied, "no")}});
        });
        REQUIRE_FALSE(written);
        CHECK(log == Log{"finish /repos/prod"});
    }
    CHECK_FALSE(prod.pending);
}

TEST_CASE("transaction: nothing to write holds no lock and commits nothing") {
    Log log;
    FakeTarget prod("/repos/prod", log);
    auto written = run_transaction(
        {&prod}, options(), [&](int) { return std::expected<std::vector<Write>, Diagnostics>(std::vector<Write>{}); });
    REQUIRE(written);
    CHECK(written->written.empty());
    CHECK(log == Log{"finish /repos/prod"});
}

TEST_CASE("transaction: --push pushes each written branch, and a failed push takes the commit back") {
    Log log;
    FakeTarget prod("/repos/prod", log);
    const std::string base = prod.tip();
    TransactionOptions o = options();
    o.push = true;
    o.new_branch = "deploy-1";
    SUBCASE("pushed") {
        auto written = run_transaction({&prod}, o, [&](int) {
            return std::expected<std::vector<Write>, Diagnostics>(std::vector<Write>{write_to(prod, "prod")});
        });
        REQUIRE(written);
        CHECK(written->written[0].pushed);
        CHECK(written->written[0].branch == "deploy-1");
        CHECK(logged(log, "push /repos/prod deploy-1"));
    }
    SUBCASE("refused") {
        prod.fail_push = Kind::push_rejected;
        auto written = run_transaction({&prod}, o, [&](int) {
            return std::expected<std::vector<Write>, Diagnostics>(std::vector<Write>{write_to(prod, "prod")});
        });
        REQUIRE_FALSE(written);
        CHECK(written.error().items[0].code == code::push_rejected);
        CHECK(logged(log, "undo /repos/prod"));
        CHECK(prod.tip("deploy-1").empty());
        CHECK(prod.tip() == base);
    }
}

TEST_CASE("transaction: a commit a remote already has stays when the rest is computed again") {
    Log log;
    FakeTarget dev("/repos/dev", log), prod("/repos/prod", log);
    dev.writes_through = true;
    prod.moved_by_others = 1;
    auto written = run_transaction({&dev, &prod}, options(), [&](int) {
        return std::expected<std::vector<Write>, Diagnostics>(
            std::vector<Write>{write_to(dev, "dev", "links.yaml"), write_to(prod, "prod", "links.yaml")});
    });
    REQUIRE(written);
    CHECK_FALSE(logged(log, "undo /repos/dev"));
    // Computed again from dev's new tip, where the first write already is.
    REQUIRE(dev.commits.size() == 2);
    CHECK(dev.commits[1].base_commit == dev.branches["main"][1]);
    CHECK(written->written[0].pushed);
    CHECK_FALSE(written->written[1].pushed);
}

TEST_CASE("transaction: a branch moved before the checks is computed again, or refused for apply") {
    Log log;
    FakeTarget prod("/repos/prod", log);
    prod.moved_before_check = 1;
    int computed = 0;
    auto compute = [&](int) {
        ++computed;
        return std::expected<std::vector<Write>, Diagnostics>(std::vector<Write>{write_to(prod, "prod")});
    };
    SUBCASE("computed again") {
        auto written = run_transaction({&prod}, options(), compute);
        REQUIRE(written);
        CHECK(computed == 2);
        CHECK(prod.commits.back().base_commit == "/repos/prod-other-1");
    }
    SUBCASE("refused") {
        auto written = run_transaction({&prod}, options(TransactionOptions::OnMoved::refuse), compute);
        REQUIRE_FALSE(written);
        CHECK(computed == 1);
        CHECK(written.error().items[0].code == code::stale_plan);
        CHECK_FALSE(logged(log, "commit /repos/prod"));
    }
}

TEST_CASE("transaction: each attempt backs off a little longer before computing again") {
    Log log;
    FakeTarget prod("/repos/prod", log);
    prod.moved_by_others = 3;
    std::vector<int> waits;
    TransactionOptions o = options();
    o.back_off = [&](int attempt) { waits.push_back(attempt); };
    auto written = run_transaction({&prod}, o, [&](int) {
        return std::expected<std::vector<Write>, Diagnostics>(std::vector<Write>{write_to(prod, "prod")});
    });
    REQUIRE(written);
    CHECK(waits == std::vector<int>{1, 2, 3});
}

TEST_CASE("transaction: a commit that cannot be taken back is said, even when the next attempt succeeds") {
    Log log;
    FakeTarget dev("/repos/dev", log), prod("/repos/prod", log);
    dev.undo_refused = true;  // a git client committed on dev right after ferry
    prod.moved_by_others = 1;
    auto written = run_transaction({&dev, &prod}, options(), [&](int) {
        return std::expected<std::vector<Write>, Diagnostics>(
            std::vector<Write>{write_to(dev, "dev", "links.yaml"), write_to(prod, "prod", "links.yaml")});
    });
    REQUIRE(written);
    REQUIRE(written->warnings.items.size() == 1);
    CHECK(written->warnings.items[0].severity == Severity::warning);
    CHECK(written->warnings.items[0].message.find("could not be taken back") != std::string::npos);
    CHECK(written->warnings.items[0].address == "dev");
}

TEST_CASE("transaction: a push that fails takes back what was not pushed, and says what stays") {
    Log log;
    FakeTarget a("/repos/a", log), b("/repos/b", log);
    b.fail_push = Kind::push_rejected;
    TransactionOptions o = options();
    o.push = true;
    auto written = run_transaction({&a, &b}, o, [&](int) {
        return std::expected<std::vector<Write>, Diagnostics>(
            std::vector<Write>{write_to(a, "a", "links.yaml"), write_to(b, "b", "links.yaml")});
    });
    REQUIRE_FALSE(written);
    CHECK(written.error().items[0].code == code::push_rejected);
    CHECK(logged(log, "undo /repos/b"));
    CHECK_FALSE(logged(log, "undo /repos/a"));  // on its remote already
    CHECK(b.tip() == "/repos/b-base");
    REQUIRE(written.error().items.size() == 2);
    CHECK(written.error().items[1].message.find("was pushed already; it stays") != std::string::npos);
}
