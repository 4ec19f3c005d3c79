"""The write path (SPEC 4.2) through `ferry link` / `ferry unlink`: a commit
built from the branch tip without a checkout, the branch moved by
compare-and-swap, a checked-out branch's work tree kept in step when clean
and the write refused (`worktree-dirty`) when it has uncommitted changes,
with nothing written anywhere then; bare repositories; a branch that is not
checked out; and many writers at once.

Every repository is checked with `git fsck --strict` after every write."""

import json
import os
import subprocess
import time
import unittest
from pathlib import Path

from harness import (
    many_models,
    DeployCase,
    wait_all,
    IsolatedEnvCase,
    FERRY_BIN,
    FerryTestCase,
    changed_paths,
    commit,
    ferry_env,
    file_at,
    git,
    git_fsck,
    head,
    isolated_env,
    make_repo,
    schema_line,
    tree_listing,
    valid_tree,
    workspace_yaml,
    write_config,
    worktree_status,
)

ALICE = "alice@acme.com"
# links.yaml as ferry writes it: the schema line for editors, then the links.
LINKS = schema_line("links.schema.json")
DEV_LINK = LINKS + "sources:\n  warehouse: { prod: warehouse }\n"
PROD_LINK = LINKS + "sources:\n  warehouse: { dev: warehouse }\n"


def numbered_tree(count, organization="acme"):
    """workspace.yaml and `count` snowflake sources s0, s1, ..."""
    tree = {"workspace.yaml": workspace_yaml(organization)}
    for i in range(count):
        tree["sources/s%d.yaml" % i] = "name: Source %d\ntype: snowflake\n" % i
    return tree


def numbered_links(other, ids):
    return LINKS + "sources:\n" + "".join("  %s: { %s: %s }\n" % (i, other, i) for i in sorted(ids))


class WriteCase(IsolatedEnvCase):
    def setUp(self):
        super().setUp()
        self.base_env = isolated_env(self.tmp / "home", {"FERRY_ACTOR": ALICE})
        self.repos = {}
        self.paths = {}


    # ---- organizations

    def org(self, trees=None, configs=None, folder=None):
        """dev and prod (valid trees), one non-bare repository each, main
        checked out."""
        folder = Path(folder or self.tmp)
        trees = trees or {"dev": valid_tree(), "prod": valid_tree()}
        self.make_org(trees, configs, folder=folder)
        for name in trees:
            self.repos[name] = folder / name
            self.paths[name] = (configs or {}).get(name, {}).get("path", ".")
        return folder

    def bare_org(self, trees=None, folder=None):
        """The same, but each repository is a bare clone (name.git)."""
        folder = Path(folder or self.tmp)
        trees = trees or {"dev": valid_tree(), "prod": valid_tree()}
        workspaces = {}
        for name, tree in trees.items():
            make_repo(folder / ("src-" + name), tree)
            git(folder, "clone", "-q", "--bare", str(folder / ("src-" + name)), str(folder / (name + ".git")))
            self.repos[name] = folder / (name + ".git")
            self.paths[name] = "."
            workspaces[name] = {"repo": name + ".git", "branch": "main"}
        write_config(folder, workspaces)
        return folder

    # ---- repositories

    def links_path(self, name):
        return "links.yaml" if self.paths[name] in (".", "") else "%s/links.yaml" % self.paths[name]

    def links_yaml(self, name, rev="refs/heads/main"):
        return file_at(self.repos[name], rev, self.links_path(name))

    def heads(self):
        return {name: head(repo, "refs/heads/main") for name, repo in self.repos.items()}

    def assertFsck(self):
        for repo in sorted(set(self.repos.values())):
            rc, out = git_fsck(repo)
            self.assertEqual(rc, 0, "git fsck --strict failed in %s:\n%s" % (repo, out))

    def assertCleanAndCurrent(self, name):
        """The work tree and index of a checked-out main match the branch."""
        repo = self.repos[name]
        self.assertEqual(git(repo, "symbolic-ref", "HEAD"), "refs/heads/main")
        self.assertEqual(worktree_status(repo), [], "git status is clean in %s" % name)
        on_disk = repo / self.links_path(name)
        committed = self.links_yaml(name)
        if committed is None:
            self.assertFalse(on_disk.exists(), "%s is gone from the work tree too" % on_disk)
        else:
            self.assertEqual(on_disk.read_text(), committed, "the work tree shows the new links.yaml")

    def assertRefusedDirty(self, command, a, b):
        """The write is refused with worktree-dirty (JSON and text), exit 1,
        and no branch moves."""
        before = self.heads()
        result, data = self.ferry_json(command, a, b)
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "worktree-dirty")
        self.assertEqual(data.get("commits", []), [], result.describe())
        self.assertEqual(self.heads(), before, "nothing is written to any repository\n" + result.describe())
        text = self.ferry(command, a, b)
        self.assertExit(text, 1)
        self.assertTextDiag(text, "worktree-dirty")
        self.assertEqual(self.heads(), before, "nothing is written to any repository\n" + text.describe())
        self.assertFsck()
        return result, data

    def link(self, a="dev:sources/warehouse", b="prod:sources/warehouse", env=None, cwd=None):
        result, data = self.ferry_json("link", a, b, env=env, cwd=cwd)
        self.assertExit(result, 0)
        self.assertEqual(data["errors"], [], result.describe())
        self.assertFsck()
        return result, data

    def unlink(self, a="dev:sources/warehouse", b="prod:sources/warehouse", env=None, cwd=None):
        result, data = self.ferry_json("unlink", a, b, env=env, cwd=cwd)
        self.assertExit(result, 0)
        self.assertEqual(data["errors"], [], result.describe())
        self.assertFsck()
        return result, data


