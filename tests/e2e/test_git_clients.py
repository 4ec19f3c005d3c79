"""ferry against git itself (SECURITY.md, "Against other git clients"):
faults and races made deterministic with strace's fault injection, in the
places where a write meets a checked-out work tree.

- A `git commit` run while ferry updates the work tree cannot revert what
  ferry deployed: ferry holds git's index.lock from before the branch moves
  until the index and the files are written, as git's own commands do.
- A kill inside any write() leaves every file of the work tree whole (the
  old content or the new), and the next ferry command finishes the work
  tree, whatever state the kill left it in.
- A work tree that cannot be updated (index.lock held by another git, a
  file that cannot be written) is refused or taken back, and what ferry
  says about it is true.

Skipped where strace is missing."""

import os
import shutil
import subprocess
import time
import unittest

from harness import (
    many_models,
    git_fsck,
    FERRY_BIN,
    DeployCase,
    deploy_trees,
    ferry_env,
    file_at,
    git,
    head,
    isolated_env,
    make_repo,
    run,
    worktree_status,
    write_config,
)

ACTOR = "alice@acme.com"
DEPLOY = ("reconcile", "--from", "dev", "--to", "prod", "--select", "models/*", "--select", "syncs/*")
STRACE = shutil.which("strace")


@unittest.skipUnless(STRACE, "strace is not installed")
class GitClientCase(DeployCase):
    def setUp(self):
        super().setUp()
        self.base_env = isolated_env(self.tmp / "home", {"FERRY_ACTOR": ACTOR, "SOURCE_DATE_EPOCH": "1790000000"})
        dev, prod = deploy_trees()
        self.template = self.tmp / "template"
        make_repo(self.template / "dev", dev)
        make_repo(self.template / "prod", prod)
        git(self.template / "prod", "config", "user.email", "bob@acme.com")
        git(self.template / "prod", "config", "user.name", "Bob")
        write_config(self.template, {"dev": {"repo": "dev"}, "prod": {"repo": "prod"}})

    def fresh(self, name):
        folder = self.tmp / name
        shutil.copytree(self.template, folder, symlinks=True)
        return folder

    def traced(self, folder, strace_args, args=DEPLOY):
        """ferry under strace with `strace_args` (fault injection)."""
        cmd = [STRACE, "-f", "-qq", "-o", "/dev/null", *strace_args, str(FERRY_BIN), *args]
        return subprocess.run(cmd, cwd=folder, env=ferry_env(self.base_env), capture_output=True, text=True,
                              timeout=60)

    def ferry_in(self, folder, *args):
        return run(*args, cwd=folder, env=self.base_env)

    def tracked_files(self, prod, rev):
        return {p: file_at(prod, rev, p) for p in git(prod, "ls-tree", "-r", "--name-only", rev).split()}


