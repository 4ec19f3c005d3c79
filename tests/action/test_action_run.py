"""The GitHub Action's main step (.github/actions/ferry/run.sh) run as a
workflow would run it: the real ferry binary, a repository laid out as the
sample workflows expect (one repository, ferry.yaml at its root, the
workspaces of samples/ under workspaces/) checked out the way
actions/checkout leaves it, and GitHub's comment API faked on the loopback
interface."""

import json
import os
import shutil
import subprocess
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from fake_github import FakeGitHub, serve  # noqa: E402
from harness import MONOREPO_FERRY_YAML as FERRY_YAML, FERRY_BIN, SOURCE_DIR, FerryTestCase, commit, ferry_env, git, head, make_repo  # noqa: E402

RUN_SH = SOURCE_DIR / ".github" / "actions" / "ferry" / "run.sh"



def outputs(path):
    out = {}
    for line in Path(path).read_text().splitlines():
        key, _, value = line.partition("=")
        out[key] = value
    return out


class ActionRun(FerryTestCase):
    def setUp(self):
        super().setUp()
        self.assertTrue(RUN_SH.is_file(), "missing %s" % RUN_SH)
        # The organization's repository on "GitHub" (a bare repository), and
        # a checkout of a pull request as actions/checkout with fetch-depth: 0
        # leaves it: HEAD detached, the branches only as origin/*.
        seed = make_repo(self.tmp / "seed")
        shutil.copytree(SOURCE_DIR / "samples" / "workspaces", seed / "workspaces")
        commit(seed, {"ferry.yaml": FERRY_YAML}, "acme's workspaces")
        self.origin = self.tmp / "origin.git"
        git(self.tmp, "clone", "-q", "--bare", str(seed), str(self.origin))
        self.checkout = self.tmp / "checkout"
        git(self.tmp, "clone", "-q", str(self.origin), str(self.checkout))
        git(self.checkout, "checkout", "-q", "--detach")
        git(self.checkout, "branch", "-q", "-D", "main")
        self.pr_head = head(self.checkout)

        self.api = FakeGitHub([{"body": "Please deploy this", "user": "bob"}])
        self.api_url, stop = serve(self.api)
        self.addCleanup(stop)
        self.event = self.tmp / "event.json"
        self.event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": self.pr_head}}}))

    def action(self, **inputs):
        """Runs run.sh in the checkout with the given inputs; returns
        (process, outputs, step summary)."""
        summary = self.tmp / "summary.md"
        output = self.tmp / "output.txt"
        for f in (summary, output):
            f.write_text("")
        env = {
            "FERRY_BIN": str(Path(FERRY_BIN).resolve()),
            "GITHUB_API_URL": self.api_url,
            "GITHUB_REPOSITORY": "acme/config",
            "GITHUB_EVENT_PATH": str(self.event),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_RUN_ID": "42",
            "GITHUB_SHA": self.pr_head,
            "RUNNER_TEMP": str(self.tmp),
            "INPUT_GITHUB_TOKEN": "test-token",
            "INPUT_ACTOR": "alice@acme.com",
            "GITHUB_ACTIONS": None,  # never touch the global git configuration here
            "GITHUB_TOKEN": None,
        }
        for name, value in inputs.items():
            env["INPUT_" + name.upper()] = value
        proc = subprocess.run(
            ["bash", str(RUN_SH)],
            cwd=str(self.checkout),
            env=ferry_env(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
        return proc, outputs(output), summary.read_text()

    def describe(self, proc):
        return "exit %d\n--- stdout\n%s\n--- stderr\n%s" % (proc.returncode, proc.stdout, proc.stderr)

    def comments(self):
        return [b for b in self.api.bodies(7) if b.startswith("<!-- ferry-plan:")]

    def test_plan_comments_once_and_updates_in_place(self):
        proc, out, summary = self.action(**{"from": "dev@" + self.pr_head, "to": "prod"})
        self.assertEqual(proc.returncode, 0, self.describe(proc))
        self.assertEqual((out["status"], out["exit-code"], out["changes"]), ("changes", "2", "true"))
        (body,) = self.comments()
        plan = json.loads(Path(out["plan-json"]).read_text())
        self.assertTrue(body.startswith("<!-- ferry-plan: prod -->\n<!-- ferry-plan-digest: %s -->\n"
                                        "### ferry: `dev` → `prod`" % plan["digest"]), body)
        self.assertIn("**Plan: 0 to create, 1 to update.**", body)
        self.assertLess(body.index("**Plan:"), body.index("<details"))
        self.assertIn("commit `%s`" % self.pr_head[:12], body)
        # The step summary has ferry's whole plan, the comment's part included.
        self.assertIn(body.split("\n", 1)[1].split("\n<sub>")[0].strip(), summary)
        self.assertEqual(plan["status"], "ok")
        self.assertEqual((out["digest"], out["creates"], out["updates"]), (plan["digest"], "0", "1"))
        self.assertIn("#issuecomment-", out["comment-url"])
        # ferry reads the target from the local branch the step made.
        self.assertEqual(head(self.checkout, "refs/heads/main"), head(self.checkout, "refs/remotes/origin/main"))

        # The next push: the same comment, edited; another target: another comment.
        proc, out2, _ = self.action(**{"from": "dev@" + self.pr_head, "to": "prod", "select": "syncs/users-*",
                                       "exclude": "syncs/accounts-*"})
        self.assertEqual(proc.returncode, 0, self.describe(proc))
        self.assertEqual(out2["comment-url"], out["comment-url"])
        proc, _, _ = self.action(**{"from": "dev@" + self.pr_head, "to": "staging"})
        self.assertEqual(proc.returncode, 0, self.describe(proc))
        self.assertEqual(len(self.comments()), 2)
        self.assertEqual(len(self.api.bodies(7)), 3)  # bob's comment is left alone

    def test_a_blocked_plan_fails_the_step_with_its_errors_in_view(self):
        proc, out, summary = self.action(**{"from": "dev", "to": "prod", "actor": "dave@acme.com"})
        self.assertEqual(proc.returncode, 1, self.describe(proc))
        self.assertEqual((out["status"], out["exit-code"], out["changes"]), ("blocked", "1", "false"))
        self.assertIn("::error title=ferry::the plan from dev to prod is blocked", proc.stderr)
        (body,) = self.comments()
        self.assertIn("**Plan blocked by", body)
        self.assertIn("`permission-denied`", body)
        self.assertNotIn("<details", body.split("`permission-denied`")[0])
        self.assertIn("Plan blocked by", summary)

    def test_a_usage_error_fails_and_says_why(self):
        proc, out, _ = self.action(**{"from": "dev", "to": "prod", "select": "models"})
        self.assertEqual(proc.returncode, 1, self.describe(proc))
        self.assertEqual((out["status"], out["exit-code"]), ("usage-error", "64"))
        (body,) = self.comments()
        self.assertIn("ferry could not make a plan (exit 64)", body)
        self.assertIn("error[usage]: 'models' is not a KIND/ID pattern", body)

    def test_no_changes(self):
        proc, out, _ = self.action(**{"from": "dev", "to": "prod", "select": "models/accounts"})
        self.assertEqual(proc.returncode, 0, self.describe(proc))
        self.assertEqual((out["status"], out["changes"]), ("no-changes", "false"))
        self.assertIn("**No changes.**", self.comments()[0])

    def test_comment_false_posts_nothing(self):
        proc, out, summary = self.action(**{"from": "dev", "to": "prod", "comment": "false"})
        self.assertEqual(proc.returncode, 0, self.describe(proc))
        self.assertEqual((self.comments(), out["comment-url"]), ([], ""))
        self.assertIn("Plan: 0 to create, 1 to update.", summary)

    def test_a_token_that_may_not_comment_fails_with_the_plan_in_the_outputs(self):
        # SPEC 7: only a fork's read-only token is a warning.
        proc, out, summary = self.action(**{"from": "dev", "to": "prod", "github_token": "wrong"})
        self.assertEqual(proc.returncode, 1, self.describe(proc))
        self.assertIn("::error title=ferry::ferry could not comment on pull request #7", proc.stderr)
        self.assertEqual((out["status"], out["comment-url"]), ("changes", ""))
        self.assertIn("Plan: 0 to create, 1 to update.", summary)

    def test_a_forks_token_that_may_not_comment_only_warns(self):
        self.event.write_text(json.dumps({"pull_request": {
            "number": 7, "head": {"sha": self.pr_head, "repo": {"full_name": "mallory/config", "fork": True}},
            "base": {"repo": {"full_name": "acme/config"}}}}))
        real = self.api.request

        def read_only(method, path, body=None):
            if method != "GET":
                raise self.api.error(403, "Resource not accessible by integration")
            return real(method, path, body)

        self.api.request = read_only
        proc, out, _ = self.action(**{"from": "dev", "to": "prod"})
        self.assertEqual(proc.returncode, 0, self.describe(proc))
        self.assertIn("::warning title=ferry::ferry could not comment on pull request #7 from a fork", proc.stderr)
        self.assertEqual((out["status"], out["comment-url"]), ("changes", ""))

    def test_apply_without_a_reviewed_plan_writes_nothing(self):
        before = head(self.origin, "main")
        proc, out, summary = self.action(**{"from": "dev", "to": "prod", "mode": "apply", "all": "true"})
        self.assertEqual(proc.returncode, 1, self.describe(proc))
        self.assertEqual(out["status"], "failed")
        self.assertIn("has no plan for prod commented by github-actions[bot]", proc.stderr)
        self.assertIn("nothing was applied", summary)
        self.assertEqual(head(self.origin, "main"), before)

    def test_bad_inputs_are_refused_before_ferry_runs(self):
        for inputs, message in [
            ({"from": "dev", "to": "prod", "mode": "deploy"}, "mode must be plan or apply"),
            ({"from": "dev", "to": ""}, "the 'to' input is required"),
            ({"from": "dev", "to": "prod", "all": "maybe"}, "'maybe' is not true or false"),
        ]:
            proc, _, _ = self.action(**inputs)
            self.assertEqual(proc.returncode, 1, self.describe(proc))
            self.assertIn(message, proc.stderr)
        self.assertEqual(self.comments(), [])

    def test_apply_writes_one_commit_and_pushes_it(self):
        before = head(self.origin, "main")
        # No pull request reviewed this plan: the workflow opts out (SPEC 7).
        proc, out, summary = self.action(**{"from": "dev", "to": "prod", "mode": "apply", "all": "true",
                                            "expect_digest": "none"})
        self.assertEqual(proc.returncode, 0, self.describe(proc))
        self.assertEqual((out["status"], out["exit-code"], out["changes"]), ("applied", "2", "true"))
        self.assertEqual((out["commit"], out["pushed"]), (head(self.origin, "main"), "true"))
        self.assertIn("Applied: commit %s on prod, pushed." % out["commit"], summary)
        after = head(self.origin, "main")
        self.assertNotEqual(before, after)
        self.assertEqual(head(self.origin, "main^"), before)
        message = git(self.origin, "log", "-1", "--format=%B", "main")
        self.assertIn("Ferry-From: dev@%s" % before, message)
        self.assertIn("Ferry-Actor: alice@acme.com", message)
        self.assertIn("models/ltv", git(self.origin, "show", "--stat", "--format=", "main"))

        # Deploying again changes nothing.
        git(self.checkout, "fetch", "-q", "origin")
        proc, out, _ = self.action(**{"from": "dev", "to": "prod", "mode": "apply", "all": "true",
                                      "expect_digest": "none"})
        self.assertEqual(proc.returncode, 0, self.describe(proc))
        self.assertEqual(out["status"], "no-changes")
        self.assertEqual(head(self.origin, "main"), after)

    def test_apply_to_a_branch_without_pushing(self):
        before = head(self.origin, "main")
        proc, out, _ = self.action(**{"from": "dev", "to": "prod", "mode": "apply", "branch": "deploy/prod",
                                      "push": "false", "message": "Promote dev to prod", "expect_digest": "none"})
        self.assertEqual(proc.returncode, 0, self.describe(proc))
        self.assertEqual(out["status"], "applied")
        self.assertEqual(head(self.origin, "main"), before)
        self.assertEqual(git(self.checkout, "log", "-1", "--format=%s", "deploy/prod"), "Promote dev to prod")
        self.assertEqual(git(self.origin, "branch", "--list", "deploy/prod"), "")


if __name__ == "__main__":
    unittest.main()
