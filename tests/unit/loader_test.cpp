#include <doctest/doctest.h>

#include "fixtures.hpp"

using namespace ferry;
using namespace ferry::test;

TEST_CASE("load_workspace: a valid tree") {
    auto loaded = load(valid_tree());
    CHECK(loaded.diagnostics.items.empty());
    const Workspace& ws = loaded.workspace;
    CHECK(ws.display_name == "Dev");
    CHECK(ws.organization == "acme");
    CHECK(ws.find(Kind::models, "users") != nullptr);
    CHECK(ws.find(Kind::models, "users")->field("source") == "wh");
    CHECK(ws.find(Kind::models, "users")->file == "models/users.yaml");
    CHECK(ws.has_alert("oncall"));
    REQUIRE(ws.members.contains("alice@acme.com"));
    CHECK(ws.members.at("alice@acme.com").admin);
}

TEST_CASE("load_workspace: files outside the layout are not read, and said (unknown-file) but at the top") {
    auto tree = valid_tree();
    tree.add("README.md", "# hello");
    tree.add(".github/workflows/ci.yml", "on: [push");
    tree.add("models/.gitkeep", "");
    tree.add("models/notes.txt", "not yaml: [");
    tree.add("models/sub/x.yaml", "not: [valid");
    tree.add("drafts/sources/x.yaml", "also ignored: [");
    auto loaded = load(tree);
    REQUIRE(loaded.diagnostics.items.size() == 3);
    for (const Diagnostic& d : loaded.diagnostics.items) {
        CHECK(d.code == code::unknown_file);
        CHECK(d.severity == Severity::warning);
    }
    CHECK(loaded.workspace.of(Kind::models).size() == 1);
}

