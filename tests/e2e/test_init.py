"""`ferry init WORKSPACE --org NAME`: a new workspace tree in an existing
repository, committed through the write path, and the ferry.yaml entry to
add."""

import json
import re
import unittest

from harness import (
    git_fsck,
    IsolatedEnvCase,
    SOURCE_DIR,
    commit,
    commit_info,
    file_at,
    git,
    head,
    isolated_env,
    make_repo,
    parse_text_diagnostics,
    schema_line,
    tree_listing,
    valid_tree,
    worktree_status,
    write_config,
)

KINDS = ("sources", "destinations", "models", "syncs", "audiences")
# What `ferry init` puts in .ferry/schemas/: what the first line of the
# files ferry writes names.
SCHEMA_FILES = {".ferry/schemas/%s.schema.json" % s for s in (
    "workspace", "source", "destination", "model", "sync", "audience", "links", "draft-model", "draft-sync")}


def workspace_file(name, organization, admin):
    return schema_line("workspace.schema.json") + "name: %s\norganization: %s\nmembers:\n  %s: admin\n" % (
        name,
        organization,
        admin,
    )


def snippet(stdout):
    """The `workspaces:` block init printed, as ferry.yaml text."""
    m = re.search(r"^workspaces:\n(?:  .*\n)+", stdout, re.M)
    return m.group(0) if m else None


