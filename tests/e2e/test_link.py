"""`ferry link A B`, `ferry link A WORKSPACE`, `ferry unlink A B` and
`ferry links [WORKSPACE]` (SPEC 2.5, 3.1, 4, 4.1, 4.2, 5, 6): the linking
rules and their codes, what is written into both links.yaml files (canonical
form, one commit per repository, one for a monorepo), the commit's author,
committer, trailer and times, and the listings.

Every repository is checked with `git fsck --strict` after every write.
ferry runs with an empty HOME, so the machine's ~/.gitconfig cannot stand in
for the actor or the committer."""

import subprocess
import time
import unittest

from harness import (
    with_extra,
    IsolatedEnvCase,
    SOURCE_DIR,
    FerryTestCase,
    changed_paths,
    commit,
    dedent,
    file_at,
    git,
    git_fsck,
    head,
    isolated_env,
    make_repo,
    make_repo_cached,
    parse_text_diagnostics,
    schema_line,
    tree_listing,
    valid_tree,
    workspace_yaml,
    write_config,
)

ALICE = "alice@acme.com"
# The first line of every links.yaml ferry writes.
LINKS = schema_line("links.schema.json")
EPOCH = 1800000000


def source(name, type_):
    # The field each type's connector schema requires (SPEC 2.7).
    key = {"snowflake": "account", "bigquery": "project"}.get(type_, "host")
    return "name: %s\ntype: %s\nconfig: { %s: %s.acme.com }\n" % (name, type_, key, name.lower().replace(" ", "-"))


def link_tree(organization="acme", members=None, extra=None):
    """A valid tree with more to link: sources warehouse and warehouse-2
    (snowflake), lake (bigquery), app-db (postgres); destinations crm
    (salesforce) and hubspot (hubspot); model active-users, sync users-to-crm,
    audience vip."""
    tree = valid_tree(organization)
    tree["workspace.yaml"] = workspace_yaml(organization, members)
    tree.update(
        {
            "sources/warehouse-2.yaml": source("Warehouse two", "snowflake"),
            "sources/lake.yaml": source("Lake", "bigquery"),
            "sources/app-db.yaml": source("App db", "postgres"),
            "destinations/hubspot.yaml": "name: HubSpot\ntype: hubspot\n",
            "audiences/vip.yaml": "name: VIP\nmodel: active-users\nfilter: { plan: business }\n",
        }
    )
    return with_extra(tree, extra)


class LinkCase(IsolatedEnvCase):
    """Workspaces dev, staging and prod (one repository each, branch main) of
    organization acme, alice@acme.com admin everywhere and the actor."""

    WORKSPACES = ("dev", "staging", "prod")

    def setUp(self):
        super().setUp()
        self.home = self.tmp / "home"
        self.base_env = isolated_env(self.home, {"FERRY_ACTOR": ALICE})
        self.repos = {}
        self.paths = {}

    # ---- organizations

    def make_link_org(self, trees=None, configs=None):
        trees = trees or {name: link_tree() for name in self.WORKSPACES}
        workspaces = {}
        for name, tree in trees.items():
            make_repo_cached(self.tmp / name, tree)
            workspaces[name] = dict({"repo": name}, **(configs or {}).get(name, {}))
        write_config(self.tmp, workspaces)
        for name in trees:
            self.repos[name] = self.tmp / name
            self.paths[name] = (configs or {}).get(name, {}).get("path", ".")
        return self.tmp

    def make_monorepo(self, names=("dev", "prod"), trees=None, separate=()):
        """One repository `mono` holding the workspaces `names` under folders
        of the same name; `separate` workspaces get their own repository."""
        trees = trees or {}
        files = {}
        for name in names:
            for rel, content in trees.get(name, link_tree()).items():
                files["%s/%s" % (name, rel)] = content
        make_repo(self.tmp / "mono", files)
        workspaces = {}
        for name in names:
            workspaces[name] = {"repo": "mono", "path": name}
            self.repos[name] = self.tmp / "mono"
            self.paths[name] = name
        for name in separate:
            make_repo(self.tmp / name, trees.get(name, link_tree()))
            workspaces[name] = {"repo": name}
            self.repos[name] = self.tmp / name
            self.paths[name] = "."
        write_config(self.tmp, workspaces)

    # ---- running (always with the isolated HOME and the default actor)


    # ---- repositories

    def links_path(self, name):
        return "links.yaml" if self.paths[name] in (".", "") else "%s/links.yaml" % self.paths[name]

    def links_yaml(self, name, rev="main"):
        """links.yaml of workspace `name` as committed on its branch."""
        return file_at(self.repos[name], rev, self.links_path(name))

    def heads(self):
        return {name: head(repo, "refs/heads/main") for name, repo in self.repos.items()}

    def all_repos(self):
        return sorted(set(self.repos.values()))

    def assertFsck(self, repos=None):
        for repo in repos or self.all_repos():
            rc, out = git_fsck(repo)
            self.assertEqual(rc, 0, "git fsck --strict failed in %s:\n%s" % (repo, out))

    def assertCommits(self, result, data, expected):
        """JSON `commits` names exactly the workspaces `expected`, each with
        the commit its branch now points at."""
        ctx = "\n" + result.describe()
        self.assertIsInstance(data.get("commits"), list, ctx)
        for entry in data["commits"]:
            self.assertIsInstance(entry, dict, ctx)
            self.assertEqual(set(entry), {"workspace", "commit"}, ctx)
            self.assertRegex(entry["commit"], r"^[0-9a-f]{40}$", ctx)
        self.assertEqual(sorted(e["workspace"] for e in data["commits"]), sorted(expected), ctx)
        heads = self.heads()
        for entry in data["commits"]:
            self.assertEqual(entry["commit"], heads[entry["workspace"]], ctx)
        return {e["workspace"]: e["commit"] for e in data["commits"]}

    def link(self, a, b, env=None):
        """`ferry link a b` in JSON; must succeed. Returns (result, data)."""
        result, data = self.ferry_json("link", a, b, env=env)
        self.assertExit(result, 0)
        self.assertEqual(data["errors"], [], result.describe())
        self.assertFsck()
        return result, data

    def unlink(self, a, b, env=None):
        result, data = self.ferry_json("unlink", a, b, env=env)
        self.assertExit(result, 0)
        self.assertEqual(data["errors"], [], result.describe())
        self.assertFsck()
        return result, data

    def assertRefused(self, command, a, b, code, env=None, address=None, message_contains=(), hint_contains=()):
        """`ferry COMMAND a b` fails with exit 1 and `code`, in JSON and text,
        and no branch moves."""
        before = self.heads()
        result, data = self.ferry_json(command, a, b, env=env)
        self.assertExit(result, 1)
        diag = self.assertJsonDiag(
            result, data, code, address=address, message_contains=message_contains, hint_contains=hint_contains
        )
        self.assertEqual(data.get("commits"), [], result.describe())
        text = self.ferry(command, a, b, env=env)
        self.assertExit(text, 1)
        self.assertTextDiag(text, code)
        self.assertEqual(self.heads(), before, "a refused %s moved a branch\n%s" % (command, result.describe()))
        self.assertFsck()
        return diag

    def listing(self, *args, env=None):
        result, data = self.ferry_json("links", *args, env=env)
        self.assertExit(result, 0)
        self.assertIsInstance(data.get("links"), list, result.describe())
        for entry in data["links"]:
            self.assertEqual(set(entry), {"kind", "a", "b"}, result.describe())
        return result, data

    def commit_meta(self, name, rev="refs/heads/main"):
        fmt = "%an%x00%ae%x00%at%x00%cn%x00%ce%x00%ct%x00%P%x00%B"
        an, ae, at, cn, ce, ct, parents, body = git(self.repos[name], "log", "-1", "--format=" + fmt, rev).split("\x00")
        return {
            "author_name": an,
            "author_email": ae,
            "author_time": int(at),
            "committer_name": cn,
            "committer_email": ce,
            "committer_time": int(ct),
            "parents": parents.split(),
            "message": body,
        }


