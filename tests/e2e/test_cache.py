"""SPEC 4: ferry's cache under <gitdir>/ferry/ never changes a result, is
neither read nor written under FERRY_NO_CACHE=1, and a damaged cache is
ignored and rebuilt."""

import json
import os
import subprocess
import unittest

from harness import FERRY_BIN, DeployCase, ferry_env, git, wait_all


class CacheTest(DeployCase):
    def setUp(self):
        super().setUp()
        # Many resources, so that most of a plan comes from the cache.
        extra = {}
        for i in range(40):
            extra[f"models/m{i:02d}.yaml"] = f"name: M{i}\nsource: wh-dev\ntype: sql\nsql: select {i}\n"
        self.org = self.deploy_org(dev_extra=extra)
        self.cache_dirs = [self.org / name / ".git" / "ferry" / "cache" for name in ("dev", "prod")]

    def run_all(self, env=None):
        """Every output a cache could change: the plan in each format, validate.
        The cache is on unless env says otherwise."""
        env = env or {"FERRY_NO_CACHE": None}
        outputs = []
        for fmt in ("json", "text", "markdown"):
            r = self.ferry("reconcile", "--from", "dev", "--to", "prod", "--dry-run", "--all", "--format", fmt,
                           cwd=self.org, env=env)
            outputs.append((fmt, r.returncode, r.stdout, r.stderr))
        r = self.ferry("validate", "--format", "json", cwd=self.org, env=env)
        outputs.append(("validate", r.returncode, r.stdout, r.stderr))
        return outputs

    def cache_files(self):
        return sorted(p for d in self.cache_dirs if d.exists() for p in d.iterdir())

    def test_output_is_byte_identical_with_and_without_the_cache(self):
        without = self.run_all({"FERRY_NO_CACHE": "1"})
        self.assertEqual(self.cache_files(), [], "FERRY_NO_CACHE=1 wrote a cache")
        filling = self.run_all({"FERRY_NO_CACHE": None})
        self.assertEqual(len([f for f in self.cache_files() if f.name.startswith("tree-")]), 2,
                         "one parse cache file per workspace repository")
        self.assertEqual(len([f for f in self.cache_files() if f.name.startswith("plan-")]), 1,
                         "one plan memo, in the source's repository (docs/incremental-plans.md)")
        warm = self.run_all({"FERRY_NO_CACHE": None})
        self.assertEqual(filling, without)
        self.assertEqual(warm, without)

    def test_problems_are_reported_the_same_from_a_warm_cache(self):
        # Files with problems are never kept: their diagnostics come fresh.
        bad = self.deploy_org(dev_extra={"models/bad.yaml": "name: Bad\nsource: wh-dev\ntype: sql\nsqll: x\n"},
                              folder=self.tmp / "bad")
        runs = [self.ferry("validate", "--format", "json", cwd=bad, env={"FERRY_NO_CACHE": no})
                for no in ("1", None, None)]
        self.assertEqual(runs[0].returncode, 1)
        for r in runs[1:]:
            self.assertEqual((r.returncode, r.stdout, r.stderr), (runs[0].returncode, runs[0].stdout, runs[0].stderr))

    def test_a_damaged_cache_is_ignored_and_rebuilt(self):
        expected = self.run_all({"FERRY_NO_CACHE": "1"})
        self.run_all()
        files = self.cache_files()
        self.assertEqual(len(files), 3, "two parse caches and a plan memo")
        good = {f: f.read_bytes() for f in files}
        damages = {
            "garbage": lambda b: b"not a cache file at all\n" * 10,
            "empty": lambda b: b"",
            "truncated at the header": lambda b: b[:12],
            "truncated mid-way": lambda b: b[: len(b) // 2],
            "one byte flipped": lambda b: b[:100] + bytes([b[100] ^ 0xFF]) + b[101:],
            "bytes appended": lambda b: b + b"\0" * 64,
        }
        for what, damage in damages.items():
            with self.subTest(what):
                for f, data in good.items():
                    f.write_bytes(damage(data))
                self.assertEqual(self.run_all(), expected)
                # Rebuilt: the next run reads every blob from the cache again.
                r = self.ferry("-v", "reconcile", "--from", "dev", "--to", "prod", "--dry-run", "--all", cwd=self.org,
                               env={"FERRY_NO_CACHE": None})
                self.assertNotIn(" 0 from the cache", r.stderr, r.describe())

    def test_foreign_files_in_the_cache_folder_are_left_alone(self):
        self.run_all()
        stray = self.cache_dirs[0] / "something-else.bin"
        stray.write_bytes(b"\x00" * 100)
        self.assertEqual(self.run_all(), self.run_all({"FERRY_NO_CACHE": "1"}))

    def test_deleting_the_cache_at_any_time_changes_nothing(self):
        expected = self.run_all({"FERRY_NO_CACHE": "1"})
        self.run_all()
        for d in self.cache_dirs:
            for f in d.iterdir():
                f.unlink()
        self.assertEqual(self.run_all(), expected)

    def test_processes_sharing_one_cache_at_once_agree(self):
        expected = self.run_all({"FERRY_NO_CACHE": "1"})[0]
        args = [FERRY_BIN, "reconcile", "--from", "dev", "--to", "prod", "--dry-run", "--all", "--format", "json"]
        env = ferry_env(dict(self.base_env, FERRY_NO_CACHE=None))
        for _ in range(2):  # an empty cache, then a full one, each written by all at once
            procs = [subprocess.Popen(args, cwd=self.org, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                     for _ in range(6)]
            wait_all(procs, 120, "concurrent plans")
            for p in procs:
                out, err = p.communicate()
                self.assertEqual((p.returncode, out.decode(), err.decode()), expected[1:])
        # No half-written file is left behind.
        self.assertEqual([f.name for f in self.cache_files() if ".tmp-" in f.name], [])

    def test_a_blob_gone_from_the_repository_is_a_git_error_naming_it(self):
        """A partial clone or a pruned repository: the cache still has the
        facts of prod's models/users.yaml, but the plan changes it and must
        read its blob, which is gone."""
        env = {"FERRY_NO_CACHE": None}
        args = ("reconcile", "--from", "dev", "--to", "prod", "--dry-run")
        warm = self.ferry(*args, cwd=self.org, env=env)
        self.assertExit(warm, 0)
        # The plan memo would answer for these very trees without reading a
        # blob (docs/incremental-plans.md): this is the parse cache's case.
        for memo in self.cache_dirs[0].glob("plan-*.memo"):
            memo.unlink()
        prod = self.org / "prod"
        blob = git(prod, "rev-parse", "HEAD:models/users.yaml")
        (prod / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
        for fmt in ("text", "json"):
            r = self.ferry(*args, "--format", fmt, cwd=self.org, env=env)
            self.assertExit(r, 1)
            self.assertNotIn("internal", r.stdout + r.stderr)
            if fmt == "json":
                data = json.loads(r.stdout)
                self.assertEqual(data["status"], "blocked")
                errors = [e for e in data["errors"] if e["code"] == "git"]
                self.assertEqual(len(errors), 1, r.describe())
                self.assertEqual(errors[0]["file"], "models/users.yaml")
                self.assertEqual(errors[0]["address"], "prod:models/users")
                self.assertIn(blob[:12], errors[0]["message"])
            else:
                self.assertTextDiag(r, "git", file="models/users.yaml")


if __name__ == "__main__":
    unittest.main()