# --------------------------------------------------------------------------


class CheckedOutCleanTest(WriteCase):
    def setUp(self):
        super().setUp()
        self.org()

    def test_clean_work_tree_follows_the_branch(self):
        before = self.heads()
        self.link()
        for name in ("dev", "prod"):
            self.assertNotEqual(self.heads()[name], before[name])
            self.assertCleanAndCurrent(name)
        self.assertEqual((self.repos["dev"] / "links.yaml").read_text(), DEV_LINK)
        self.assertEqual((self.repos["prod"] / "links.yaml").read_text(), PROD_LINK)
        self.assertEqual(git(self.repos["dev"], "rev-parse", "HEAD"), self.heads()["dev"])

    def test_unlink_removes_the_file_from_the_work_tree(self):
        self.link()
        self.unlink()
        for name in ("dev", "prod"):
            self.assertIsNone(self.links_yaml(name))
            self.assertCleanAndCurrent(name)

    def test_successive_writes_keep_the_work_tree_current(self):
        self.link()
        self.link("dev:destinations/crm", "prod:destinations/crm")
        self.unlink()
        for name in ("dev", "prod"):
            self.assertCleanAndCurrent(name)
        self.assertEqual((self.repos["dev"] / "links.yaml").read_text(), LINKS + "destinations:\n  crm: { prod: crm }\n")

    def test_other_files_in_the_work_tree_are_untouched(self):
        before = {p: (self.repos["dev"] / p).read_bytes() for p in tree_listing(self.repos["dev"])}
        self.link()
        for p, content in before.items():
            self.assertEqual((self.repos["dev"] / p).read_bytes(), content, p)

    def test_untracked_unrelated_file_is_fine(self):
        write = {"notes.txt": "my notes\n", "sources/wip.txt": "not yaml\n"}
        for rel, content in write.items():
            (self.repos["dev"] / rel).write_text(content)
        self.link()
        for rel, content in write.items():
            self.assertEqual((self.repos["dev"] / rel).read_text(), content)
        self.assertEqual(sorted(worktree_status(self.repos["dev"])), ["?? notes.txt", "?? sources/wip.txt"])
        self.assertEqual((self.repos["dev"] / "links.yaml").read_text(), DEV_LINK)
        self.assertEqual(self.links_yaml("dev"), DEV_LINK)
        self.assertCleanAndCurrent("prod")

    def test_ignored_file_is_fine(self):
        commit(self.repos["dev"], {".gitignore": "*.local\n"}, "ignore")
        (self.repos["dev"] / "secrets.local").write_text("x\n")
        self.link()
        self.assertEqual((self.repos["dev"] / "secrets.local").read_text(), "x\n")
        self.assertCleanAndCurrent("dev")

    def test_touched_but_unchanged_file_is_clean(self):
        path = self.repos["dev"] / "sources" / "warehouse.yaml"
        future = time.time() + 5
        os.utime(path, (future, future))
        self.link()
        self.assertCleanAndCurrent("dev")