def pairs(data):
    return sorted((e["kind"], e["a"], e["b"]) for e in data["links"])


def unordered(data):
    return sorted((e["kind"],) + tuple(sorted((e["a"], e["b"]))) for e in data["links"])


# --------------------------------------------------------------------------


class LinkWritesBothSidesTest(LinkCase):
    def setUp(self):
        super().setUp()
        self.make_link_org()

    def test_link_sources_records_the_link_in_both_links_files(self):
        before = self.heads()
        result, data = self.link("dev:sources/warehouse", "prod:sources/warehouse")
        commits = self.assertCommits(result, data, ["dev", "prod"])
        self.assertEqual(data["warnings"], [], result.describe())
        self.assertEqual(self.links_yaml("dev"), LINKS + "sources:\n  warehouse: { prod: warehouse }\n")
        self.assertEqual(self.links_yaml("prod"), LINKS + "sources:\n  warehouse: { dev: warehouse }\n")
        for name in ("dev", "prod"):
            meta = self.commit_meta(name)
            self.assertEqual(meta["parents"], [before[name]], "the commit sits on the branch tip")
            self.assertEqual(changed_paths(self.repos[name], commits[name]), ["links.yaml"])
        self.assertEqual(self.heads()["staging"], before["staging"], "staging is not involved")

    def test_link_destinations(self):
        result, data = self.link("prod:destinations/crm", "dev:destinations/crm")
        self.assertCommits(result, data, ["dev", "prod"])
        self.assertEqual(self.links_yaml("dev"), LINKS + "destinations:\n  crm: { prod: crm }\n")
        self.assertEqual(self.links_yaml("prod"), LINKS + "destinations:\n  crm: { dev: crm }\n")

    def test_link_different_ids(self):
        self.link("dev:sources/warehouse-2", "prod:sources/warehouse")
        self.assertEqual(self.links_yaml("dev"), LINKS + "sources:\n  warehouse-2: { prod: warehouse }\n")
        self.assertEqual(self.links_yaml("prod"), LINKS + "sources:\n  warehouse: { dev: warehouse-2 }\n")

    def test_written_links_validate_cleanly(self):
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        self.link("dev:destinations/crm", "prod:destinations/crm")
        result, data = self.assertValid()
        self.assertEqual(data["warnings"], [], result.describe())

    def test_links_lists_the_new_link(self):
        self.link("dev:sources/warehouse-2", "prod:sources/warehouse")
        result, data = self.listing()
        self.assertEqual(unordered(data), [("sources", "dev:sources/warehouse-2", "prod:sources/warehouse")])

    def test_canonical_form_is_sorted_whatever_the_order_of_linking(self):
        for a, b in [
            ("dev:destinations/hubspot", "prod:destinations/hubspot"),
            ("dev:sources/warehouse-2", "prod:sources/warehouse"),
            ("dev:destinations/crm", "prod:destinations/crm"),
            ("dev:sources/lake", "prod:sources/lake"),
            ("dev:sources/app-db", "prod:sources/app-db"),
        ]:
            self.link(a, b)
        self.assertEqual(
            self.links_yaml("dev"),
            LINKS + dedent(
                """
                sources:
                  app-db: { prod: app-db }
                  lake: { prod: lake }
                  warehouse-2: { prod: warehouse }
                destinations:
                  crm: { prod: crm }
                  hubspot: { prod: hubspot }
                """
            ),
        )
        self.assertEqual(
            self.links_yaml("prod"),
            LINKS + dedent(
                """
                sources:
                  app-db: { dev: app-db }
                  lake: { dev: lake }
                  warehouse: { dev: warehouse-2 }
                destinations:
                  crm: { dev: crm }
                  hubspot: { dev: hubspot }
                """
            ),
        )
        result, data = self.assertValid()
        self.assertEqual(data["warnings"], [], result.describe())

    def test_each_link_is_one_commit_per_repository(self):
        before = {name: int(git(repo, "rev-list", "--count", "main")) for name, repo in self.repos.items()}
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        self.link("dev:sources/lake", "prod:sources/lake")
        after = {name: int(git(repo, "rev-list", "--count", "main")) for name, repo in self.repos.items()}
        self.assertEqual(after["dev"] - before["dev"], 2)
        self.assertEqual(after["prod"] - before["prod"], 2)
        self.assertEqual(after["staging"], before["staging"])

    def test_other_files_are_untouched(self):
        before = {name: tree_listing(repo, "main") for name, repo in self.repos.items()}
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        for name in ("dev", "prod"):
            after = tree_listing(self.repos[name], "main")
            self.assertIn("links.yaml", after)
            del after["links.yaml"]
            self.assertEqual(after, before[name], "only links.yaml changes in %s" % name)

    def test_relinking_an_existing_link_writes_nothing(self):
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        before = self.heads()
        for a, b in [("dev:sources/warehouse", "prod:sources/warehouse"), ("prod:sources/warehouse", "dev:sources/warehouse")]:
            result, data = self.link(a, b)
            self.assertEqual(data["commits"], [], result.describe())
            self.assertEqual(self.heads(), before, result.describe())
        text = self.ferry("link", "dev:sources/warehouse", "prod:sources/warehouse")
        self.assertExit(text, 0)
        self.assertEqual(self.heads(), before)

    def test_relinking_repairs_a_side_that_lacks_the_link(self):
        commit(self.repos["prod"], {"links.yaml": "sources:\n  warehouse: { dev: warehouse }\n"}, "by hand")
        # The link exists already (links are the union of both files).
        _, data = self.listing("dev")
        self.assertEqual(pairs(data), [("sources", "dev:sources/warehouse", "prod:sources/warehouse")])
        before = self.heads()
        result, data = self.link("dev:sources/warehouse", "prod:sources/warehouse")
        self.assertCommits(result, data, ["dev"])
        self.assertEqual(self.heads()["prod"], before["prod"])
        self.assertEqual(self.links_yaml("dev"), LINKS + "sources:\n  warehouse: { prod: warehouse }\n")

    def test_existing_entries_are_kept_and_the_file_rewritten_canonically(self):
        commit(
            self.repos["dev"],
            {
                "links.yaml": dedent(
                    """
                    # kept by ferry
                    models:
                      active-users:
                        prod: active-users
                    syncs:
                      users-to-crm: {prod: users-to-crm}
                    """
                )
            },
            "links by hand",
        )
        commit(
            self.repos["prod"],
            {"links.yaml": "models:\n  active-users: { dev: active-users }\n"},
            "links by hand",
        )
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        self.assertEqual(
            self.links_yaml("dev"),
            LINKS + dedent(
                """
                sources:
                  warehouse: { prod: warehouse }
                models:
                  active-users: { prod: active-users }
                syncs:
                  users-to-crm: { prod: users-to-crm }
                """
            ),
        )
        self.assertEqual(
            self.links_yaml("prod"),
            LINKS + "sources:\n  warehouse: { dev: warehouse }\nmodels:\n  active-users: { dev: active-users }\n",
        )
        _, data = self.listing("dev")
        self.assertIn(("models", "dev:models/active-users", "prod:models/active-users"), pairs(data))
        self.assertIn(("syncs", "dev:syncs/users-to-crm", "prod:syncs/users-to-crm"), pairs(data))
        self.assertValid()

    def test_text_output(self):
        result = self.ferry("link", "dev:sources/warehouse", "prod:sources/warehouse")
        self.assertExit(result, 0)
        self.assertFalse(parse_text_diagnostics(result.stderr), result.describe())
        self.assertIn("dev:sources/warehouse", result.stdout, result.describe())
        self.assertIn("prod:sources/warehouse", result.stdout, result.describe())
        self.assertEqual(self.links_yaml("dev"), LINKS + "sources:\n  warehouse: { prod: warehouse }\n")
        self.assertFsck()

    def test_quiet_prints_nothing_on_success(self):
        result = self.ferry("link", "dev:sources/warehouse", "prod:sources/warehouse", "-q")
        self.assertExit(result, 0)
        self.assertEqual(result.stdout, "", result.describe())
        self.assertEqual(result.stderr, "", result.describe())
        self.assertEqual(self.links_yaml("prod"), LINKS + "sources:\n  warehouse: { dev: warehouse }\n")

    def test_config_flag_and_environment_from_another_folder(self):
        elsewhere = self.tmp / "elsewhere"
        elsewhere.mkdir()
        result, data = self.ferry_json("link", "dev:sources/warehouse", "prod:sources/warehouse",
                                       "--config", self.tmp / "ferry.yaml", cwd="/")
        self.assertExit(result, 0)
        self.assertCommits(result, data, ["dev", "prod"])
        result, data = self.ferry_json("unlink", "dev:sources/warehouse", "prod:sources/warehouse", cwd="/",
                                       env={"FERRY_CONFIG": self.tmp / "ferry.yaml"})
        self.assertExit(result, 0)
        self.assertCommits(result, data, ["dev", "prod"])
        result, data = self.ferry_json("links", cwd="/", env={"FERRY_CONFIG": self.tmp / "ferry.yaml"})
        self.assertExit(result, 0)
        self.assertEqual(data["links"], [])
        self.assertFsck()

    def test_json_is_one_object_with_commits_errors_warnings(self):
        result, data = self.link("dev:sources/warehouse", "prod:sources/warehouse")
        self.assertTrue({"commits", "errors", "warnings"} <= set(data), result.describe())
        self.assertNotIn("error[", result.stdout)