TEST_CASE("load_workspace: each input check has its code") {
    auto tree = valid_tree();
    SUBCASE("yaml-syntax") {
        tree.add("models/bad.yaml", "name: x\nsql: [\n");
        auto d = find_code(load(tree).diagnostics, code::yaml_syntax);
        REQUIRE(d);
        CHECK(d->location.file == "models/bad.yaml");
        CHECK(d->location.line == 3);
        CHECK(d->address == "dev:models/bad");
    }
    SUBCASE("schema") {
        tree.add("models/bad.yaml", "name: x\nsource: wh\ntype: sql\n");
        CHECK(find_code(load(tree).diagnostics, code::schema));
    }
    SUBCASE("bad-id") {
        tree.add("models/Bad.yaml", "name: x\nsource: wh\ntype: sql\nsql: s\n");
        auto loaded = load(tree);
        REQUIRE(find_code(loaded.diagnostics, code::bad_id));
        CHECK(find_code(loaded.diagnostics, code::bad_id)->location.file == "models/Bad.yaml");
    }
    SUBCASE("duplicate-id") {
        tree.add("models/users.yml", "name: x\nsource: wh\ntype: sql\nsql: s\n");
        auto d = find_code(load(tree).diagnostics, code::duplicate_id);
        REQUIRE(d);
        CHECK(d->location.file == "models/users.yml");
    }
    SUBCASE("dangling-reference") {
        tree.add("models/users.yaml", "name: Users\nsource: nope\ntype: sql\nsql: select 1\n");
        auto d = find_code(load(tree).diagnostics, code::dangling_reference);
        REQUIRE(d);
        CHECK(d->location.line == 2);
        CHECK(d->location.column == 9);
    }
    SUBCASE("dangling-reference to an alert") {
        tree.add("syncs/users-sf.yaml", "name: S\nmodel: users\ndestination: sf\nalerts: [pager]\n");
        CHECK(find_code(load(tree).diagnostics, code::dangling_reference));
    }
    SUBCASE("a published resource may not depend on a draft") {
        tree.add("drafts/models/next.yaml",
                 "draft: { author: a@b.c, approval: none }\nname: N\nsource: wh\ntype: sql\nsql: s\n");
        tree.add("syncs/next-sf.yaml", "name: S\nmodel: next\ndestination: sf\n");
        auto d = find_code(load(tree).diagnostics, code::dangling_reference);
        REQUIRE(d);
        CHECK(d->hint.find("draft") != std::string::npos);
    }
    SUBCASE("plaintext-secret, never printing the secret") {
        tree.add("sources/wh.yaml", "name: W\ntype: snowflake\nconfig:\n  nested:\n    API_KEY: sup3rs3cret\n");
        auto d = find_code(load(tree).diagnostics, code::plaintext_secret);
        REQUIRE(d);
        CHECK(d->location.line == 5);
        CHECK(d->message.find("sup3rs3cret") == std::string::npos);
        CHECK(d->hint.find("sup3rs3cret") == std::string::npos);
    }
    SUBCASE("unsafe-tree: symlink and submodule") {
        tree.add("models/link.yaml", "../x", EntryType::symlink);
        tree.add("vendor/sub", "", EntryType::submodule);
        auto loaded = load(tree);
        int n = 0;
        for (const auto& d : loaded.diagnostics.items)
            n += d.code == code::unsafe_tree;
        CHECK(n == 2);
    }
    SUBCASE("unsafe-tree: oversized file") {
        tree.add("models/big.yaml", "name: x\nsql: '" + std::string(1 << 20, 'x') + "'\n");
        CHECK(find_code(load(tree).diagnostics, code::unsafe_tree));
    }
    SUBCASE("unsafe-tree: nesting inside config") {
        std::string deep = "name: W\ntype: pg\nconfig: " + std::string(70, '[') + std::string(70, ']') + "\n";
        tree.add("sources/wh.yaml", deep);
        CHECK(find_code(load(tree).diagnostics, code::unsafe_tree));
    }
    SUBCASE("broad-grant") {
        tree.add("workspace.yaml",
                 "organization: acme\nmembers:\n  \"*\": editor\nalerts: { oncall: { type: slack } }\n");
        auto loaded = load(tree);
        auto d = find_code(loaded.diagnostics, code::broad_grant);
        REQUIRE(d);
        CHECK(d->severity == Severity::warning);
        CHECK_FALSE(loaded.diagnostics.has_errors());
    }
    SUBCASE("missing-extension: a dbt model") {
        tree.add("models/ltv.yaml", "name: LTV\nsource: wh\ntype: dbt\ndbt: { model: ltv }\n");
        auto d = find_code(load(tree).diagnostics, code::missing_extension);
        REQUIRE(d);
        CHECK(d->location.line == 3);
        tree.add("workspace.yaml",
                 "organization: acme\nalerts: { oncall: { type: slack } }\nextensions: { dbt: {} }\n");
        CHECK_FALSE(find_code(load(tree).diagnostics, code::missing_extension));
    }
    SUBCASE("missing-extension: a dbt-cloud schedule") {
        tree.add("syncs/users-sf.yaml",
                 "name: S\nmodel: users\ndestination: sf\nschedule: { type: dbt-cloud, job: 1 }\n");
        CHECK(find_code(load(tree).diagnostics, code::missing_extension));
    }
    SUBCASE("workspace.yaml missing") {
        MemoryTree empty;
        CHECK(find_code(load(empty).diagnostics, code::schema));
    }
}

TEST_CASE("load_workspace: drafts") {
    auto tree = valid_tree();
    tree.add("drafts/models/users.yaml",
             "draft: { author: carol@acme.com, created: 2026-11-20T10:00:00Z, approval: requested }\n"
             "name: Users v2\nsource: wh\ntype: sql\nsql: select 2\n");
    auto loaded = load(tree);
    CHECK(loaded.diagnostics.items.empty());
    REQUIRE(loaded.workspace.find_draft(Kind::models, "users"));
    CHECK(loaded.workspace.find_draft(Kind::models, "users")->is_draft);

    SUBCASE("the draft block is checked") {
        tree.add("drafts/models/users.yaml", "draft: { approval: maybe }\nname: U\nsource: wh\ntype: sql\nsql: s\n");
        CHECK(find_code(load(tree).diagnostics, code::schema));
    }
    SUBCASE("a draft needs its block") {
        tree.add("drafts/models/users.yaml", "name: U\nsource: wh\ntype: sql\nsql: s\n");
        CHECK(find_code(load(tree).diagnostics, code::schema));
    }
}

