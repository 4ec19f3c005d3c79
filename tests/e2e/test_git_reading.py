"""Workspaces are read from git commits, never from the work tree (SPEC 2.1):
branch tips, `@REF`, `branch:`, `path:`, bare repositories, monorepos, and
what happens when the repository cannot give a tree."""

import unittest

from harness import (
    FerryTestCase,
    commit,
    git,
    head,
    make_repo,
    valid_tree,
    workspace_names,
    write_config,
    write_files,
)

ORPHAN = "name: Orphan\nsource: nosuch\ntype: sql\nsql: select 1\n"
BROKEN_YAML = "name: Broken\nsource: warehouse\ntype: sql\nsql: @oops\n"


def entry_for(data, name):
    for w in data.get("workspaces", []):
        if isinstance(w, dict) and w.get("workspace", w.get("name")) == name:
            return w
    return None


class CommittedTreeOnlyTest(FerryTestCase):
    def test_uncommitted_broken_files_do_not_matter(self):
        repo = self.single()
        write_files(
            repo,
            {
                "models/untracked.yaml": BROKEN_YAML,  # untracked
                "models/active-users.yaml": BROKEN_YAML,  # modified, not staged
                "workspace.yaml": "this: [is not valid\n",
            },
        )
        self.assertValid()

    def test_staged_but_uncommitted_files_do_not_matter(self):
        repo = self.single()
        write_files(repo, {"models/staged.yaml": ORPHAN, "sources/warehouse.yaml": "name: W\ntype: snowflake\npassword: x\n"})
        git(repo, "add", "-A")
        self.assertValid()

    def test_deleted_in_work_tree_still_read(self):
        repo = self.single()
        (repo / "sources" / "warehouse.yaml").unlink()
        (repo / "workspace.yaml").unlink()
        self.assertValid()

    def test_uncommitted_fix_does_not_hide_committed_error(self):
        repo = self.single({"models/orphan.yaml": ORPHAN})
        write_files(repo, {"models/orphan.yaml": None})  # fixed in the work tree only
        self.assertInvalid("dangling-reference", file="models/orphan.yaml", address="dev:models/orphan")
        git(repo, "add", "-A")  # staged, still not committed
        self.assertInvalid("dangling-reference", file="models/orphan.yaml")
        commit(repo, message="remove orphan")
        self.assertValid()

    def test_reads_new_commits(self):
        repo = self.single()
        self.assertValid()
        commit(repo, {"models/orphan.yaml": ORPHAN}, "add orphan")
        self.assertInvalid("dangling-reference", file="models/orphan.yaml")

    def test_work_tree_on_another_branch_reads_configured_branch(self):
        repo = self.single()
        git(repo, "checkout", "-q", "-b", "broken")
        commit(repo, {"models/orphan.yaml": ORPHAN}, "broken")
        write_config(self.tmp, {"dev": {"repo": "dev", "branch": "main"}})
        self.assertValid()