class CommitIdentityTest(LinkCase):
    """SPEC 4.2: the author is the actor; trailer Ferry-Actor; times from
    SOURCE_DATE_EPOCH. The committer is the repository's own identity when it
    has one, else ferry's."""

    def setUp(self):
        super().setUp()
        self.make_link_org()

    def trailers(self, message):
        return git(self.repos["dev"], "interpret-trailers", "--parse", input=message).splitlines()

    def test_author_trailer_and_source_date_epoch(self):
        self.link("dev:sources/warehouse", "prod:sources/warehouse", env={"SOURCE_DATE_EPOCH": EPOCH})
        for name in ("dev", "prod"):
            meta = self.commit_meta(name)
            self.assertEqual(meta["author_email"], ALICE, meta)
            self.assertTrue(meta["author_name"], meta)
            self.assertEqual(meta["author_time"], EPOCH, meta)
            self.assertEqual(meta["committer_time"], EPOCH, meta)
            self.assertEqual((meta["committer_name"], meta["committer_email"]), ("ferry", "ferry@localhost"), meta)
            subject = meta["message"].splitlines()[0]
            self.assertEqual(subject, "Link dev:sources/warehouse <-> prod:sources/warehouse", meta)
            self.assertIn("Ferry-Actor: %s" % ALICE, self.trailers(meta["message"]), meta)
            self.assertEqual(meta["message"].rstrip("\n").splitlines()[-1], "Ferry-Actor: %s" % ALICE, meta)

    def test_same_input_same_commits_with_source_date_epoch(self):
        self.link("dev:sources/warehouse", "prod:sources/warehouse", env={"SOURCE_DATE_EPOCH": EPOCH})
        first = self.heads()
        for name in ("dev", "prod"):
            git(self.repos[name], "reset", "-q", "--hard", "main~1")
        self.link("dev:sources/warehouse", "prod:sources/warehouse", env={"SOURCE_DATE_EPOCH": EPOCH})
        self.assertEqual(self.heads(), first, "same tree, parent, identity and time give the same commit")

    def test_times_are_now_without_source_date_epoch(self):
        start = int(time.time())
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        meta = self.commit_meta("dev")
        self.assertLessEqual(abs(meta["author_time"] - start), 120, meta)
        self.assertLessEqual(abs(meta["committer_time"] - start), 120, meta)

    def test_committer_is_the_repository_identity_when_set(self):
        git(self.repos["dev"], "config", "user.name", "Dev Robot")
        git(self.repos["dev"], "config", "user.email", "robot@acme.com")
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        dev, prod = self.commit_meta("dev"), self.commit_meta("prod")
        self.assertEqual((dev["committer_name"], dev["committer_email"]), ("Dev Robot", "robot@acme.com"), dev)
        self.assertEqual((prod["committer_name"], prod["committer_email"]), ("ferry", "ferry@localhost"), prod)
        self.assertEqual(dev["author_email"], ALICE, dev)
        self.assertEqual(prod["author_email"], ALICE, prod)

    def test_unlink_commit_has_the_same_identity_rules(self):
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        self.unlink("dev:sources/warehouse", "prod:sources/warehouse", env={"SOURCE_DATE_EPOCH": EPOCH + 60})
        for name in ("dev", "prod"):
            meta = self.commit_meta(name)
            self.assertEqual(meta["author_email"], ALICE, meta)
            self.assertEqual(meta["author_time"], EPOCH + 60, meta)
            self.assertEqual(meta["committer_time"], EPOCH + 60, meta)
            self.assertEqual(meta["message"].splitlines()[0], "Unlink dev:sources/warehouse <-> prod:sources/warehouse")
            self.assertIn("Ferry-Actor: %s" % ALICE, self.trailers(meta["message"]), meta)


