"""Crash safety of the write path (SPEC 4.2: a write never leaves a partial
commit or a moved branch behind): ferry is killed with SIGKILL after its
Nth write step, for N = 1, 2, ... until a run gets through whole, by the
test hook FERRY_TEST_KILL_AFTER_WRITES (in a build configured with
-DFERRY_TEST_HOOKS=ON; src/git/worktrees.hpp: every
object, the pending-checkout record, the branch move, each file of the work
tree and the work tree's index count as steps).

After each kill: `git fsck --strict` passes, no lock file is left, the
branch is exactly where it was or exactly at the commit an uninterrupted
run makes, a checked-out work tree is clean at one of the two or (killed
while it was being updated) is finished by the next run; and running the
same command again completes the job: the branch at that same commit, the
work tree clean and current, and a third run changes nothing."""

import os
import shutil
import unittest

from harness import (
    DeployCase,
    commit,
    deploy_trees,
    git,
    git_fsck,
    head,
    isolated_env,
    make_repo,
    run,
    valid_tree,
    worktree_status,
    write_config,
)

ACTOR = "alice@acme.com"
EPOCH = "1790000000"  # fixed times: an uninterrupted run always makes the same commit
MAX_STEPS = 200  # a deployment of a few files takes a few dozen steps at most
# A published write over a draft of prod, so that the work tree loses a
# file as well as gaining and changing some.
PROD_DRAFT = {"drafts/models/users.yaml": "draft: { author: bob@acme.com, approval: none }\n"
                                           "name: Users\nsource: warehouse\ntype: sql\nsql: select 9\n"}
DEPLOY = ("reconcile", "--from", "dev", "--to", "prod", "--select", "models/*", "--select", "syncs/*")
LINK = ("link", "dev:sources/warehouse", "prod:sources/warehouse")


def make_lake_org(folder):
    """dev and prod of valid_tree in `folder`, both checked out, with a
    second source `lake` linked already and a model of dev on it
    (models/fresh) that a write to prod alone can deploy, so that such a
    write succeeds whether or not warehouse is linked."""
    lake = "name: Lake\ntype: postgres\n"
    make_repo(folder / "dev", valid_tree(extra={
        "sources/lake.yaml": lake, "links.yaml": "sources:\n  lake: { prod: lake }\n",
        "models/fresh.yaml": "name: Fresh\nsource: lake\ntype: sql\nsql: select 1\n"}))
    make_repo(folder / "prod", valid_tree(extra={
        "sources/lake.yaml": lake, "links.yaml": "sources:\n  lake: { dev: lake }\n"}))
    write_config(folder, {"dev": {"repo": "dev"}, "prod": {"repo": "prod"}})


@unittest.skipUnless(os.environ.get("FERRY_TEST_HOOKS") == "1",
                     "ferry was built without -DFERRY_TEST_HOOKS=ON: no kill hook")