class GitCommitRaceTest(GitClientCase):
    def test_a_git_commit_during_the_work_tree_update_cannot_revert_a_deployment(self):
        folder = self.fresh("race")
        prod = folder / "prod"
        ref_lock = prod / ".git" / "refs" / "heads" / "main.lock"
        # ferry pauses 2 s right after its branch moved (the rename of the
        # ref's lock file returns late): the window a git commit fell into.
        cmd = [STRACE, "-f", "-qq", "-o", "/dev/null", "-P", str(ref_lock), "-e", "trace=rename",
               "-e", "inject=rename:delay_exit=2000000", str(FERRY_BIN), *DEPLOY]
        ferry = subprocess.Popen(cmd, cwd=folder, env=ferry_env(self.base_env), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        before = head(prod, "refs/heads/main")
        deadline = time.monotonic() + 20
        while head(prod, "refs/heads/main") == before and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertNotEqual(head(prod, "refs/heads/main"), before, "ferry moved the branch")
        (prod / "notes.txt").write_text("bob's note\n")
        add = subprocess.run(["git", "add", "notes.txt"], cwd=prod, capture_output=True, text=True)
        commit = subprocess.run(["git", "commit", "-qm", "bob's commit"], cwd=prod, capture_output=True, text=True)
        out, err = ferry.communicate(timeout=60)
        self.assertEqual(ferry.returncode, 0, err)
        # git refused while ferry held index.lock, as it refuses another git.
        self.assertNotEqual(add.returncode, 0, add.stdout + add.stderr)
        self.assertIn("index.lock", add.stderr)
        self.assertNotEqual(commit.returncode, 0)
        # What ferry deployed is on the branch, in the index and in the work tree.
        self.assertEqual(file_at(prod, "HEAD", "models/users.yaml"), (prod / "models" / "users.yaml").read_text())
        self.assertIn("select 2", file_at(prod, "HEAD", "models/users.yaml"))
        self.assertEqual(worktree_status(prod), ["?? notes.txt"])
        # And once ferry is done, git commits on top of it.
        git(prod, "add", "notes.txt")
        git(prod, "commit", "-qm", "bob's commit")
        self.assertIn("select 2", file_at(prod, "HEAD", "models/users.yaml"))


class KillInsideAWriteTest(GitClientCase):
    def test_a_kill_inside_any_write_leaves_files_whole_and_the_next_run_finishes(self):
        reference = self.fresh("reference")
        before = self.tracked_files(reference / "prod", "HEAD")
        self.assertEqual(self.ferry_in(reference, *DEPLOY).returncode, 0)
        after = self.tracked_files(reference / "prod", "HEAD")
        self.assertNotEqual(before, after)
        for n in range(1, 400):
            folder = self.fresh("kill-%d" % n)
            prod = folder / "prod"
            result = self.traced(folder, ["-e", "trace=write,pwrite64,writev",
                                          "-e", "inject=write,pwrite64,writev:signal=KILL:when=%d" % n])
            if result.returncode == 0:
                break  # the whole run went through before its nth write
            # Every file is whole: as it was, or as the deployment writes it.
            for path in set(before) | set(after):
                on_disk = (prod / path).read_text() if (prod / path).exists() else None
                self.assertIn(on_disk, (before.get(path), after.get(path)),
                              "%s after a kill at write %d" % (path, n))
            again = self.ferry_in(folder, *DEPLOY)
            self.assertEqual(again.returncode, 0, "after a kill at write %d\n%s" % (n, again.describe()))
            self.assertEqual(self.tracked_files(prod, "HEAD"), after, "after a kill at write %d" % n)
            self.assertEqual(worktree_status(prod), [], "after a kill at write %d and a second run" % n)
            self.assertFalse((prod / ".git" / "index.lock").exists())
            self.assertFalse((prod / ".git" / "ferry" / "checkout-pending").exists())
            shutil.rmtree(folder)
        else:
            self.fail("ferry was still killed after 400 writes")
        self.assertGreater(n, 5, "the loop killed ferry inside its writes")


class KillInsideAPackTest(GitClientCase):
    """A write of 100 files or more goes into the repository as one pack
    (src/git/writer.cpp): a kill while the pack is written leaves at most
    its temporary files (pack_git2_*), which git ignores, and the branch
    where it was."""

    def test_a_kill_while_the_pack_is_written(self):
        dev, prod = deploy_trees(dev_extra=many_models(150))
        self.template = self.tmp / "big"
        make_repo(self.template / "dev", dev)
        make_repo(self.template / "prod", prod)
        write_config(self.template, {"dev": {"repo": "dev"}, "prod": {"repo": "prod"}})
        base = head(self.template / "prod", "refs/heads/main")
        deploy = ("reconcile", "--from", "dev", "--to", "prod", "--select", "models/m*")
        cut_packs = 0
        # The pack's body is one pwrite64 (strace counts each system call
        # apart); its index, then ferry's own records, are write()s.
        kills = [("pwrite64", 1)] + [("write", n) for n in range(1, 13)]
        for n, (call, when) in enumerate(kills):
            folder = self.fresh("pack-kill-%d" % n)
            prod = folder / "prod"
            result = self.traced(folder, ["-e", "trace=" + call,
                                          "-e", "inject=%s:signal=KILL:when=%d" % (call, when)], deploy)
            self.assertNotEqual(result.returncode, 0, "killed at write %d" % n)
            pack_dir = prod / ".git" / "objects" / "pack"
            if head(prod, "refs/heads/main") == base:
                # libgit2 writes a pack as pack_git2_* until it is whole.
                cut_packs += any(p.name.startswith("pack_git2_") for p in pack_dir.iterdir())
            rc, out = git_fsck(prod)
            self.assertEqual(rc, 0, "git fsck --strict after a kill at write %d:\n%s" % (n, out))
            again = self.ferry_in(folder, *deploy)
            self.assertEqual(again.returncode, 0, "after a kill at write %d\n%s" % (n, again.describe()))
            self.assertEqual(worktree_status(prod), [], "after a kill at write %d and a second run" % n)
            self.assertEqual(len(git(prod, "ls-tree", "--name-only", "main:models").split()), 151)
            shutil.rmtree(folder)
        self.assertGreater(cut_packs, 0, "some kill fell while the pack was written")


class WorkTreeRefusedTest(GitClientCase):
    def test_a_held_index_lock_refuses_before_anything_moves(self):
        folder = self.fresh("held")
        prod = folder / "prod"
        before = head(prod, "refs/heads/main")
        (prod / ".git" / "index.lock").write_text("another git process\n")
        result = self.ferry_in(folder, *DEPLOY)
        self.assertExit(result, 1)
        self.assertIn("index.lock", result.stderr)
        self.assertIn("nothing was written", result.stderr)
        self.assertEqual(head(prod, "refs/heads/main"), before)
        self.assertFalse((prod / "models" / "new-model.yaml").exists())
        self.assertIn("select 1", (prod / "models" / "users.yaml").read_text())
        (prod / ".git" / "index.lock").unlink()
        self.assertExit(self.ferry_in(folder, *DEPLOY), 0)
        self.assertEqual(worktree_status(prod), [])

    def test_a_file_that_cannot_be_written_takes_the_whole_write_back(self):
        folder = self.fresh("eio")
        prod = folder / "prod"
        before = head(prod, "refs/heads/main")
        # The last file's rename fails: the others are written already
        # (each is written beside its place, as .ferry-NAME, then renamed).
        result = self.traced(folder, ["-P", str(prod / "syncs" / ".ferry-users-crm.yaml"), "-e", "trace=rename",
                                      "-e", "inject=rename:error=EIO:when=1"])
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("worktree-dirty", result.stderr)
        self.assertIn("nothing was written", result.stderr)
        # True: the branch, the index and every file are as they were.
        self.assertEqual(head(prod, "refs/heads/main"), before)
        self.assertEqual(worktree_status(prod), [])
        self.assertIn("select 1", (prod / "models" / "users.yaml").read_text())
        self.assertFalse((prod / ".git" / "index.lock").exists())
        self.assertFalse((prod / ".git" / "ferry" / "checkout-pending").exists())
        self.assertExit(self.ferry_in(folder, *DEPLOY), 0)
        self.assertIn("select 2", (prod / "models" / "users.yaml").read_text())


if __name__ == "__main__":
    unittest.main()