class ActorTest(LinkCase):
    """SPEC 1: --actor, else FERRY_ACTOR, else user.email of the repository;
    permissions are checked for the actor."""

    def setUp(self):
        super().setUp()
        members = {ALICE: "admin", "bob@acme.com": "editor", "dave@acme.com": "viewer"}
        self.make_link_org({name: link_tree(members=members) for name in self.WORKSPACES})

    def test_actor_from_environment(self):
        self.link("dev:sources/warehouse", "prod:sources/warehouse", env={"FERRY_ACTOR": "bob@acme.com"})
        self.assertEqual(self.commit_meta("dev")["author_email"], "bob@acme.com")
        self.assertEqual(self.commit_meta("prod")["author_email"], "bob@acme.com")

    def test_actor_flag_wins_over_environment(self):
        result, data = self.ferry_json(
            "link", "dev:sources/warehouse", "prod:sources/warehouse", "--actor", "bob@acme.com",
            env={"FERRY_ACTOR": "dave@acme.com"},
        )
        self.assertExit(result, 0)
        self.assertEqual(self.commit_meta("dev")["author_email"], "bob@acme.com")
        self.assertFsck()

    def test_viewer_actor_is_refused(self):
        self.assertRefused("link", "dev:sources/warehouse", "prod:sources/warehouse", "permission-denied",
                           env={"FERRY_ACTOR": "dave@acme.com"})

    def test_actor_flag_is_the_one_checked(self):
        result, data = self.ferry_json(
            "link", "dev:sources/warehouse", "prod:sources/warehouse", "--actor", "dave@acme.com",
            env={"FERRY_ACTOR": ALICE},
        )
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "permission-denied")
        self.assertIsNone(self.links_yaml("dev"))

    def test_actor_from_repository_user_email(self):
        for name in self.WORKSPACES:
            git(self.repos[name], "config", "user.email", "bob@acme.com")
            git(self.repos[name], "config", "user.name", "Bob Example")
        self.link("dev:sources/warehouse", "prod:sources/warehouse", env={"FERRY_ACTOR": None})
        meta = self.commit_meta("prod")
        self.assertEqual(meta["author_email"], "bob@acme.com", meta)
        self.assertIn("Ferry-Actor: bob@acme.com", meta["message"], meta)

    def test_actor_from_the_first_addresses_repository(self):
        git(self.repos["dev"], "config", "user.email", "bob@acme.com")
        self.link("dev:sources/warehouse", "prod:sources/warehouse", env={"FERRY_ACTOR": None})
        self.assertEqual(self.commit_meta("dev")["author_email"], "bob@acme.com")
        self.assertEqual(self.commit_meta("prod")["author_email"], "bob@acme.com")

    def test_no_actor_at_all_is_permission_denied(self):
        self.assertRefused("link", "dev:sources/warehouse", "prod:sources/warehouse", "permission-denied",
                           env={"FERRY_ACTOR": None})
        self.assertIsNone(self.links_yaml("dev"))
        self.assertIsNone(self.links_yaml("prod"))

    def test_unlink_without_actor_is_permission_denied(self):
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        self.assertRefused("unlink", "dev:sources/warehouse", "prod:sources/warehouse", "permission-denied",
                           env={"FERRY_ACTOR": None})


class LinkRulesTest(LinkCase):
    """SPEC 3.1: each refusal, with its code; nothing is written."""

    def setUp(self):
        super().setUp()
        self.make_link_org()

    def test_models_are_linked_by_deploying(self):
        self.assertRefused("link", "dev:models/active-users", "prod:models/active-users", "link-kind-not-allowed",
                           hint_contains="ferry reconcile")

    def test_syncs_are_linked_by_deploying(self):
        self.assertRefused("link", "dev:syncs/users-to-crm", "prod:syncs/users-to-crm", "link-kind-not-allowed",
                           hint_contains="ferry reconcile")

    def test_audiences_cannot_be_linked(self):
        self.assertRefused("link", "dev:audiences/vip", "prod:audiences/vip", "link-kind-not-allowed")

    def test_missing_first_resource(self):
        self.assertRefused("link", "dev:sources/nosuch", "prod:sources/warehouse", "unknown-resource",
                           address="dev:sources/nosuch")

    def test_missing_second_resource(self):
        self.assertRefused("link", "dev:sources/warehouse", "prod:sources/nosuch", "unknown-resource",
                           address="prod:sources/nosuch")

    def test_missing_destination(self):
        self.assertRefused("link", "dev:destinations/nosuch", "prod:destinations/crm", "unknown-resource",
                           address="dev:destinations/nosuch")

    def test_source_and_destination_of_the_same_id_are_different_resources(self):
        # prod has a destination crm but no source crm.
        self.assertRefused("link", "dev:sources/warehouse", "prod:sources/crm", "unknown-resource",
                           address="prod:sources/crm")

    def test_type_mismatch(self):
        self.assertRefused("link", "dev:sources/warehouse", "prod:sources/lake", "type-mismatch")

    def test_type_mismatch_destinations(self):
        self.assertRefused("link", "dev:destinations/crm", "prod:destinations/hubspot", "type-mismatch")

    def test_already_linked_first(self):
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        self.assertRefused("link", "dev:sources/warehouse", "prod:sources/warehouse-2", "already-linked",
                           address="dev:sources/warehouse")
        self.assertEqual(self.links_yaml("dev"), LINKS + "sources:\n  warehouse: { prod: warehouse }\n")

    def test_already_linked_second(self):
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        self.assertRefused("link", "dev:sources/warehouse-2", "prod:sources/warehouse", "already-linked",
                           address="prod:sources/warehouse")

    def test_already_linked_reversed_arguments(self):
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        self.assertRefused("link", "prod:sources/warehouse-2", "dev:sources/warehouse", "already-linked")

    def test_already_linked_when_only_the_other_file_says_so(self):
        commit(self.repos["prod"], {"links.yaml": "sources:\n  warehouse: { dev: warehouse }\n"}, "by hand")
        self.assertRefused("link", "dev:sources/warehouse", "prod:sources/warehouse-2", "already-linked")
        self.assertRefused("link", "dev:sources/warehouse-2", "prod:sources/warehouse", "already-linked")

    def test_a_link_to_another_workspace_does_not_count(self):
        self.link("dev:sources/warehouse", "staging:sources/warehouse-2")
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        self.assertEqual(self.links_yaml("dev"), LINKS + "sources:\n  warehouse: { prod: warehouse, staging: warehouse-2 }\n")


    def test_unknown_workspace(self):
        self.assertRefused("link", "dev:sources/warehouse", "qa:sources/warehouse", "unknown-workspace")
        self.assertRefused("link", "qa:sources/warehouse", "dev:sources/warehouse", "unknown-workspace")

    def test_refusals_report_every_broken_rule_in_text_on_stderr(self):
        result = self.ferry("link", "dev:sources/warehouse", "prod:sources/lake")
        self.assertExit(result, 1)
        self.assertTextDiag(result, "type-mismatch")
        self.assertEqual(result.stdout.strip(), "", result.describe())

    def test_broken_links_file_is_not_overwritten(self):
        commit(self.repos["prod"], {"links.yaml": "sources:\n  warehouse: { dev: [\n"}, "broken")
        before = file_at(self.repos["prod"], "main", "links.yaml")
        self.assertRefused("link", "dev:sources/lake", "prod:sources/lake", "yaml-syntax")
        self.assertEqual(file_at(self.repos["prod"], "main", "links.yaml"), before)

    def test_yml_resource_can_be_linked(self):
        commit(self.repos["prod"], {"sources/lake.yaml": None, "sources/lake2.yml": source("Lake", "bigquery")}, "yml")
        self.link("dev:sources/lake", "prod:sources/lake2")
        self.assertEqual(self.links_yaml("prod"), LINKS + "sources:\n  lake2: { dev: lake }\n")

    def test_link_conflict_in_existing_files_blocks_the_write(self):
        commit(self.repos["dev"], {"links.yaml": "sources:\n  warehouse: { prod: warehouse }\n"}, "by hand")
        commit(self.repos["prod"], {"links.yaml": "sources:\n  warehouse-2: { dev: warehouse }\n"}, "by hand")
        self.assertRefused("link", "dev:sources/lake", "prod:sources/lake", "link-conflict")