class RefTest(FerryTestCase):
    def setUp(self):
        super().setUp()
        self.repo = self.single()
        self.main_commit = head(self.repo)
        git(self.repo, "checkout", "-q", "-b", "feature")
        self.feature_commit = commit(self.repo, {"models/orphan.yaml": ORPHAN}, "feature: orphan")
        git(self.repo, "checkout", "-q", "main")

    def test_branch_tip_is_read_by_default(self):
        result, data = self.assertValid()
        w = entry_for(data, "dev")
        if w is not None and "commit" in w:
            self.assertEqual(w["commit"], self.main_commit, result.describe())

    def test_at_branch(self):
        result, data, text = self.assertInvalid("dangling-reference", "dev@feature", file="models/orphan.yaml")
        self.assertEqual(workspace_names(data), ["dev"], result.describe())
        w = entry_for(data, "dev")
        if w is not None and "commit" in w:
            self.assertEqual(w["commit"], self.feature_commit, result.describe())

    def test_at_main_after_feature(self):
        self.assertValid("dev@main")

    def test_at_tag(self):
        git(self.repo, "tag", "v1", self.feature_commit)
        git(self.repo, "tag", "-a", "-m", "annotated", "v2", self.feature_commit)
        git(self.repo, "tag", "good", self.main_commit)
        self.assertInvalid("dangling-reference", "dev@v1", file="models/orphan.yaml")
        self.assertInvalid("dangling-reference", "dev@v2", file="models/orphan.yaml")
        self.assertValid("dev@good")

    def test_at_commit_id(self):
        self.assertInvalid("dangling-reference", "dev@" + self.feature_commit, file="models/orphan.yaml")
        self.assertValid("dev@" + self.main_commit)

    def test_at_short_commit_id(self):
        self.assertInvalid("dangling-reference", "dev@" + self.feature_commit[:10], file="models/orphan.yaml")

    def test_at_full_ref_name(self):
        self.assertInvalid("dangling-reference", "dev@refs/heads/feature", file="models/orphan.yaml")

    def test_at_pull_request_style_ref(self):
        git(self.repo, "update-ref", "refs/pull/7/head", self.feature_commit)
        self.assertInvalid("dangling-reference", "dev@refs/pull/7/head", file="models/orphan.yaml")

    def test_at_ref_and_tip_in_one_run(self):
        # The same workspace at two refs, or the ref and another workspace.
        result, data = self.ferry_json("validate", "dev@feature")
        self.assertExit(result, 1)
        result, data = self.ferry_json("validate", "dev@main")
        self.assertExit(result, 0)

    def test_missing_ref_is_a_clear_error(self):
        for arg in ("dev@nosuch", "dev@0123456789abcdef0123456789abcdef01234567"):
            with self.subTest(arg=arg):
                result, data = self.ferry_json("validate", arg)
                self.assertExit(result, 1)
                codes = {d["code"] for d in data["errors"]}
                self.assertTrue(codes & {"git", "config"}, result.describe())
                text = self.ferry("validate", arg)
                self.assertExit(text, 1)
                self.assertRegex(text.stderr, r"error\[(git|config)\]", text.describe())
                self.assertIn("nosuch" if "nosuch" in arg else arg[4:14], text.stderr, text.describe())


class BranchConfigTest(FerryTestCase):
    def test_branch_in_ferry_yaml(self):
        repo = self.single()
        git(repo, "checkout", "-q", "-b", "release")
        commit(repo, {"models/orphan.yaml": ORPHAN}, "release: orphan")
        git(repo, "checkout", "-q", "main")
        write_config(self.tmp, {"dev": {"repo": "dev", "branch": "release"}})
        self.assertInvalid("dangling-reference", file="models/orphan.yaml")
        write_config(self.tmp, {"dev": {"repo": "dev", "branch": "main"}})
        self.assertValid()

    def test_default_is_the_head_branch(self):
        repo = make_repo(self.tmp / "dev", valid_tree(), branch="trunk")
        git(repo, "branch", "main")
        git(repo, "checkout", "-q", "main")
        commit(repo, {"models/orphan.yaml": ORPHAN}, "main is broken")
        git(repo, "checkout", "-q", "trunk")
        write_config(self.tmp, {"dev": {"repo": "dev"}})
        self.assertValid()
        git(repo, "checkout", "-q", "main")
        self.assertInvalid("dangling-reference", file="models/orphan.yaml")

    def test_missing_branch_is_a_clear_error(self):
        self.single()
        write_config(self.tmp, {"dev": {"repo": "dev", "branch": "nosuch"}})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        codes = {d["code"] for d in data["errors"]}
        self.assertTrue(codes & {"git", "config"}, result.describe())
        text = self.ferry("validate")
        self.assertExit(text, 1)
        self.assertRegex(text.stderr, r"error\[(git|config)\]", text.describe())
        self.assertIn("nosuch", text.stderr, text.describe())

    def test_repository_without_commits(self):
        make_repo(self.tmp / "dev")  # git init only
        write_config(self.tmp, {"dev": {"repo": "dev"}})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertTrue(data["errors"], result.describe())
        text = self.ferry("validate")
        self.assertExit(text, 1)
        self.assertRegex(text.stderr, r"error\[[a-z-]+\]", text.describe())

    def test_repository_without_commits_among_others(self):
        make_repo(self.tmp / "empty")
        make_repo(self.tmp / "dev", valid_tree())
        write_config(self.tmp, {"dev": {"repo": "dev"}, "empty": {"repo": "empty"}})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertTrue(data["errors"], result.describe())
        result, data = self.ferry_json("validate", "dev")
        self.assertExit(result, 0)