class DirtyWorkTreeTest(WriteCase):
    """Uncommitted changes to tracked files: refused, nothing written
    anywhere, the user's changes untouched."""

    def setUp(self):
        super().setUp()
        self.org()
        self.warehouse = self.repos["dev"] / "sources" / "warehouse.yaml"
        self.original = self.warehouse.read_text()
        self.edited = self.original + "# my edit\n"

    def assertNothingWritten(self):
        for name in ("dev", "prod"):
            self.assertIsNone(self.links_yaml(name), "%s's branch has no links.yaml" % name)
        self.assertFalse((self.repos["prod"] / "links.yaml").exists())

    def test_modified_tracked_file(self):
        self.warehouse.write_text(self.edited)
        self.assertRefusedDirty("link", "dev:sources/warehouse", "prod:sources/warehouse")
        self.assertEqual(self.warehouse.read_text(), self.edited, "the user's change is untouched")
        self.assertEqual(worktree_status(self.repos["dev"]), [" M sources/warehouse.yaml"])
        self.assertEqual(worktree_status(self.repos["prod"]), [])
        self.assertNothingWritten()

    def test_dirty_second_repository_writes_nothing_to_the_first(self):
        prod_file = self.repos["prod"] / "destinations" / "crm.yaml"
        prod_file.write_text(prod_file.read_text() + "# wip\n")
        for a, b in [("dev:sources/warehouse", "prod:sources/warehouse"), ("prod:sources/warehouse", "dev:sources/warehouse")]:
            with self.subTest(order=(a, b)):
                self.assertRefusedDirty("link", a, b)
                self.assertNothingWritten()
                self.assertEqual(worktree_status(self.repos["dev"]), [])
        self.assertTrue(prod_file.read_text().endswith("# wip\n"))

    def test_staged_change(self):
        self.warehouse.write_text(self.edited)
        git(self.repos["dev"], "add", "sources/warehouse.yaml")
        self.assertRefusedDirty("link", "dev:sources/warehouse", "prod:sources/warehouse")
        self.assertEqual(worktree_status(self.repos["dev"]), ["M  sources/warehouse.yaml"])
        self.assertEqual(self.warehouse.read_text(), self.edited)
        self.assertNothingWritten()

    def test_deleted_tracked_file(self):
        self.warehouse.unlink()
        self.assertRefusedDirty("link", "dev:sources/warehouse", "prod:sources/warehouse")
        self.assertFalse(self.warehouse.exists())
        self.assertEqual(worktree_status(self.repos["dev"]), [" D sources/warehouse.yaml"])
        self.assertNothingWritten()

    def test_modified_links_yaml(self):
        self.link("dev:destinations/crm", "prod:destinations/crm")
        mine = "destinations:\n  crm: { prod: crm }\n# edited by hand\n"
        (self.repos["dev"] / "links.yaml").write_text(mine)
        before = {n: self.links_yaml(n) for n in ("dev", "prod")}
        self.assertRefusedDirty("link", "dev:sources/warehouse", "prod:sources/warehouse")
        self.assertEqual((self.repos["dev"] / "links.yaml").read_text(), mine)
        self.assertEqual({n: self.links_yaml(n) for n in ("dev", "prod")}, before)

    def test_untracked_file_where_ferry_would_write(self):
        (self.repos["dev"] / "links.yaml").write_text("# mine, not committed\n")
        self.assertRefusedDirty("link", "dev:sources/warehouse", "prod:sources/warehouse")
        self.assertEqual((self.repos["dev"] / "links.yaml").read_text(), "# mine, not committed\n")
        self.assertNothingWritten()

    def test_unlink_is_refused_too(self):
        self.link()
        before = {n: self.links_yaml(n) for n in ("dev", "prod")}
        (self.repos["prod"] / "workspace.yaml").write_text(workspace_yaml() + "# wip\n")
        self.assertRefusedDirty("unlink", "dev:sources/warehouse", "prod:sources/warehouse")
        self.assertEqual({n: self.links_yaml(n) for n in ("dev", "prod")}, before)
        self.assertEqual((self.repos["dev"] / "links.yaml").read_text(), DEV_LINK)
        self.assertCleanAndCurrent("dev")

    def test_write_succeeds_once_the_change_is_committed(self):
        self.warehouse.write_text(self.edited)
        self.assertRefusedDirty("link", "dev:sources/warehouse", "prod:sources/warehouse")
        commit(self.repos["dev"], message="my edit")
        self.link()
        self.assertCleanAndCurrent("dev")
        self.assertEqual(self.warehouse.read_text(), self.edited)
        self.assertEqual(self.links_yaml("dev"), DEV_LINK)