class OrganizationTest(LinkCase):
    def test_different_organization(self):
        self.make_link_org({"dev": link_tree(), "prod": link_tree(organization="globex")})
        self.assertRefused("link", "dev:sources/warehouse", "prod:sources/warehouse", "different-organization")

    def test_different_organization_has_no_candidates(self):
        self.make_link_org({"dev": link_tree(), "prod": link_tree(organization="globex")})
        result, data = self.ferry_json("link", "dev:sources/warehouse", "prod")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "different-organization")
        self.assertFalse(data.get("candidates"), result.describe())


class PermissionTest(LinkCase):
    """The actor needs edit on the kind in both workspaces."""

    def org(self, dev_members, prod_members):
        self.make_link_org({"dev": link_tree(members=dev_members), "prod": link_tree(members=prod_members)})

    def test_viewer_in_the_other_workspace(self):
        self.org({ALICE: "admin"}, {ALICE: "viewer"})
        self.assertRefused("link", "dev:sources/warehouse", "prod:sources/warehouse", "permission-denied",
                           address="prod:sources/warehouse")

    def test_drafter_in_the_first_workspace(self):
        self.org({ALICE: "drafter"}, {ALICE: "admin"})
        self.assertRefused("link", "dev:sources/warehouse", "prod:sources/warehouse", "permission-denied",
                           address="dev:sources/warehouse")

    def test_not_a_member(self):
        self.org({"bob@acme.com": "admin"}, {ALICE: "admin"})
        self.assertRefused("link", "dev:sources/warehouse", "prod:sources/warehouse", "permission-denied")

    def test_everyone_viewer_is_not_enough(self):
        self.org({ALICE: "admin", "*": "viewer"}, {ALICE: "admin", "*": "viewer"})
        self.assertRefused("link", "dev:sources/warehouse", "prod:sources/warehouse", "permission-denied",
                           env={"FERRY_ACTOR": "zed@acme.com"})

    def test_editor_may_link(self):
        self.org({ALICE: "editor"}, {ALICE: "editor"})
        self.link("dev:sources/warehouse", "prod:sources/warehouse")

    def test_per_kind_edit_covers_that_kind_only(self):
        levels = "{ sources: edit, destinations: view }"
        self.org({ALICE: levels}, {ALICE: levels})
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        self.assertRefused("link", "dev:destinations/crm", "prod:destinations/crm", "permission-denied")

    def test_per_kind_draft_is_not_enough(self):
        self.org({ALICE: "admin"}, {ALICE: "{ sources: draft, destinations: edit }"})
        self.assertRefused("link", "dev:sources/warehouse", "prod:sources/warehouse", "permission-denied")
        self.link("dev:destinations/crm", "prod:destinations/crm")

    def test_unlink_needs_edit_in_both(self):
        self.org({ALICE: "admin", "dave@acme.com": "admin"}, {ALICE: "admin", "dave@acme.com": "viewer"})
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        self.assertRefused("unlink", "dev:sources/warehouse", "prod:sources/warehouse", "permission-denied",
                           env={"FERRY_ACTOR": "dave@acme.com"})
        self.assertEqual(self.links_yaml("dev"), LINKS + "sources:\n  warehouse: { prod: warehouse }\n")
        self.assertEqual(self.links_yaml("prod"), LINKS + "sources:\n  warehouse: { dev: warehouse }\n")


class UsageTest(LinkCase):
    """Usage errors exit 64 and write nothing."""

    def setUp(self):
        super().setUp()
        self.make_link_org()

    def assertUsage(self, *args):
        before = self.heads()
        result = self.ferry(*args)
        self.assertExit(result, 64)
        self.assertEqual(self.heads(), before)
        return result

    def test_malformed_addresses(self):
        for bad in ["dev:warehouse", "dev:sources/", ":sources/warehouse", "dev:widgets/warehouse", "dev:sources",
                    "dev@:sources/warehouse"]:
            with self.subTest(bad=bad):
                self.assertUsage("link", bad, "prod:sources/warehouse")
                self.assertUsage("link", "prod:sources/warehouse", bad)
                self.assertUsage("unlink", bad, "prod:sources/warehouse")
                self.assertUsage("unlink", "prod:sources/warehouse", bad)
        self.assertUsage("link", "dev sources warehouse", "prod:sources/warehouse")
        self.assertUsage("unlink", "dev sources warehouse", "prod:sources/warehouse")

    def test_two_kinds_are_never_linked(self):
        for verb in ("link", "unlink"):
            result = self.assertUsage(verb, "dev:sources/warehouse", "prod:destinations/warehouse")
            self.assertIn("same kind", result.stderr)

    def test_first_argument_must_be_an_address(self):
        self.assertUsage("link", "dev", "prod:sources/warehouse")
        self.assertUsage("link", "dev", "prod")

    def test_address_with_a_ref(self):
        self.assertUsage("link", "dev@main:sources/warehouse", "prod:sources/warehouse")
        self.assertUsage("link", "dev:sources/warehouse", "prod@main:sources/warehouse")
        self.assertUsage("unlink", "dev@main:sources/warehouse", "prod:sources/warehouse")
        self.assertUsage("link", "dev@main:sources/warehouse", "prod")

    def test_same_workspace(self):
        self.assertUsage("link", "dev:sources/warehouse", "dev:sources/warehouse-2")
        self.assertUsage("link", "dev:sources/warehouse", "dev")
        self.assertUsage("unlink", "dev:sources/warehouse", "dev:sources/warehouse-2")

    def test_missing_or_extra_arguments(self):
        self.assertUsage("link")
        self.assertUsage("link", "dev:sources/warehouse")
        self.assertUsage("unlink", "dev:sources/warehouse")
        self.assertUsage("link", "dev:sources/warehouse", "prod:sources/warehouse", "staging:sources/warehouse")
        self.assertUsage("links", "dev", "prod")