class BareRepositoryTest(FerryTestCase):
    def test_bare_repository(self):
        work = make_repo(self.tmp / "work", valid_tree())
        git(self.tmp, "clone", "-q", "--bare", str(work), "dev.git")
        write_config(self.tmp, {"dev": {"repo": "dev.git"}})
        self.assertValid()

    def test_bare_repository_with_error(self):
        work = make_repo(self.tmp / "work", valid_tree(extra={"models/orphan.yaml": ORPHAN}))
        git(self.tmp, "clone", "-q", "--bare", str(work), "dev.git")
        write_config(self.tmp, {"dev": {"repo": "dev.git"}})
        self.assertInvalid("dangling-reference", file="models/orphan.yaml", address="dev:models/orphan")

    def test_bare_repository_at_ref(self):
        work = make_repo(self.tmp / "work", valid_tree())
        git(work, "checkout", "-q", "-b", "feature")
        commit(work, {"models/orphan.yaml": ORPHAN})
        git(work, "checkout", "-q", "main")
        git(self.tmp, "clone", "-q", "--bare", str(work), "dev.git")
        write_config(self.tmp, {"dev": {"repo": "dev.git"}})
        self.assertValid()
        self.assertInvalid("dangling-reference", "dev@feature", file="models/orphan.yaml")


class PathTest(FerryTestCase):
    def test_path_selects_a_folder(self):
        files = {"workspace/" + p: c for p, c in valid_tree().items()}
        # Outside the folder: things that would be errors in a tree.
        files["models/orphan.yaml"] = ORPHAN
        files["workspace.yaml"] = "not: [valid\n"
        make_repo(self.tmp / "repo", files)
        write_config(self.tmp, {"dev": {"repo": "repo", "path": "workspace"}})
        self.assertValid()

    def test_path_error_is_located(self):
        files = {"ws/dev/" + p: c for p, c in valid_tree(extra={"models/orphan.yaml": ORPHAN}).items()}
        make_repo(self.tmp / "repo", files)
        write_config(self.tmp, {"dev": {"repo": "repo", "path": "ws/dev"}})
        self.assertInvalid("dangling-reference", file="models/orphan.yaml", line=2, address="dev:models/orphan")

    def test_path_with_trailing_slash(self):
        files = {"ws/" + p: c for p, c in valid_tree().items()}
        make_repo(self.tmp / "repo", files)
        write_config(self.tmp, {"dev": {"repo": "repo", "path": "ws/"}})
        self.assertValid()

    def test_path_missing_in_repository(self):
        make_repo(self.tmp / "repo", valid_tree())
        write_config(self.tmp, {"dev": {"repo": "repo", "path": "nosuch"}})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertTrue(data["errors"], result.describe())

    def test_monorepo_two_workspaces(self):
        files = {}
        files.update({"dev/" + p: c for p, c in valid_tree().items()})
        files.update({"prod/" + p: c for p, c in valid_tree().items()})
        files["dev/links.yaml"] = "sources:\n  warehouse: { prod: warehouse }\n"
        make_repo(self.tmp / "mono", files)
        write_config(
            self.tmp,
            {"dev": {"repo": "mono", "path": "dev"}, "prod": {"repo": "mono", "path": "prod"}},
        )
        result, data = self.assertValid()
        self.assertEqual(sorted(workspace_names(data)), ["dev", "prod"], result.describe())
        self.assertEqual(data["warnings"], [], result.describe())

    def test_monorepo_error_belongs_to_its_workspace(self):
        files = {}
        files.update({"dev/" + p: c for p, c in valid_tree().items()})
        files.update({"prod/" + p: c for p, c in valid_tree(extra={"models/orphan.yaml": ORPHAN}).items()})
        make_repo(self.tmp / "mono", files)
        write_config(
            self.tmp,
            {"dev": {"repo": "mono", "path": "dev"}, "prod": {"repo": "mono", "path": "prod"}},
        )
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "dangling-reference", address="prod:models/orphan", file="models/orphan.yaml")
        self.assertFalse([d for d in data["errors"] if d.get("address", "").startswith("dev:")], result.describe())
        self.assertValid("dev")
        result, data = self.ferry_json("validate", "prod")
        self.assertExit(result, 1)