class CrashCase(DeployCase):
    linked = None  # (repository, linked work tree) in the template, if any

    def setUp(self):
        super().setUp()
        self.base_env = isolated_env(self.tmp / "home", {"FERRY_ACTOR": ACTOR, "SOURCE_DATE_EPOCH": EPOCH})

    def make_template(self, bare):
        """The organization every attempt starts from: dev and prod of
        deploy_trees (prod with a draft the deployment replaces), prod
        checked out on main or a bare clone. Returns {name: repo path}."""
        folder = self.tmp / "template"
        dev, prod = deploy_trees(prod_extra=PROD_DRAFT)
        make_repo(folder / "dev", dev)
        if bare:
            make_repo(self.tmp / "src-prod", prod)
            git(self.tmp, "clone", "-q", "--bare", str(self.tmp / "src-prod"), str(folder / "prod.git"))
            write_config(folder, {"dev": {"repo": "dev"}, "prod": {"repo": "prod.git", "branch": "main"}})
            return {"dev": "dev", "prod": "prod.git"}
        make_repo(folder / "prod", prod)
        write_config(folder, {"dev": {"repo": "dev"}, "prod": {"repo": "prod"}})
        return {"dev": "dev", "prod": "prod"}

    def attempt_folder(self, name):
        folder = self.tmp / name
        shutil.copytree(self.tmp / "template", folder, symlinks=True)
        if self.linked:
            # A linked work tree and its repository name each other by
            # absolute path: point the copies at each other.
            repo, work_tree = self.linked
            admin = folder / repo / ".git" / "worktrees" / work_tree
            (folder / work_tree / ".git").write_text("gitdir: %s\n" % admin)
            (admin / "gitdir").write_text("%s\n" % (folder / work_tree / ".git"))
        return folder

    def heads(self, folder, repos):
        return {name: head(folder / path, "refs/heads/main") for name, path in repos.items()}

    def run_ferry(self, folder, args, kill_after=None):
        env = dict(self.base_env)
        if kill_after is not None:
            env["FERRY_TEST_KILL_AFTER_WRITES"] = str(kill_after)
        return run(*args, cwd=folder, env=env)

    # ---- what must hold after every kill

    def assertConsistent(self, folder, repos, context, fsck=True, killed=False):
        """fsck passes and no lock file is left; but for a killed run, which
        may leave git's index.lock as git itself does when killed (its
        content says ferry took it; the next ferry command removes it)."""
        for name, path in repos.items():
            repo = folder / path
            if fsck:
                rc, out = git_fsck(repo)
                self.assertEqual(rc, 0, "git fsck --strict failed in %s %s:\n%s" % (name, context, out))
            gitdir = repo if path.endswith(".git") else repo / ".git"
            locks = sorted(str(p.relative_to(gitdir)) for p in gitdir.rglob("*.lock") if p.name != "write.lock"
                           and not (killed and p.name == "index.lock" and p.read_bytes().startswith(b"ferry ")))
            self.assertEqual(locks, [], "lock files left in %s %s" % (name, context))

    def assertClean(self, folder, checked_out, context):
        """Every work tree that has main checked out, and its index, match
        the branch (git status compares all three)."""
        for path in checked_out:
            self.assertEqual(worktree_status(folder / path), [], "the work tree %s is not clean %s" % (path, context))

    # ---- the loop

    def crash_at_every_step(self, args, repos, checked_out, stale_once_written=False):
        """Kills `ferry args` after step 1, 2, ... and checks each time;
        returns the number of steps of a whole run and how many kills left a
        work tree that the next run had to finish. `checked_out`: the work
        trees (paths in the folder) that have main checked out. With stale_once_written
        (apply), running it again after the branch moved is refused as
        stale-plan, and must still finish the work tree."""
        reference = self.attempt_folder("reference")
        before = self.heads(reference, repos)
        whole = self.run_ferry(reference, args)
        self.assertEqual(whole.returncode, 0, whole.describe())
        after = self.heads(reference, repos)
        self.assertNotEqual(before, after, "the command writes something")
        self.assertConsistent(reference, repos, "after an uninterrupted run")
        self.assertClean(reference, checked_out, "after an uninterrupted run")

        unfinished_work_trees = 0
        for n in range(1, MAX_STEPS + 1):
            folder = self.attempt_folder("kill-%d" % n)
            context = "after a kill at step %d" % n
            result = self.run_ferry(folder, args, kill_after=n)
            if result.returncode == 0:
                self.assertEqual(self.heads(folder, repos), after, "a run that was not killed writes the same")
                shutil.rmtree(folder)
                return n - 1, unfinished_work_trees
            self.assertEqual(result.returncode, -9, "killed by SIGKILL %s\n%s" % (context, result.describe()))
            self.assertConsistent(folder, repos, context, killed=True)
            now = self.heads(folder, repos)
            for name in repos:
                self.assertIn(now[name], (before[name], after[name]),
                              "%s's branch is exactly before or after the write %s" % (name, context))
            dirty = [path for path in checked_out if worktree_status(folder / path)]
            unfinished_work_trees += bool(dirty)

            again = self.run_ferry(folder, args)
            if stale_once_written and now == after:
                self.assertEqual(again.returncode, 1, again.describe())
                self.assertIn("error[stale-plan]", again.stderr, again.describe())
            else:
                self.assertEqual(again.returncode, 0, "the same command again %s\n%s" % (context, again.describe()))
            self.assertEqual(self.heads(folder, repos), after, "running it again completes the write %s" % context)
            # The branch is at the reference's commit, which passed fsck there.
            self.assertConsistent(folder, repos, context + " and a second run", fsck=False)
            self.assertClean(folder, checked_out, context + " and a second run")
            for name, path in repos.items():
                pending = folder / path / ".git" / "ferry" / "checkout-pending"
                self.assertFalse(pending.exists(), "%s: the record of the interrupted checkout is gone" % name)
            shutil.rmtree(folder)
        self.fail("ferry was still killed after %d steps" % MAX_STEPS)