class MonorepoTest(LinkCase):
    """Workspaces sharing a repository change together: one commit."""

    def test_link_in_a_monorepo_is_one_commit(self):
        self.make_monorepo(("dev", "prod"))
        mono = self.tmp / "mono"
        before = head(mono, "main")
        result, data = self.link("dev:sources/warehouse", "prod:sources/warehouse")
        commits = self.assertCommits(result, data, ["dev", "prod"])
        self.assertEqual(commits["dev"], commits["prod"], result.describe())
        self.assertEqual(git(mono, "rev-list", "--count", "%s..main" % before), "1")
        self.assertEqual(changed_paths(mono, "main"), ["dev/links.yaml", "prod/links.yaml"])
        self.assertEqual(file_at(mono, "main", "dev/links.yaml"), LINKS + "sources:\n  warehouse: { prod: warehouse }\n")
        self.assertEqual(file_at(mono, "main", "prod/links.yaml"), LINKS + "sources:\n  warehouse: { dev: warehouse }\n")
        self.assertIsNone(file_at(mono, "main", "links.yaml"), "nothing at the repository root")
        result, data = self.assertValid()
        self.assertEqual(data["warnings"], [], result.describe())

    def test_unlink_in_a_monorepo_is_one_commit_and_removes_both_files(self):
        self.make_monorepo(("dev", "prod"))
        mono = self.tmp / "mono"
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        before = head(mono, "main")
        result, data = self.unlink("prod:sources/warehouse", "dev:sources/warehouse")
        commits = self.assertCommits(result, data, ["dev", "prod"])
        self.assertEqual(commits["dev"], commits["prod"])
        self.assertEqual(git(mono, "rev-list", "--count", "%s..main" % before), "1")
        self.assertIsNone(file_at(mono, "main", "dev/links.yaml"))
        self.assertIsNone(file_at(mono, "main", "prod/links.yaml"))

    def test_monorepo_and_a_separate_repository(self):
        self.make_monorepo(("dev", "prod"), separate=("staging",))
        result, data = self.link("dev:sources/warehouse", "staging:sources/warehouse")
        commits = self.assertCommits(result, data, ["dev", "staging"])
        self.assertNotEqual(commits["dev"], commits["staging"])
        self.assertEqual(changed_paths(self.tmp / "mono", "main"), ["dev/links.yaml"])
        self.assertEqual(self.links_yaml("staging"), LINKS + "sources:\n  warehouse: { dev: warehouse }\n")
        # Then both monorepo workspaces link to staging's one: still one commit per repository.
        self.link("prod:sources/warehouse", "staging:sources/warehouse")
        self.assertEqual(self.links_yaml("staging"), LINKS + "sources:\n  warehouse: { dev: warehouse, prod: warehouse }\n")
        self.assertValid()

    def test_three_workspaces_in_one_repository(self):
        self.make_monorepo(("dev", "staging", "prod"))
        mono = self.tmp / "mono"
        start = head(mono, "main")
        self.link("dev:sources/warehouse", "staging:sources/warehouse")
        self.link("staging:sources/warehouse", "prod:sources/warehouse")
        self.assertEqual(git(mono, "rev-list", "--count", "%s..main" % start), "2")
        self.assertEqual(self.links_yaml("staging"), LINKS + "sources:\n  warehouse: { dev: warehouse, prod: warehouse }\n")
        _, data = self.listing()
        self.assertEqual(len(data["links"]), 2)


class ChainTest(LinkCase):
    """dev <-> staging <-> prod: one links.yaml entry per resource, naming
    every other workspace."""

    def setUp(self):
        super().setUp()
        self.make_link_org()

    def test_chain_across_three_workspaces(self):
        self.link("dev:sources/warehouse", "staging:sources/warehouse-2")
        self.link("staging:sources/warehouse-2", "prod:sources/warehouse")
        self.link("prod:sources/warehouse", "dev:sources/warehouse")
        self.assertEqual(self.links_yaml("dev"), LINKS + "sources:\n  warehouse: { prod: warehouse, staging: warehouse-2 }\n")
        self.assertEqual(self.links_yaml("staging"), LINKS + "sources:\n  warehouse-2: { dev: warehouse, prod: warehouse }\n")
        self.assertEqual(self.links_yaml("prod"), LINKS + "sources:\n  warehouse: { dev: warehouse, staging: warehouse-2 }\n")
        _, data = self.listing()
        self.assertEqual(
            unordered(data),
            sorted(
                [
                    ("sources", "dev:sources/warehouse", "staging:sources/warehouse-2"),
                    ("sources", "prod:sources/warehouse", "staging:sources/warehouse-2"),
                    ("sources", "dev:sources/warehouse", "prod:sources/warehouse"),
                ]
            ),
        )
        result, data = self.assertValid()
        self.assertEqual(data["warnings"], [], result.describe())

    def test_chain_is_per_pair(self):
        # dev:warehouse <-> staging:warehouse does not stop staging:warehouse
        # <-> prod:warehouse-2, nor force dev:warehouse onto prod:warehouse-2.
        self.link("dev:sources/warehouse", "staging:sources/warehouse")
        self.link("staging:sources/warehouse", "prod:sources/warehouse-2")
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        _, data = self.listing("prod")
        self.assertEqual(
            pairs(data),
            sorted(
                [
                    ("sources", "prod:sources/warehouse", "dev:sources/warehouse"),
                    ("sources", "prod:sources/warehouse-2", "staging:sources/warehouse"),
                ]
            ),
        )
        self.assertRefused("link", "dev:sources/warehouse-2", "prod:sources/warehouse", "already-linked")

    def test_unlink_one_pair_keeps_the_rest_of_the_chain(self):
        self.link("dev:sources/warehouse", "staging:sources/warehouse")
        self.link("staging:sources/warehouse", "prod:sources/warehouse")
        self.link("dev:destinations/crm", "staging:destinations/crm")
        before = self.heads()
        result, data = self.unlink("staging:sources/warehouse", "prod:sources/warehouse")
        self.assertCommits(result, data, ["staging", "prod"])
        self.assertEqual(self.heads()["dev"], before["dev"])
        self.assertEqual(
            self.links_yaml("staging"),
            LINKS + "sources:\n  warehouse: { dev: warehouse }\ndestinations:\n  crm: { dev: crm }\n",
        )
        self.assertIsNone(self.links_yaml("prod"), "prod's only link is gone, and with it its links.yaml")
        self.assertEqual(
            self.links_yaml("dev"),
            LINKS + "sources:\n  warehouse: { staging: warehouse }\ndestinations:\n  crm: { staging: crm }\n",
        )
        self.assertValid()