class SubmoduleTest(FerryTestCase):
    def add_gitlink(self, repo, path):
        sha = head(repo)
        git(repo, "update-index", "--add", "--cacheinfo", "160000,%s,%s" % (sha, path))
        git(repo, "commit", "-q", "-m", "add submodule " + path)
        mode = git(repo, "ls-tree", "HEAD", path).split()[0]
        self.assertEqual(mode, "160000", "the test setup must commit a gitlink")

    def test_submodule_at_root(self):
        repo = self.single()
        self.add_gitlink(repo, "sub")
        self.assertInvalid("unsafe-tree", file="sub")

    def test_submodule_in_kind_folder(self):
        repo = self.single()
        self.add_gitlink(repo, "models/vendored")
        self.assertInvalid("unsafe-tree", file="models/vendored")

    def test_submodule_outside_path_is_ignored(self):
        files = {"ws/" + p: c for p, c in valid_tree().items()}
        repo = make_repo(self.tmp / "repo", files)
        self.add_gitlink(repo, "vendor/sub")
        write_config(self.tmp, {"dev": {"repo": "repo", "path": "ws"}})
        self.assertValid()



class ReadOnlyAndCacheTest(FerryTestCase):
    """validate only reads: the work tree, index and refs stay as they were.
    A cache under <gitdir>/ferry/ never changes a result, and FERRY_NO_CACHE=1
    neither reads nor writes it (SPEC 4)."""

    def snapshot(self, repo):
        return (
            git(repo, "status", "--porcelain", "--ignored", "--untracked-files=all"),
            git(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
            git(repo, "rev-parse", "HEAD"),
            git(repo, "symbolic-ref", "HEAD"),
        )

    def test_validate_changes_nothing_in_the_repository(self):
        repo = self.single({"models/orphan.yaml": ORPHAN})
        before = self.snapshot(repo)
        for args in (("validate",), ("validate", "dev@main"), ("validate", "--format", "json")):
            self.ferry(*args)
        self.assertEqual(self.snapshot(repo), before)

    def test_no_cache_env_writes_no_cache(self):
        repo = self.single({"models/orphan.yaml": ORPHAN})
        env = {"FERRY_NO_CACHE": "1"}
        self.ferry("validate", env=env)
        self.ferry("validate", "--format", "json", env=env)
        self.assertFalse((repo / ".git" / "ferry").exists(), "FERRY_NO_CACHE=1 must not write <gitdir>/ferry/")

    def test_output_identical_with_and_without_cache(self):
        repo = self.single(
            {
                "models/orphan.yaml": ORPHAN,
                "models/broken.yaml": BROKEN_YAML,
                "workspace.yaml": "organization: acme\nmembers:\n  \"*\": editor\nalerts:\n  oncall: { type: email }\n",
            }
        )
        outputs = []
        for env in ({"FERRY_NO_CACHE": "1"}, {}, {}, {"FERRY_NO_CACHE": "1"}):
            for fmt in ("text", "json", "github", "markdown"):
                r = self.ferry("validate", "--format", fmt, env=env)
                outputs.append((fmt, r.returncode, r.stdout, r.stderr))
        by_format = {}
        for fmt, rc, out, err in outputs:
            by_format.setdefault(fmt, set()).add((rc, out, err))
        for fmt, variants in by_format.items():
            self.assertEqual(len(variants), 1, "output of --format %s differs between runs: %r" % (fmt, variants))
        # Deleting the cache at any time changes nothing.
        import shutil

        shutil.rmtree(repo / ".git" / "ferry", ignore_errors=True)
        r = self.ferry("validate", "--format", "json")
        self.assertIn((r.returncode, r.stdout, r.stderr), by_format["json"])


class ScaleTest(FerryTestCase):
    def test_thousands_of_resources_validate_quickly(self):
        extra = {}
        for i in range(3000):
            extra["models/m%04d.yaml" % i] = "name: Model %d\nsource: warehouse\ntype: sql\nsql: select %d\n" % (i, i)
        for i in range(1000):
            extra["syncs/s%04d.yaml" % i] = "name: Sync %d\nmodel: m%04d\ndestination: crm\nschedule: { type: manual }\n" % (i, i)
        self.single(extra)
        result, data = self.ferry_json("validate", timeout=60)
        self.assertExit(result, 0)
        self.assertEqual(data["errors"], [], result.describe())
        self.assertLess(result.seconds, 10, result.describe())


if __name__ == "__main__":
    unittest.main()