class ReconcileCrashTest(CrashCase):
    def test_checked_out_target(self):
        repos = self.make_template(bare=False)
        steps, unfinished = self.crash_at_every_step(DEPLOY, repos, checked_out=["prod"])
        # 5 files, their tree and commit, the record, the branch, 6 files of
        # the work tree and its index, the record removed: every one tried.
        self.assertGreaterEqual(steps, 15)
        self.assertGreater(unfinished, 0, "some kills fell while the work tree was being updated")

    def test_target_checked_out_in_a_linked_work_tree(self):
        repos = self.make_template(bare=False)
        template = self.tmp / "template"
        git(template / "prod", "checkout", "-q", "-b", "elsewhere")
        git(template / "prod", "worktree", "add", "-q", str(template / "prod-main"), "main")
        self.linked = ("prod", "prod-main")
        write_config(template, {"dev": {"repo": "dev"}, "prod": {"repo": "prod", "branch": "main"}})
        steps, unfinished = self.crash_at_every_step(DEPLOY, repos, checked_out=["prod-main"])
        self.assertGreaterEqual(steps, 15)
        self.assertGreater(unfinished, 0)

    def test_bare_target(self):
        repos = self.make_template(bare=True)
        steps, _ = self.crash_at_every_step(DEPLOY, repos, checked_out=[])
        self.assertGreaterEqual(steps, 8)

    def test_apply_of_a_saved_plan(self):
        repos = self.make_template(bare=False)
        plan = self.tmp / "plan.json"
        saved = self.run_ferry(self.tmp / "template", DEPLOY + ("--dry-run", "--out", plan))
        self.assertEqual(saved.returncode, 0, saved.describe())
        steps, unfinished = self.crash_at_every_step(("apply", plan), repos, checked_out=["prod"],
                                                     stale_once_written=True)
        self.assertGreaterEqual(steps, 15)
        self.assertGreater(unfinished, 0)