class UnlinkTest(LinkCase):
    def setUp(self):
        super().setUp()
        self.make_link_org()

    def test_unlink_removes_the_link_from_both_files_and_nothing_else(self):
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        self.link("dev:destinations/crm", "prod:destinations/crm")
        trees = {name: tree_listing(self.repos[name], "main") for name in ("dev", "prod")}
        result, data = self.unlink("dev:sources/warehouse", "prod:sources/warehouse")
        commits = self.assertCommits(result, data, ["dev", "prod"])
        self.assertEqual(self.links_yaml("dev"), LINKS + "destinations:\n  crm: { prod: crm }\n")
        self.assertEqual(self.links_yaml("prod"), LINKS + "destinations:\n  crm: { dev: crm }\n")
        for name in ("dev", "prod"):
            self.assertEqual(changed_paths(self.repos[name], commits[name]), ["links.yaml"])
            after = tree_listing(self.repos[name], "main")
            self.assertEqual({k: v for k, v in after.items() if k != "links.yaml"},
                             {k: v for k, v in trees[name].items() if k != "links.yaml"})
        _, data = self.listing()
        self.assertEqual(unordered(data), [("destinations", "dev:destinations/crm", "prod:destinations/crm")])
        self.assertValid()

    def test_unlinking_the_last_link_deletes_links_yaml(self):
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        result, data = self.unlink("dev:sources/warehouse", "prod:sources/warehouse")
        commits = self.assertCommits(result, data, ["dev", "prod"])
        for name in ("dev", "prod"):
            self.assertIsNone(self.links_yaml(name))
            self.assertEqual(changed_paths(self.repos[name], commits[name]), ["links.yaml"])
        _, data = self.listing()
        self.assertEqual(data["links"], [])
        result, data = self.assertValid()
        self.assertEqual(data["warnings"], [], result.describe())

    def test_unlink_in_either_order(self):
        self.link("dev:sources/warehouse-2", "prod:sources/warehouse")
        self.unlink("prod:sources/warehouse", "dev:sources/warehouse-2")
        self.assertIsNone(self.links_yaml("dev"))
        self.assertIsNone(self.links_yaml("prod"))

    def test_unlink_then_link_again_elsewhere(self):
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        self.unlink("dev:sources/warehouse", "prod:sources/warehouse")
        self.link("dev:sources/warehouse", "prod:sources/warehouse-2")
        self.assertEqual(self.links_yaml("dev"), LINKS + "sources:\n  warehouse: { prod: warehouse-2 }\n")

    def test_not_linked(self):
        self.assertRefused("unlink", "dev:sources/warehouse", "prod:sources/warehouse", "not-linked")

    def test_not_linked_to_that_resource(self):
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        self.assertRefused("unlink", "dev:sources/warehouse", "prod:sources/warehouse-2", "not-linked")
        self.assertRefused("unlink", "dev:sources/warehouse-2", "prod:sources/warehouse", "not-linked")
        self.assertRefused("unlink", "dev:sources/warehouse", "staging:sources/warehouse", "not-linked")
        self.assertEqual(self.links_yaml("dev"), LINKS + "sources:\n  warehouse: { prod: warehouse }\n")

    def test_unlink_unknown_workspace(self):
        self.assertRefused("unlink", "dev:sources/warehouse", "qa:sources/warehouse", "unknown-workspace")

    def test_unlink_a_stale_link(self):
        self.link("dev:sources/warehouse-2", "prod:sources/warehouse-2")
        commit(self.repos["prod"], {"sources/warehouse-2.yaml": None}, "drop warehouse-2")
        result, data = self.listing()
        self.assertEqual(data["links"], [], "a stale link is ignored")
        self.assertJsonDiag(result, data, "stale-link", severity="warnings")
        result, data = self.unlink("dev:sources/warehouse-2", "prod:sources/warehouse-2")
        self.assertCommits(result, data, ["dev", "prod"])
        self.assertIsNone(self.links_yaml("dev"))
        self.assertIsNone(self.links_yaml("prod"))
        result, data = self.assertValid()
        self.assertEqual(data["warnings"], [], result.describe())

    def test_unlink_when_only_one_file_states_the_link(self):
        commit(self.repos["prod"], {"links.yaml": "sources:\n  warehouse: { dev: warehouse }\n"}, "by hand")
        before = self.heads()
        result, data = self.unlink("dev:sources/warehouse", "prod:sources/warehouse")
        self.assertCommits(result, data, ["prod"])
        self.assertEqual(self.heads()["dev"], before["dev"])
        self.assertIsNone(self.links_yaml("prod"))

    def test_unlink_a_link_made_by_deploying(self):
        # Models and syncs are linked by deploying; unlinking them leaves the
        # deployed resources as they are.
        commit(self.repos["dev"], {"links.yaml": "models:\n  active-users: { prod: active-users }\n"}, "deployed")
        commit(self.repos["prod"], {"links.yaml": "models:\n  active-users: { dev: active-users }\n"}, "deployed")
        trees = {name: tree_listing(self.repos[name], "main") for name in ("dev", "prod")}
        result, data = self.unlink("prod:models/active-users", "dev:models/active-users")
        self.assertCommits(result, data, ["dev", "prod"])
        for name in ("dev", "prod"):
            after = tree_listing(self.repos[name], "main")
            self.assertNotIn("links.yaml", after)
            self.assertEqual(after, {k: v for k, v in trees[name].items() if k != "links.yaml"})

    def test_unlink_text_output(self):
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        result = self.ferry("unlink", "dev:sources/warehouse", "prod:sources/warehouse")
        self.assertExit(result, 0)
        self.assertFalse(parse_text_diagnostics(result.stderr), result.describe())
        self.assertIsNone(self.links_yaml("dev"))
        self.assertFsck()


class LinksListingTest(LinkCase):
    def setUp(self):
        super().setUp()
        self.make_link_org()

    def test_no_links(self):
        result, data = self.listing()
        self.assertEqual(data["links"], [])
        self.assertEqual(data["errors"], [])
        text = self.ferry("links")
        self.assertExit(text, 0)

    def test_links_of_every_pair_with_addresses(self):
        self.link("dev:sources/warehouse", "prod:sources/warehouse-2")
        self.link("staging:destinations/crm", "prod:destinations/crm")
        result, data = self.listing()
        self.assertEqual(
            unordered(data),
            sorted(
                [
                    ("sources", "dev:sources/warehouse", "prod:sources/warehouse-2"),
                    ("destinations", "prod:destinations/crm", "staging:destinations/crm"),
                ]
            ),
        )
        for e in data["links"]:
            self.assertEqual(e["a"].split(":")[1].split("/")[0], e["kind"])
            self.assertEqual(e["b"].split(":")[1].split("/")[0], e["kind"])

    def test_named_workspace_is_always_a(self):
        self.link("dev:sources/warehouse", "prod:sources/warehouse-2")
        self.link("staging:sources/warehouse", "prod:sources/warehouse")
        self.link("dev:destinations/crm", "staging:destinations/crm")
        for name, expected in {
            "prod": [
                ("sources", "prod:sources/warehouse", "staging:sources/warehouse"),
                ("sources", "prod:sources/warehouse-2", "dev:sources/warehouse"),
            ],
            "dev": [
                ("destinations", "dev:destinations/crm", "staging:destinations/crm"),
                ("sources", "dev:sources/warehouse", "prod:sources/warehouse-2"),
            ],
            "staging": [
                ("destinations", "staging:destinations/crm", "dev:destinations/crm"),
                ("sources", "staging:sources/warehouse", "prod:sources/warehouse"),
            ],
        }.items():
            with self.subTest(workspace=name):
                _, data = self.listing(name)
                self.assertEqual(pairs(data), sorted(expected))

    def test_listing_includes_links_stated_on_one_side_only(self):
        commit(self.repos["prod"], {"links.yaml": "destinations:\n  crm: { staging: crm }\n"}, "by hand")
        _, data = self.listing("staging")
        self.assertEqual(pairs(data), [("destinations", "staging:destinations/crm", "prod:destinations/crm")])

    def test_text_table(self):
        self.link("dev:sources/warehouse", "prod:sources/warehouse-2")
        result = self.ferry("links", "dev")
        self.assertExit(result, 0)
        rows = [l.split() for l in result.stdout.splitlines() if "dev:sources/warehouse" in l]
        self.assertEqual(len(rows), 1, result.describe())
        self.assertIn("prod:sources/warehouse-2", rows[0], result.describe())
        self.assertIn("sources", rows[0], result.describe())
        self.assertLess(rows[0].index("dev:sources/warehouse"), rows[0].index("prod:sources/warehouse-2"))
        self.assertFalse(parse_text_diagnostics(result.stderr), result.describe())

    def test_unknown_workspace(self):
        result, data = self.ferry_json("links", "qa")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "unknown-workspace")
        text = self.ferry("links", "qa")
        self.assertExit(text, 1)
        self.assertTextDiag(text, "unknown-workspace")

    def test_listing_writes_nothing(self):
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        before = self.heads()
        self.listing()
        self.listing("dev")
        self.assertEqual(self.heads(), before)