class MonorepoWorkTreeTest(WriteCase):
    def setUp(self):
        super().setUp()
        files = {"README.md": "monorepo\n", "tools/run.sh": "#!/bin/sh\necho hi\n"}
        for name in ("dev", "prod"):
            for rel, content in valid_tree().items():
                files["%s/%s" % (name, rel)] = content
        make_repo(self.tmp / "mono", files)
        os.chmod(self.tmp / "mono" / "tools" / "run.sh", 0o755)
        os.symlink("../README.md", self.tmp / "mono" / "tools" / "readme")
        commit(self.tmp / "mono", message="tools")
        write_config(self.tmp, {"dev": {"repo": "mono", "path": "dev"}, "prod": {"repo": "mono", "path": "prod"}})
        self.repos = {"dev": self.tmp / "mono", "prod": self.tmp / "mono"}
        self.paths = {"dev": "dev", "prod": "prod"}

    def test_one_commit_and_the_work_tree_follows(self):
        mono = self.tmp / "mono"
        before_tree = tree_listing(mono)
        before = head(mono)
        result, data = self.link()
        self.assertEqual(sorted(e["workspace"] for e in data["commits"]), ["dev", "prod"])
        self.assertEqual(len({e["commit"] for e in data["commits"]}), 1, result.describe())
        self.assertEqual(git(mono, "rev-parse", "HEAD~1"), before)
        self.assertEqual(changed_paths(mono, "HEAD"), ["dev/links.yaml", "prod/links.yaml"])
        after_tree = tree_listing(mono)
        for p in ("dev/links.yaml", "prod/links.yaml"):
            del after_tree[p]
        self.assertEqual(after_tree, before_tree, "modes, symlinks and other files are kept")
        self.assertEqual(before_tree["tools/run.sh"][0], "100755")
        self.assertEqual(before_tree["tools/readme"][0], "120000")
        self.assertEqual(worktree_status(mono), [])
        self.assertEqual((mono / "dev" / "links.yaml").read_text(), DEV_LINK)
        self.assertEqual((mono / "prod" / "links.yaml").read_text(), PROD_LINK)
        self.assertTrue(os.access(mono / "tools" / "run.sh", os.X_OK))
        self.assertTrue((mono / "tools" / "readme").is_symlink())

    def test_dirty_anywhere_in_the_repository_refuses(self):
        mono = self.tmp / "mono"
        (mono / "README.md").write_text("monorepo, edited\n")
        self.assertRefusedDirty("link", "dev:sources/warehouse", "prod:sources/warehouse")
        self.assertEqual((mono / "README.md").read_text(), "monorepo, edited\n")
        self.assertEqual(worktree_status(mono), [" M README.md"])
        self.assertIsNone(file_at(mono, "HEAD", "dev/links.yaml"))


class FailedWriteTest(WriteCase):
    """A write that fails leaves no moved branch behind (SPEC 4.2)."""

    def setUp(self):
        super().setUp()
        self.org()

    def lock(self, name):
        lock = self.repos[name] / ".git" / "refs" / "heads" / "main.lock"
        lock.write_text("")
        self.addCleanup(lambda: lock.unlink() if lock.exists() else None)
        return lock

    def assertFailedCleanly(self):
        before = self.heads()
        result, data = self.ferry_json("link", "dev:sources/warehouse", "prod:sources/warehouse")
        self.assertExit(result, 1)
        self.assertTrue(data["errors"], result.describe())
        self.assertEqual(self.heads(), before, "no branch moved\n" + result.describe())
        for name in ("dev", "prod"):
            self.assertEqual(worktree_status(self.repos[name]), [])
            self.assertFalse((self.repos[name] / "links.yaml").exists())
        self.assertFsck()

    def test_locked_branch_in_the_first_repository(self):
        self.lock("dev")
        self.assertFailedCleanly()

    def test_locked_branch_in_the_second_repository(self):
        self.lock("prod")
        self.assertFailedCleanly()

    def test_works_again_once_the_lock_is_gone(self):
        lock = self.lock("dev")
        self.assertFailedCleanly()
        lock.unlink()
        self.link()
        self.assertCleanAndCurrent("dev")
        self.assertCleanAndCurrent("prod")