class LinkCrashTest(CrashCase):
    """`ferry link` writes two repositories, one commit each, under an intent
    record in both (src/git/intent.cpp): killed between the two branch moves,
    reads say the change was cut short, and the next write to either
    repository finishes it or takes it back in both."""

    def test_link_across_two_checked_out_repositories(self):
        folder = self.tmp / "template"
        make_repo(folder / "dev", valid_tree())
        make_repo(folder / "prod", valid_tree())
        write_config(folder, {"dev": {"repo": "dev"}, "prod": {"repo": "prod"}})
        repos = {"dev": "dev", "prod": "prod"}
        steps, unfinished = self.crash_at_every_step(LINK, repos, checked_out=["dev", "prod"])
        self.assertGreaterEqual(steps, 10)
        self.assertGreater(unfinished, 0)

    def links_file(self, folder, repo):
        out = git(folder / repo, "show", "main:links.yaml", check=False)
        return out if isinstance(out, str) else ""

    def test_a_link_cut_short_is_whole_or_absent_after_the_next_write_to_either(self):
        folder = self.tmp / "template"
        make_lake_org(folder)
        repos = {"dev": "dev", "prod": "prod"}
        before = self.heads(folder, repos)
        half_done = 0
        for n in range(1, MAX_STEPS + 1):
            attempt = self.attempt_folder("cut-%d" % n)
            context = "after a kill at step %d" % n
            result = self.run_ferry(attempt, LINK, kill_after=n)
            if result.returncode == 0:
                break
            self.assertEqual(result.returncode, -9, result.describe())
            now = self.heads(attempt, repos)
            if (now["dev"] == before["dev"]) != (now["prod"] == before["prod"]):
                half_done += 1
                for name in repos:
                    self.assertTrue((attempt / name / ".git" / "ferry" / "intent").exists(),
                                    "%s keeps the intent record %s" % (name, context))
                for read in (("links",), ("validate",)):
                    said = self.run_ferry(attempt, read)
                    self.assertIn("warning[git]", said.stderr, said.describe())
                    self.assertIn("cut short", said.stderr, said.describe())
            # A write to prod alone: it finishes or takes back dev's part too.
            settled = self.run_ferry(attempt, ("reconcile", "--from", "dev", "--to", "prod", "--select", "models/fresh"))
            self.assertEqual(settled.returncode, 0, "%s\n%s" % (context, settled.describe()))
            self.assertNotIn("cut short", settled.stderr)
            dev_links, prod_links = (self.links_file(attempt, r) for r in ("dev", "prod"))
            self.assertEqual("warehouse" in dev_links, "warehouse" in prod_links,
                             "both links.yaml state the link, or neither %s:\n%s\n---\n%s"
                             % (context, dev_links, prod_links))
            self.assertFalse((attempt / "prod" / ".git" / "ferry" / "intent").exists(), context)
            if (attempt / "dev" / ".git" / "ferry" / "intent").exists():
                # Killed while the records were written, before any branch
                # moved: dev's record waits for a write to dev.
                self.assertEqual(head(attempt / "dev", "refs/heads/main"), before["dev"], context)
                again = self.run_ferry(attempt, LINK)
                self.assertEqual(again.returncode, 0, again.describe())
                self.assertFalse((attempt / "dev" / ".git" / "ferry" / "intent").exists(), context)
            self.assertConsistent(attempt, repos, context + " and the next write")
            self.assertClean(attempt, ["dev", "prod"], context + " and the next write")
            listed = self.run_ferry(attempt, ("links",))
            self.assertNotIn("warning", listed.stderr, listed.describe())
            shutil.rmtree(attempt)
        else:
            self.fail("ferry was still killed after %d steps" % MAX_STEPS)
        self.assertGreater(half_done, 0, "some kills fell between the two branch moves")