TEST_CASE("load_workspace: links.yaml") {
    auto tree = valid_tree();
    tree.add("links.yaml", "sources:\n  wh: { prod: warehouse, staging: wh-stg }\nmodels:\n  users: { prod: users }\n");
    auto loaded = load(tree);
    CHECK(loaded.diagnostics.items.empty());
    REQUIRE(loaded.workspace.links.size() == 3);
    CHECK(loaded.workspace.links[0].kind == Kind::sources);
    CHECK(loaded.workspace.links[0].other_workspace == "prod");
    CHECK(loaded.workspace.links[0].other_id == "warehouse");
    CHECK(loaded.workspace.links[0].mark.line == 2);

    SUBCASE("audiences cannot be linked") {
        tree.add("links.yaml", "audiences:\n  vip: { prod: vip }\n");
        CHECK(find_code(load(tree).diagnostics, code::schema));
    }
    SUBCASE("100,000 links fit within the size limit") {
        std::string text = "models:\n";
        for (int i = 0; i < 100000; ++i) {
            text += "  model-" + std::to_string(i) + ": { prod: model-" + std::to_string(i) + ", staging: m-" +
                    std::to_string(i) + " }\n";
        }
        tree.add("links.yaml", text);
        auto many = load(tree);
        CHECK_FALSE(find_code(many.diagnostics, code::unsafe_tree));
        CHECK(many.workspace.links.size() == 200000);
    }
}

TEST_CASE("load_workspace: files that cannot be read leave no resource, and the others read their documents again") {
    auto tree = valid_tree();
    tree.add("models/bad.yaml", "name: x\nsql: [\n");
    tree.add("models/bad2.yaml", "name: y\n  sql: :\n");
    tree.add("syncs/huge.yaml", "name: " + std::string(2 << 20, 'x') + "\n");
    auto loaded = load(tree);
    const Workspace& ws = loaded.workspace;
    CHECK(find_code(loaded.diagnostics, code::yaml_syntax));
    auto huge = find_code(loaded.diagnostics, code::unsafe_tree);
    REQUIRE(huge);
    CHECK(huge->location.file == "syncs/huge.yaml");
    CHECK_FALSE(ws.find(Kind::models, "bad"));
    CHECK_FALSE(ws.find(Kind::models, "bad2"));
    CHECK_FALSE(ws.find(Kind::syncs, "huge"));
    CHECK(ws.of(Kind::models).size() == 1);
    // The index was rebuilt without them: the rest are still found.
    const Resource* users = ws.find(Kind::models, "users");
    REQUIRE(users);
    // Facts come from the load; the document is parsed again on demand.
    CHECK(users->facts.source == "wh");
    auto root = loaded.documents->root(*users);
    REQUIRE(root);
    CHECK(root->get("sql").text() == "select 1");
    CHECK(root->get("name").mark().line == 1);
    REQUIRE(ws.find(Kind::syncs, "users-sf"));
    CHECK(ws.find(Kind::syncs, "users-sf")->facts.alerts == std::vector<std::string>{"oncall"});
}

namespace {

// A tree whose blobs can vanish after the load, as objects of a partial
// clone or a pruned repository do.
struct VanishingTree : TreeSource {
    MemoryTree tree;
    bool gone = false;
    const std::vector<TreeEntry>& entries() const override { return tree.entries(); }
    std::expected<std::string, ReadError> read(const TreeEntry& entry, std::uint64_t max_size) const override {
        if (gone) return std::unexpected(ReadError{false, 0, "object not found"});
        return tree.read(entry, max_size);
    }
};

}  // namespace

TEST_CASE("load_workspace: a document that cannot be read again is a git diagnostic naming the file") {
    auto tree = std::make_shared<VanishingTree>();
    tree->tree = valid_tree();
    LoadedWorkspace loaded = load_workspace(tree, {"dev", "", "main", std::string(40, 'a')});
    REQUIRE_FALSE(loaded.diagnostics.has_errors());
    tree->gone = true;
    const Resource* users = loaded.workspace.find(Kind::models, "users");
    REQUIRE(users);
    auto root = loaded.documents->root(*users);
    REQUIRE_FALSE(root);
    CHECK(root.error().code == code::git);
    CHECK(root.error().location.file == "models/users.yaml");
    CHECK(root.error().address == "dev:models/users");
    CHECK(root.error().message.find("models/users.yaml cannot be read again from dev's repository: object not found") !=
          std::string::npos);
    // Asked again, the same answer: a failed read is not retried on every call.
    CHECK_FALSE(loaded.documents->root(*users));
}