class InitTest(IsolatedEnvCase):
    def setUp(self):
        super().setUp()
        self.base_env = isolated_env(self.tmp / "home")
        self.repo = make_repo(self.tmp / "acme-dev", {"README.md": "acme dev\n"})
        git(self.repo, "config", "user.email", "alice@acme.com")
        git(self.repo, "config", "user.name", "Alice")

    def test_scaffolds_a_tree_committed_on_the_branch(self):
        before = head(self.repo)
        result = self.ferry("init", "dev", "--org", "acme", cwd=self.repo)
        self.assertExit(result, 0)
        after = head(self.repo)
        self.assertNotEqual(before, after)
        self.assertEqual(commit_info(self.repo)["parents"], [before])
        self.assertEqual(file_at(self.repo, "main", "workspace.yaml"), workspace_file("dev", "acme", "alice@acme.com"))
        files = set(tree_listing(self.repo))
        self.assertEqual(files, {"README.md", "workspace.yaml"} | {k + "/.gitkeep" for k in KINDS} | SCHEMA_FILES)
        for kind in KINDS:
            self.assertEqual(file_at(self.repo, "main", kind + "/.gitkeep"), "")
        # SPEC 7: the schemas the first line of written files names, byte for byte the shipped ones.
        for name in ("workspace", "model", "links"):
            self.assertEqual(file_at(self.repo, "main", ".ferry/schemas/%s.schema.json" % name),
                             (SOURCE_DIR / "schemas" / ("%s.schema.json" % name)).read_text())
        self.assertIn('"draft"', file_at(self.repo, "main", ".ferry/schemas/draft-sync.schema.json"))
        info = commit_info(self.repo)
        self.assertEqual(info["author_email"], "alice@acme.com")
        self.assertEqual(info["author_name"], "Alice")
        self.assertTrue(info["message"].startswith("Create workspace dev (organization acme)"), info["message"])
        self.assertIn("Ferry-Actor: alice@acme.com", info["message"])
        # The checked-out, clean work tree follows the branch.
        self.assertEqual(worktree_status(self.repo), [])
        self.assertEqual((self.repo / "workspace.yaml").read_text(), workspace_file("dev", "acme", "alice@acme.com"))
        self.assertIn("Created workspace dev", result.stdout)
        self.assertIn("ferry validate dev", result.stdout)

    def test_the_printed_entry_makes_a_valid_workspace(self):
        result = self.ferry("init", "dev", "--org", "acme", cwd=self.repo)
        self.assertExit(result, 0)
        entry = snippet(result.stdout)
        self.assertIsNotNone(entry, result.describe())
        self.assertIn("repo: %s" % self.repo, entry, "no ferry.yaml was found: the path is absolute")
        write_config(self.tmp, entry)
        result, data = self.ferry_json("validate", "dev")
        self.assertExit(result, 0)
        self.assertEqual(data["workspaces"][0]["resources"], 0)
        self.assertEqual(data["errors"], [])
        self.assertEqual(data["warnings"], [])

    def test_the_entry_is_relative_to_the_ferry_yaml_found(self):
        write_config(self.tmp, "workspaces:\n  other:\n    repo: other\n")
        result = self.ferry("init", "dev", "--org", "acme", cwd=self.repo)
        self.assertExit(result, 0)
        self.assertIn(str(self.tmp / "ferry.yaml"), result.stdout)
        self.assertIn("workspaces:\n  dev:\n    repo: acme-dev\n", result.stdout)

    def test_a_repository_without_commits(self):
        empty = make_repo(self.tmp / "fresh")
        result = self.ferry("init", "dev", "--org", "acme", "--actor", "bob@acme.com", cwd=empty)
        self.assertExit(result, 0)
        self.assertEqual(commit_info(empty)["parents"], [])
        self.assertEqual(file_at(empty, "main", "workspace.yaml"), workspace_file("dev", "acme", "bob@acme.com"))
        self.assertEqual(worktree_status(empty), [])

    def test_a_bare_repository_named_with_repo(self):
        bare = self.tmp / "acme-prod.git"
        git(self.tmp, "clone", "-q", "--bare", str(self.repo), str(bare))
        result = self.ferry("init", "prod", "--org", "acme", "--repo", bare, "--name", "Production",
                            env={"FERRY_ACTOR": "carol@acme.com"})
        self.assertExit(result, 0)
        self.assertEqual(file_at(bare, "main", "workspace.yaml"), workspace_file("Production", "acme", "carol@acme.com"))
        self.assertIn("repo: %s\n" % bare, result.stdout)

    def test_the_current_folder_of_a_monorepo(self):
        (self.repo / "staging").mkdir()
        result = self.ferry("init", "staging", "--org", "acme", cwd=self.repo / "staging")
        self.assertExit(result, 0)
        self.assertIsNotNone(file_at(self.repo, "main", "staging/workspace.yaml"))
        self.assertIsNone(file_at(self.repo, "main", "workspace.yaml"))
        self.assertIn("    path: staging\n", result.stdout)

    def test_path_names_the_folder(self):
        result = self.ferry("init", "qa", "--org", "acme", "--repo", self.repo, "--path", "envs/qa/")
        self.assertExit(result, 0)
        self.assertIsNotNone(file_at(self.repo, "main", "envs/qa/workspace.yaml"))
        self.assertIsNotNone(file_at(self.repo, "main", "envs/qa/models/.gitkeep"))
        self.assertIn("    path: envs/qa\n", result.stdout)

    def test_a_workspace_ferry_yaml_already_names(self):
        write_config(self.tmp, {"dev": {"repo": "acme-dev", "path": "dev"}})
        result = self.ferry("init", "dev", "--org", "acme")
        self.assertExit(result, 0)
        self.assertIsNotNone(file_at(self.repo, "main", "dev/workspace.yaml"))
        self.assertIsNone(snippet(result.stdout), "ferry.yaml names it already")
        self.assertExit(self.ferry("validate", "dev"), 0)
        # Its repo and path come from ferry.yaml.
        self.assertExit(self.ferry("init", "dev", "--org", "acme", "--path", "elsewhere"), 64)

    def test_kind_folders_with_files_get_no_placeholder(self):
        commit(self.repo, {"models/users.yaml": "name: Users\n"})
        self.assertExit(self.ferry("init", "dev", "--org", "acme", cwd=self.repo), 0)
        self.assertIsNone(file_at(self.repo, "main", "models/.gitkeep"))
        self.assertIsNotNone(file_at(self.repo, "main", "sources/.gitkeep"))

    def test_branch_writes_a_new_branch(self):
        before = head(self.repo)
        result = self.ferry("init", "dev", "--org", "acme", "--branch", "add-dev", cwd=self.repo)
        self.assertExit(result, 0)
        self.assertEqual(head(self.repo, "main"), before, "main is untouched")
        self.assertIsNotNone(file_at(self.repo, "add-dev", "workspace.yaml"))
        self.assertIn("add-dev", result.stdout)

    def test_an_existing_workspace_is_refused(self):
        commit(self.repo, valid_tree())
        before = head(self.repo)
        result = self.ferry("init", "dev", "--org", "acme", cwd=self.repo)
        self.assertExit(result, 1)
        self.assertTextDiag(result, "target-exists")
        self.assertIn("ferry validate", result.stderr)
        self.assertEqual(head(self.repo), before)
        # Initialized once, refused the second time.
        mono = make_repo(self.tmp / "mono", {"README.md": "x\n"})
        self.assertExit(self.ferry("init", "a", "--org", "acme", "--repo", mono, "--path", "a",
                                   "--actor", "a@acme.com"), 0)
        self.assertExit(self.ferry("init", "a", "--org", "acme", "--repo", mono, "--path", "a",
                                   "--actor", "a@acme.com"), 1)

    def test_no_actor(self):
        git(self.repo, "config", "--unset", "user.email")
        result = self.ferry("init", "dev", "--org", "acme", cwd=self.repo)
        self.assertExit(result, 1)
        self.assertTextDiag(result, "permission-denied")
        self.assertIn("--actor", result.stderr)

    def test_uncommitted_changes_in_the_way_refuse_the_write(self):
        before = head(self.repo)
        (self.repo / "workspace.yaml").write_text("organization: mine\n")
        result = self.ferry("init", "dev", "--org", "acme", cwd=self.repo)
        self.assertExit(result, 1)
        self.assertTextDiag(result, "worktree-dirty")
        self.assertEqual(head(self.repo), before)
        self.assertEqual((self.repo / "workspace.yaml").read_text(), "organization: mine\n")

    def test_not_in_a_repository(self):
        folder = self.tmp / "plain"
        folder.mkdir()
        result = self.ferry("init", "dev", "--org", "acme", cwd=folder)
        self.assertExit(result, 1)
        self.assertIn("git init", result.stderr)

    def test_usage_errors(self):
        for args in (("init", "Dev", "--org", "acme"), ("init", "dev"), ("init", "--org", "acme"),
                     ("init", "dev", "--org", "acme", "--path", "../up")):
            with self.subTest(args=args):
                self.assertExit(self.ferry(*args, cwd=self.repo), 64)
        self.assertEqual(len(tree_listing(self.repo)), 1, "nothing was written")

    def test_a_folder_named_as_gits_own_files_is_refused(self):
        # A tree with a folder .gitmodules fails git fsck --strict, and some
        # hosts refuse to receive it.
        for path in (".gitmodules", "a/.GITATTRIBUTES", ".git", "x/.mailmap/y"):
            with self.subTest(path=path):
                self.assertExit(self.ferry("init", "dev", "--org", "acme", "--path", path, cwd=self.repo), 64)
        self.assertEqual(len(tree_listing(self.repo)), 1, "nothing was written")
        rc, out = git_fsck(self.repo)
        self.assertEqual(rc, 0, out)
        # A name that merely starts like one is fine.
        self.assertExit(self.ferry("init", "dev", "--org", "acme", "--path", ".github-envs/dev", cwd=self.repo), 0)

    def test_json(self):
        result, data = self.ferry_json("init", "dev", "--org", "acme", cwd=self.repo)
        self.assertExit(result, 0)
        self.assertEqual(data["commits"], [{"workspace": "dev", "commit": head(self.repo)}])
        self.assertIn("workspace.yaml", data["files"])
        self.assertTrue(data["ferry_yaml"].startswith("workspaces:\n  dev:\n"))
        self.assertEqual(data["errors"], [])