class BareRepositoryTest(WriteCase):
    def test_link_and_unlink_in_bare_repositories(self):
        self.bare_org()
        before = self.heads()
        result, data = self.link()
        self.assertEqual(sorted(e["workspace"] for e in data["commits"]), ["dev", "prod"])
        for name in ("dev", "prod"):
            self.assertEqual(git(self.repos[name], "rev-parse", "main~1"), before[name])
            self.assertEqual(git(self.repos[name], "rev-parse", "--is-bare-repository"), "true")
        self.assertEqual(self.links_yaml("dev"), DEV_LINK)
        self.assertEqual(self.links_yaml("prod"), PROD_LINK)
        self.assertValid()
        self.unlink()
        self.assertIsNone(self.links_yaml("dev"))
        self.assertIsNone(self.links_yaml("prod"))

    def test_bare_and_checked_out_together(self):
        folder = self.tmp
        make_repo(folder / "src-prod", valid_tree())
        git(folder, "clone", "-q", "--bare", str(folder / "src-prod"), str(folder / "prod.git"))
        make_repo(folder / "dev", valid_tree())
        write_config(folder, {"dev": {"repo": "dev"}, "prod": {"repo": "prod.git", "branch": "main"}})
        self.repos = {"dev": folder / "dev", "prod": folder / "prod.git"}
        self.paths = {"dev": ".", "prod": "."}
        self.link()
        self.assertCleanAndCurrent("dev")
        self.assertEqual(self.links_yaml("prod"), PROD_LINK)
        # A dirty checked-out side still blocks the bare side.
        (folder / "dev" / "workspace.yaml").write_text(workspace_yaml() + "# wip\n")
        self.assertRefusedDirty("unlink", "dev:sources/warehouse", "prod:sources/warehouse")
        self.assertEqual(self.links_yaml("prod"), PROD_LINK)


class BranchNotCheckedOutTest(WriteCase):
    """Only a work tree that has the written branch checked out is touched."""

    def test_head_on_another_branch_leaves_the_work_tree_alone(self):
        self.org(configs={"dev": {"branch": "main"}, "prod": {"branch": "main"}})
        dev = self.repos["dev"]
        git(dev, "checkout", "-q", "-b", "feature")
        commit(dev, {"notes.md": "feature work\n"}, "feature")
        # Uncommitted work on the other branch does not matter either.
        (dev / "sources" / "warehouse.yaml").write_text("name: WIP\n")
        status = worktree_status(dev)
        feature = head(dev, "feature")
        self.link()
        self.assertEqual(git(dev, "symbolic-ref", "HEAD"), "refs/heads/feature")
        self.assertEqual(head(dev, "feature"), feature)
        self.assertEqual(worktree_status(dev), status)
        self.assertEqual((dev / "sources" / "warehouse.yaml").read_text(), "name: WIP\n")
        self.assertFalse((dev / "links.yaml").exists())
        self.assertEqual(self.links_yaml("dev"), DEV_LINK)
        self.assertIsNone(file_at(dev, "feature", "links.yaml"))
        self.assertCleanAndCurrent("prod")

    def test_configured_branch_other_than_head(self):
        trees = {"dev": valid_tree(), "prod": valid_tree()}
        self.org(trees, configs={"dev": {"branch": "release"}, "prod": {"branch": "release"}})
        for name in ("dev", "prod"):
            git(self.repos[name], "branch", "release")
        main_heads = self.heads()
        result, data = self.link()
        self.assertEqual(self.heads(), main_heads, "main is not the configured branch")
        for name, expected in (("dev", DEV_LINK), ("prod", PROD_LINK)):
            self.assertEqual(file_at(self.repos[name], "refs/heads/release", "links.yaml"), expected)
            self.assertEqual(worktree_status(self.repos[name]), [])
            self.assertFalse((self.repos[name] / "links.yaml").exists())
            self.assertEqual(
                {e["workspace"]: e["commit"] for e in data["commits"]}[name], head(self.repos[name], "release")
            )

    def test_detached_head_leaves_the_work_tree_alone(self):
        self.org(configs={"dev": {"branch": "main"}, "prod": {"branch": "main"}})
        dev = self.repos["dev"]
        start = head(dev)
        git(dev, "checkout", "-q", "--detach", "main")
        self.link()
        self.assertEqual(git(dev, "rev-parse", "HEAD"), start)
        self.assertNotEqual(self.heads()["dev"], start)
        self.assertEqual(worktree_status(dev), [])
        self.assertFalse((dev / "links.yaml").exists())
        self.assertEqual(self.links_yaml("dev"), DEV_LINK)


