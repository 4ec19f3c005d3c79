"""What ferry itself gives CI (SPEC 4.1, 7): plan digests and
`reconcile --expect-digest`, `--annotation-root`, the `written` block of
`--out`, and shallow clones said as such."""

import json
import re
import unittest

from harness import commit, git, head
from test_deploy import WriteCase


class DigestTest(WriteCase):
    def setUp(self):
        super().setUp()
        self.org()

    def test_the_digest_is_in_json_and_markdown_and_stable(self):
        _, first = self.plan("--select", "models/*")
        self.assertRegex(first["digest"], r"^sha256:[0-9a-f]{64}$")
        _, again = self.plan("--select", "models/*")
        self.assertEqual(again["digest"], first["digest"])
        markdown = self.reconcile("--select", "models/*", "--format", "markdown")
        self.assertTrue(markdown.stdout.startswith("<!-- ferry-plan-digest: %s -->\n" % first["digest"]),
                        markdown.stdout[:300])
        # Another selection writes something else: another digest.
        _, other = self.plan("--select", "models/new-model")
        self.assertNotEqual(other["digest"], first["digest"])

    def test_expect_digest_refuses_another_plan_and_writes_nothing(self):
        _, plan = self.plan("--select", "models/*")
        before = self.heads()
        wrong = "sha256:" + "0" * 64
        result, data = self.plan("--select", "models/*", "--expect-digest", wrong, dry_run=False)
        self.assertExit(result, 1)
        self.assertEqual(data["status"], "blocked")
        self.assertJsonDiag(result, data, "plan-mismatch", message_contains=(plan["digest"], wrong))
        self.assertEqual(self.heads(), before)
        result, data = self.plan("--select", "models/*", "--expect-digest", plan["digest"], dry_run=False)
        self.assertExit(result, 0)
        self.assertNotEqual(self.heads(), before)

    def test_a_digest_that_is_not_one_is_a_usage_error(self):
        for bad in ("sha256:abc", "md5:" + "0" * 64, "sha256:" + "A" * 64):
            self.assertExit(self.reconcile("--expect-digest", bad), 64)

    def test_out_of_a_written_plan_has_the_written_block(self):
        out = self.tmp / "plan.json"
        result, data = self.plan("--select", "models/*", "--out", str(out), dry_run=False)
        self.assertExit(result, 0)
        saved = json.loads(out.read_text())
        self.assertEqual(saved["written"], data["written"])
        self.assertEqual(saved["written"]["commit"], head(self.repos["prod"], "main"))


class AnnotationRootTest(WriteCase):
    def setUp(self):
        super().setUp()
        self.org()
        path = self.repos["dev"] / "models" / "users.yaml"
        git(self.repos["dev"], "checkout", "-q", "main")
        commit(self.repos["dev"], {"models/users.yaml": path.read_text().replace("source:", "sorce:")}, "typo")

    def annotations(self, *args):
        result = self.ferry(*args, "--format", "github", "validate", "dev")
        self.assertExit(result, 1)
        return re.findall(r"^::error file=([^,]*),line=(\d+)", result.stdout, re.M)

    def test_paths_inside_the_repository_by_default(self):
        self.assertIn(("models/users.yaml", "2"), self.annotations())

    def test_paths_relative_to_the_root_given(self):
        self.assertIn(("dev/models/users.yaml", "2"), self.annotations("--annotation-root", str(self.tmp)))
        self.assertIn(("models/users.yaml", "2"), self.annotations("--annotation-root", str(self.repos["dev"])))

    def test_a_file_outside_the_root_keeps_its_path_in_the_repository(self):
        self.assertIn(("models/users.yaml", "2"), self.annotations("--annotation-root", str(self.repos["prod"])))


class ShallowCloneTest(WriteCase):
    def test_a_commit_missing_from_a_shallow_clone_says_so(self):
        self.org()
        old = head(self.repos["dev"], "main")
        git(self.repos["dev"], "checkout", "-q", "main")
        commit(self.repos["dev"], {"README.md": "later\n"}, "later")
        shallow = self.tmp / "dev-shallow"
        git(self.tmp, "clone", "-q", "--depth", "1", "file://" + str(self.repos["dev"]), str(shallow))
        config = (self.tmp / "ferry.yaml").read_text()
        self.assertIn('repo: "dev"\n', config)
        (self.tmp / "ferry.yaml").write_text(config.replace('repo: "dev"\n', "repo: dev-shallow\n"))
        result, data = self.ferry_json("reconcile", "--from", "dev@" + old, "--to", "prod", "--dry-run")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "git", message_contains=("shallow clone",), hint_contains=("fetch-depth: 0",))


if __name__ == "__main__":
    unittest.main()