class HintsTest(IsolatedEnvCase):
    """Errors that a newcomer meets first say what to run next."""

    def setUp(self):
        super().setUp()
        self.base_env = isolated_env(self.tmp / "home")

    def test_no_ferry_yaml_suggests_init(self):
        result = self.ferry("validate")
        self.assertExit(result, 1)
        self.assertTextDiag(result, "config")
        self.assertIn("ferry init", result.stderr)
        # A file named explicitly and missing: no guessing.
        result = self.ferry("validate", "--config", self.tmp / "nope.yaml")
        self.assertNotIn("ferry init", result.stderr)

    def test_unknown_workspace_lists_the_known_ones(self):
        self.make_org({"dev": valid_tree(), "prod": valid_tree()})
        result = self.ferry("validate", "prd")
        self.assertExit(result, 1)
        self.assertTextDiag(result, "unknown-workspace")
        self.assertIn("did you mean 'prod'?", result.stderr)
        self.assertIn("dev, prod", result.stderr)
        result, data = self.ferry_json("reconcile", "--from", "dev", "--to", "qa", "--dry-run")
        self.assertExit(result, 1)
        hint = data["errors"][0]["hint"]
        self.assertIn("dev, prod", hint)
        self.assertIn("ferry init qa", hint)

    def test_every_command_gives_the_hint(self):
        self.make_org({"dev": valid_tree(), "prod": valid_tree()})
        for args in (("links", "prd"), ("link", "prd:sources/warehouse", "dev:sources/warehouse"),
                     ("unlink", "prd:sources/warehouse", "dev:sources/warehouse"),
                     ("publish", "prd:models/active-users"), ("history", "prd:models/active-users"),
                     ("reconcile", "--from", "prd", "--to", "dev")):
            with self.subTest(args=args):
                result = self.ferry(*args, "--actor", "alice@acme.com")
                self.assertExit(result, 1)
                diags = parse_text_diagnostics(result.stderr)
                self.assertEqual([d["code"] for d in diags], ["unknown-workspace"], result.describe())
                self.assertIn("did you mean 'prod'?", result.stderr)


if __name__ == "__main__":
    unittest.main()