class LinkedWorkTreeTest(WriteCase):
    """`git worktree add`: the branch is checked out in a secondary work
    tree of the repository. SPEC 4.2 covers any work tree the branch is
    checked out in."""

    def setUp(self):
        super().setUp()
        self.org(configs={"dev": {"branch": "main"}, "prod": {"branch": "main"}})
        self.wt = {}
        for name in ("dev", "prod"):
            git(self.repos[name], "checkout", "-q", "-b", "other")
            self.wt[name] = self.tmp / (name + "-wt")
            git(self.repos[name], "worktree", "add", "-q", str(self.wt[name]), "main")

    def test_clean_linked_work_tree_follows_the_branch(self):
        self.link()
        for name in ("dev", "prod"):
            self.assertEqual(worktree_status(self.wt[name]), [], "the linked work tree stays clean")
            self.assertEqual(head(self.wt[name]), self.heads()[name])
        self.assertEqual((self.wt["dev"] / "links.yaml").read_text(), DEV_LINK)

    def test_dirty_linked_work_tree_refuses(self):
        path = self.wt["prod"] / "sources" / "warehouse.yaml"
        path.write_text(path.read_text() + "# wip\n")
        self.assertRefusedDirty("link", "dev:sources/warehouse", "prod:sources/warehouse")
        self.assertTrue(path.read_text().endswith("# wip\n"))