class IntentRecordTest(DeployCase):
    """The intent record left by a change across repositories that was cut
    short, as the next write finds it (src/git/intent.cpp): finished when
    every branch is still at its base or its commit, taken back when one was
    moved on by another git client meanwhile, or when the record says undo.
    The records are made here by hand, in the format ferry writes."""

    def setUp(self):
        super().setUp()
        make_lake_org(self.tmp)
        self.base = {name: head(self.tmp / name, "refs/heads/main") for name in ("dev", "prod")}
        # The commit each side's half of a link makes, made but not on main.
        self.commit = {}
        for name, other in (("dev", "prod"), ("prod", "dev")):
            repo = self.tmp / name
            text = git(repo, "show", "main:links.yaml") + "\n  warehouse: { %s: warehouse }\n" % other
            blob = git(repo, "hash-object", "-w", "--stdin", input=text)
            git(repo, "read-tree", "main")
            git(repo, "update-index", "--cacheinfo", "100644,%s,links.yaml" % blob)
            tree = git(repo, "write-tree")
            git(repo, "read-tree", "main")
            self.commit[name] = git(repo, "commit-tree", tree, "-p", "main", "-m", "Link warehouse")

    def record(self, state):
        parts = "".join("part refs/heads/main %s %s %s\n" % (self.base[n], self.commit[n], self.lock_key(n))
                        for n in ("dev", "prod"))
        for name in ("dev", "prod"):
            folder = self.tmp / name / ".git" / "ferry"
            folder.mkdir(exist_ok=True)
            (folder / "intent").write_text("ferry-intent 1\nstate %s\n%s" % (state, parts))

    def lock_key(self, name):
        return str((self.tmp / name / ".git" / "ferry" / "write.lock").resolve())

    def move(self, name, commit):
        git(self.tmp / name, "reset", "-q", "--hard", commit)

    def deploy_to_prod(self):
        result = self.ferry("reconcile", "--from", "dev", "--to", "prod", "--select", "models/fresh")
        self.assertExit(result, 0)
        for name in ("dev", "prod"):
            self.assertFalse((self.tmp / name / ".git" / "ferry" / "intent").exists())
        return result

    def test_finished_in_both_by_a_write_to_one(self):
        self.record("commit")
        self.move("dev", self.commit["dev"])
        said = self.ferry("validate")
        self.assertIn("warning[git]", said.stderr)
        self.assertIn("cut short", said.stderr)
        self.deploy_to_prod()
        self.assertEqual(head(self.tmp / "dev", "refs/heads/main"), self.commit["dev"])
        self.assertEqual(git(self.tmp / "prod", "rev-parse", "main~1"), self.commit["prod"])
        for name in ("dev", "prod"):
            self.assertEqual(worktree_status(self.tmp / name), [])

    def test_taken_back_when_the_record_says_undo(self):
        self.record("undo")
        self.move("dev", self.commit["dev"])
        self.deploy_to_prod()
        self.assertEqual(head(self.tmp / "dev", "refs/heads/main"), self.base["dev"])
        self.assertEqual(git(self.tmp / "prod", "rev-parse", "main~1"), self.base["prod"])
        self.assertEqual(worktree_status(self.tmp / "dev"), [])

    def test_taken_back_when_another_git_client_moved_a_branch_on(self):
        self.record("commit")
        self.move("dev", self.commit["dev"])
        commit(self.tmp / "prod", {"notes.txt": "by hand\n"}, "A commit by hand")
        by_hand = head(self.tmp / "prod", "refs/heads/main")
        result = self.deploy_to_prod()
        self.assertEqual(head(self.tmp / "dev", "refs/heads/main"), self.base["dev"], result.describe())
        self.assertEqual(git(self.tmp / "prod", "rev-parse", "main~1"), by_hand)

    def test_finished_when_a_git_client_built_on_a_half_even_if_the_record_says_undo(self):
        self.record("undo")
        self.move("dev", self.commit["dev"])
        commit(self.tmp / "dev", {"notes.txt": "by hand\n"}, "A commit by hand")
        self.deploy_to_prod()
        self.assertEqual(git(self.tmp / "dev", "rev-parse", "main~1"), self.commit["dev"])
        self.assertEqual(git(self.tmp / "prod", "rev-parse", "main~1"), self.commit["prod"])
        self.assertIn("warehouse", git(self.tmp / "prod", "show", "main:links.yaml"))

    def test_a_record_that_cannot_be_read_refuses_to_guess(self):
        folder = self.tmp / "prod" / ".git" / "ferry"
        folder.mkdir(exist_ok=True)
        (folder / "intent").write_text("ferry-intent 1\nstate maybe\n")
        result = self.ferry("reconcile", "--from", "dev", "--to", "prod", "--select", "models/fresh")
        self.assertIn("warning[git]", result.stderr, result.describe())
        self.assertIn("cannot be read", result.stderr, result.describe())


if __name__ == "__main__":
    unittest.main()