class CandidatesTest(LinkCase):
    """`ferry link A WORKSPACE` lists what A may be linked to there."""

    def setUp(self):
        super().setUp()
        self.make_link_org()

    def candidates(self, a, workspace, env=None):
        before = self.heads()
        result, data = self.ferry_json("link", a, workspace, env=env)
        self.assertExit(result, 0)
        self.assertEqual(data.get("resource"), a, result.describe())
        self.assertEqual(data.get("workspace"), workspace, result.describe())
        self.assertIsInstance(data.get("candidates"), list, result.describe())
        for c in data["candidates"]:
            self.assertEqual(set(c), {"address", "id", "name", "type"}, result.describe())
            self.assertEqual(c["address"], "%s:%s/%s" % (workspace, a.split(":")[1].split("/")[0], c["id"]))
        self.assertEqual(self.heads(), before, "listing candidates links nothing")
        return result, data

    def test_same_kind_and_type(self):
        result, data = self.candidates("dev:sources/warehouse", "prod")
        self.assertEqual(
            sorted((c["address"], c["id"], c["name"], c["type"]) for c in data["candidates"]),
            [
                ("prod:sources/warehouse", "warehouse", "Warehouse", "snowflake"),
                ("prod:sources/warehouse-2", "warehouse-2", "Warehouse two", "snowflake"),
            ],
        )
        _, data = self.candidates("dev:destinations/crm", "prod")
        self.assertEqual([c["address"] for c in data["candidates"]], ["prod:destinations/crm"])
        _, data = self.candidates("dev:sources/app-db", "staging")
        self.assertEqual([c["address"] for c in data["candidates"]], ["staging:sources/app-db"])

    def test_linked_resources_are_not_candidates(self):
        self.link("dev:sources/warehouse-2", "prod:sources/warehouse")
        _, data = self.candidates("dev:sources/warehouse", "prod")
        self.assertEqual([c["address"] for c in data["candidates"]], ["prod:sources/warehouse-2"])
        # A link to staging does not count against dev.
        self.link("staging:sources/warehouse", "prod:sources/warehouse-2")
        _, data = self.candidates("dev:sources/warehouse", "prod")
        self.assertEqual([c["address"] for c in data["candidates"]], ["prod:sources/warehouse-2"])
        self.link("dev:sources/warehouse", "prod:sources/warehouse-2")
        _, data = self.candidates("dev:sources/app-db", "prod")
        self.assertEqual([c["address"] for c in data["candidates"]], ["prod:sources/app-db"])
        _, data = self.candidates("dev:sources/warehouse-2", "prod")
        self.assertEqual(data["candidates"], [], "dev:sources/warehouse-2 is linked in prod already")
        _, data = self.candidates("dev:sources/warehouse", "staging")
        self.assertEqual(
            sorted(c["address"] for c in data["candidates"]),
            ["staging:sources/warehouse", "staging:sources/warehouse-2"],
        )

    def test_an_already_linked_resource_has_no_candidates(self):
        self.link("dev:sources/warehouse", "prod:sources/warehouse")
        _, data = self.candidates("dev:sources/warehouse", "prod")
        self.assertEqual(data["candidates"], [])

    def test_no_candidate_of_that_type(self):
        _, data = self.candidates("dev:destinations/hubspot", "prod")
        self.assertEqual([c["address"] for c in data["candidates"]], ["prod:destinations/hubspot"])
        commit(self.repos["prod"], {"destinations/hubspot.yaml": None}, "drop hubspot")
        _, data = self.candidates("dev:destinations/hubspot", "prod")
        self.assertEqual(data["candidates"], [])

    def test_text_lists_the_candidates(self):
        result = self.ferry("link", "dev:sources/warehouse", "prod")
        self.assertExit(result, 0)
        self.assertIn("prod:sources/warehouse", result.stdout, result.describe())
        self.assertIn("prod:sources/warehouse-2", result.stdout, result.describe())
        self.assertNotIn("prod:sources/lake", result.stdout, result.describe())
        self.assertNotIn("prod:sources/app-db", result.stdout, result.describe())

    def test_models_cannot_be_linked(self):
        result, data = self.ferry_json("link", "dev:models/active-users", "prod")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "link-kind-not-allowed")
        self.assertFalse(data.get("candidates"), result.describe())

    def test_audiences_cannot_be_linked(self):
        result, data = self.ferry_json("link", "dev:audiences/vip", "prod")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "link-kind-not-allowed")

    def test_unknown_resource(self):
        result, data = self.ferry_json("link", "dev:sources/nosuch", "prod")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "unknown-resource", address="dev:sources/nosuch")
        text = self.ferry("link", "dev:sources/nosuch", "prod")
        self.assertExit(text, 1)
        self.assertTextDiag(text, "unknown-resource")

    def test_unknown_workspace(self):
        result, data = self.ferry_json("link", "dev:sources/warehouse", "qa")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "unknown-workspace")

    def test_actor_who_may_not_edit_gets_no_candidates(self):
        result, data = self.ferry_json("link", "dev:sources/warehouse", "prod", env={"FERRY_ACTOR": "zed@acme.com"})
        self.assertFalse(data.get("candidates"), result.describe())
        codes = [d["code"] for d in data["errors"] + data["warnings"]]
        self.assertIn("permission-denied", codes, result.describe())


class SamplesLinkTest(LinkCase):
    """The bundled sample organization (alice@acme.com admin everywhere)."""

    def test_link_in_the_samples(self):
        subprocess.run(["bash", str(SOURCE_DIR / "samples" / "make-repos.sh"), "--force", str(self.tmp / "acme")],
                       check=True, stdout=subprocess.DEVNULL)
        cwd = self.tmp / "acme"
        for ws in ("dev", "staging", "prod"):
            self.repos[ws] = cwd / ("acme-" + ws)
            self.paths[ws] = "."
        result, data = self.ferry_json("link", "dev:sources/app-db-dev", "prod", cwd=cwd)
        self.assertExit(result, 0)
        self.assertEqual([c["address"] for c in data["candidates"]], ["prod:sources/app-db"])
        result, data = self.ferry_json("link", "dev:sources/app-db-dev", "prod:sources/app-db", cwd=cwd,
                                       env={"SOURCE_DATE_EPOCH": EPOCH})
        self.assertExit(result, 0)
        self.assertCommits(result, data, ["dev", "prod"])
        self.assertFsck()
        self.assertIn("  app-db-dev: { prod: app-db }\n", self.links_yaml("dev"))
        self.assertIn("  app-db: { dev: app-db-dev }\n", self.links_yaml("prod"))
        # The committer is the repository's own identity when it has one.
        meta = self.commit_meta("dev")
        configured = git(self.repos["dev"], "config", "--local", "--default", "ferry@localhost", "--get", "user.email")
        self.assertEqual((meta["author_email"], meta["committer_email"]), (ALICE, configured), meta)
        self.assertEqual((meta["author_time"], meta["committer_time"]), (EPOCH, EPOCH), meta)
        self.assertEqual(self.ferry("validate", cwd=cwd).returncode, 0)
        for ws in ("dev", "prod"):
            self.assertEqual(git(self.repos[ws], "status", "--porcelain"), "", "the checked-out work tree follows")
        result, data = self.ferry_json("links", "dev", cwd=cwd)
        self.assertIn({"kind": "sources", "a": "dev:sources/app-db-dev", "b": "prod:sources/app-db"}, data["links"])
        result, data = self.ferry_json("unlink", "dev:sources/app-db-dev", "prod:sources/app-db", cwd=cwd)
        self.assertExit(result, 0)
        self.assertFsck()
        # The sample's own file, rewritten by ferry: the same links, after the schema line.
        self.assertEqual(self.links_yaml("dev"), LINKS + file_at(self.repos["dev"], "main~2", "links.yaml"))


if __name__ == "__main__":
    unittest.main()