def spawn(args, cwd, env):
    return subprocess.Popen(
        [FERRY_BIN, *args], cwd=str(cwd), env=ferry_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


class ConcurrencyTest(WriteCase):
    """8 processes run `ferry link` at once for 8 different pairs against the
    same two repositories: every one succeeds (compare-and-swap and retry),
    and nothing is lost."""

    WRITERS = 8
    ROUNDS = 3

    def race(self, folder, command, pairs):
        procs = [spawn([command, a, b, "--format", "json"], folder, self.base_env) for a, b in pairs]
        outcomes = wait_all(procs, 60, "ferry " + command)
        failed = [o for o in outcomes if o[0] != 0]
        self.assertEqual(failed, [], "every concurrent %s must succeed" % command)
        for rc, out, err in outcomes:
            data = json.loads(out)
            self.assertEqual(data["errors"], [], out)

    def check_all_linked(self, folder, ids, bare):
        result, data = self.ferry_json("links", cwd=folder)
        self.assertExit(result, 0)
        got = sorted((e["kind"],) + tuple(sorted((e["a"], e["b"]))) for e in data["links"])
        self.assertEqual(got, [("sources", "dev:sources/%s" % i, "prod:sources/%s" % i) for i in sorted(ids)])
        self.assertEqual(self.links_yaml("dev"), numbered_links("prod", ids) if ids else None)
        self.assertEqual(self.links_yaml("prod"), numbered_links("dev", ids) if ids else None)
        self.assertFsck()
        if not bare:
            for name in ("dev", "prod"):
                self.assertCleanAndCurrent(name)

    def run_rounds(self, bare, monorepo=False):
        ids = ["s%d" % i for i in range(self.WRITERS)]
        pairs = [("dev:sources/%s" % i, "prod:sources/%s" % i) for i in ids]
        for n in range(self.ROUNDS):
            folder = self.tmp / ("round-%d" % n)
            trees = {"dev": numbered_tree(self.WRITERS), "prod": numbered_tree(self.WRITERS)}
            if monorepo:
                files = {"%s/%s" % (w, rel): c for w, t in trees.items() for rel, c in t.items()}
                make_repo(folder / "src-mono", files)
                git(folder, "clone", "-q", "--bare", str(folder / "src-mono"), str(folder / "mono.git"))
                write_config(folder, {"dev": {"repo": "mono.git", "path": "dev", "branch": "main"},
                                      "prod": {"repo": "mono.git", "path": "prod", "branch": "main"}})
                self.repos = {"dev": folder / "mono.git", "prod": folder / "mono.git"}
                self.paths = {"dev": "dev", "prod": "prod"}
            elif bare:
                self.bare_org(trees, folder=folder)
            else:
                self.org(trees, folder=folder)
            with self.subTest(round=n, step="link"):
                self.race(folder, "link", pairs)
                self.check_all_linked(folder, ids, bare)
            with self.subTest(round=n, step="unlink"):
                self.race(folder, "unlink", pairs[: self.WRITERS // 2])
                self.check_all_linked(folder, ids[self.WRITERS // 2:], bare)

    def test_concurrent_links_bare(self):
        self.run_rounds(bare=True)

    def test_concurrent_links_monorepo_bare(self):
        # One repository for both workspaces: every writer moves the same branch.
        self.run_rounds(bare=True, monorepo=True)

    def test_concurrent_links_checked_out(self):
        self.run_rounds(bare=False)


class LargeWriteTest(DeployCase):
    """A write of 100 files or more (git's own transfer.unpackLimit) reaches
    the repository as one pack instead of a loose object per file; the work
    tree is written as git would check it out, with the filters an
    attributes file asks for."""

    MODELS = 150

    def models(self):
        return many_models(self.MODELS)

    def objects(self, repo):
        counts = dict(line.split(": ") for line in git(repo, "count-objects", "-v").splitlines())
        return int(counts["count"]), int(counts["in-pack"])

    def deploy(self, select="models/m*"):
        result = self.ferry("reconcile", "--from", "dev", "--to", "prod", "--select", select)
        self.assertExit(result, 0)
        prod = self.tmp / "prod"
        rc, out = git_fsck(prod)
        self.assertEqual(rc, 0, out)
        self.assertEqual(worktree_status(prod), [])
        return prod

    def test_a_large_deployment_is_one_pack(self):
        self.deploy_org(dev_extra=self.models())
        loose_before, packed_before = self.objects(self.tmp / "prod")
        prod = self.deploy()
        loose_after, packed_after = self.objects(prod)
        self.assertLess(loose_after - loose_before, self.MODELS, "no loose object per file")
        self.assertGreaterEqual(packed_after - packed_before, self.MODELS + 2, "the blobs, trees and commit packed")
        for i in (0, 77, self.MODELS - 1):
            self.assertEqual((prod / "models" / ("m%03d.yaml" % i)).read_text(),
                             git(prod, "show", "main:models/m%03d.yaml" % i) + "\n")

    def test_a_small_deployment_stays_loose(self):
        self.deploy_org()
        loose_before, _ = self.objects(self.tmp / "prod")
        self.deploy("models/*")
        loose_after, _ = self.objects(self.tmp / "prod")
        self.assertGreater(loose_after, loose_before)

    def test_an_attributes_file_still_filters_the_work_tree(self):
        self.deploy_org(dev_extra=self.models(), prod_extra={".gitattributes": "*.yaml text eol=crlf\n"})
        prod = self.deploy()
        on_disk = (prod / "models" / "m001.yaml").read_bytes()
        self.assertIn(b"\r\n", on_disk, "checked out with CRLF, as the attributes ask")
        self.assertNotIn(b"\r", git(prod, "show", "main:models/m001.yaml").encode(), "committed with LF")


class ValuesThatBreakLinesTest(DeployCase):
    """A value holding a CR, NEL, LS, PS, DEL or NUL (written in dev with
    double-quoted escapes) is deployed as a file that reads back the same:
    prod validates, and deploying again changes nothing."""

    def test_deployed_and_read_back(self):
        escapes = "a\\rb\\Nc\\Ld\\Pe\\x7ff\\0g"
        model = ('name: "%s"\nsource: wh-dev\ntype: sql\nsql: "select 1\\nfrom t %s\\n"\n' % (escapes, escapes))
        self.deploy_org(dev_extra={"models/odd.yaml": model})
        first = self.ferry("reconcile", "--from", "dev", "--to", "prod", "--select", "models/odd")
        self.assertExit(first, 0)
        self.assertExit(self.ferry("validate", "prod"), 0)
        again = self.ferry("reconcile", "--from", "dev", "--to", "prod", "--select", "models/odd", "--dry-run")
        self.assertExit(again, 0)
        self.assertIn("No changes", again.stdout, again.describe())


if __name__ == "__main__":
    unittest.main()
