"""The GitHub Action (.github/actions/ferry) run as a runner runs it
(tests/ci/runner.py) with the sample workflows' inputs, against the real
ferry binary, real repositories laid out as samples/github/README.md says
(one repository, ferry.yaml at its root, the workspaces under workspaces/)
and checked out as actions/checkout checks out a pull request, and GitHub's
REST API mocked on 127.0.0.1 (tests/ci/mock_github.py).

One test per point of SPEC 7 / the action's hardening: each failed with the
action as it was before, and passes now."""

import json
import os
import re
import shutil
import stat
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "e2e"))

from harness import MONOREPO_FERRY_YAML as FERRY_YAML, FERRY_BIN, SOURCE_DIR, commit, git, head  # noqa: E402
from mock_github import BOT, MockGitHub  # noqa: E402
from runner import run_action, step_inputs, workflow_step  # noqa: E402

# FERRY_CI_ACTION runs the tests against another copy of the action (an
# older one, to see each test fail on it).
ACTION = Path(os.environ.get("FERRY_CI_ACTION") or SOURCE_DIR / ".github" / "actions" / "ferry")
SAMPLES = SOURCE_DIR / "samples" / "github"
PR = 7


HOSTILE = [
    "::warning file=workspaces/dev/models/accounts.yaml,title=Approved::LGTM",
    "::add-mask::hunter2",
    "  ::error title=Approved::Security review passed",
    "##[warning]Approved by the security team",
]


def replace_in(path, old, new):
    text = path.read_text()
    assert old in text, (old, path)
    path.write_text(text.replace(old, new, 1))


class ActionCase(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="ferry-ci-"))
        self.addCleanup(lambda: shutil.rmtree(self.tmp, ignore_errors=True))
        self.api = MockGitHub()
        self.api_url = self.api.start()
        self.addCleanup(self.api.stop)
        os.environ.setdefault("FERRY_ACTION_API_PAUSE", "0.05")
        self.env = {"FERRY_ACTION_API_PAUSE": "0.05", "HOME": str(self.tmp / "home"),
                    "GIT_CONFIG_NOSYSTEM": "1", "FERRY_REPO_CACHE": str(self.tmp / "cache")}
        (self.tmp / "home").mkdir()
        git(self.tmp, "config", "--file", str(self.tmp / "home" / ".gitconfig"), "user.email", "ci@example.com")
        git(self.tmp, "config", "--file", str(self.tmp / "home" / ".gitconfig"), "user.name", "CI")

        # acme's configuration repository: main, as the sample workflows expect.
        self.seed = self.tmp / "seed"
        self.seed.mkdir()
        git(self.seed, "init", "-q", "-b", "main")
        git(self.seed, "config", "user.email", "alice@acme.com")
        git(self.seed, "config", "user.name", "Alice")
        shutil.copytree(SOURCE_DIR / "samples" / "workspaces", self.seed / "workspaces")
        for ws in ("dev", "staging", "prod"):
            replace_in(self.seed / "workspaces" / ws / "workspace.yaml", "members:\n",
                       'members:\n  "github:alice-a": admin\n')
        (self.seed / "ferry.yaml").write_text(FERRY_YAML)
        git(self.seed, "add", "-A")
        git(self.seed, "commit", "-q", "-m", "acme's workspaces")
        self.base = head(self.seed)
        self.origin = self.tmp / "origin.git"
        git(self.tmp, "clone", "-q", "--bare", str(self.seed), str(self.origin))

    # -- the repository's history -------------------------------------------

    def pull_request(self, change, meanwhile=None):
        """A pull request branched from main that makes `change` (a function
        of the work tree), merged with what main got `meanwhile`; its head
        and merge refs pushed as GitHub keeps them. Returns (head, merge)."""
        work = self.tmp / "work"
        if not work.exists():
            git(self.tmp, "clone", "-q", str(self.origin), str(work))
            git(work, "config", "user.email", "alice@acme.com")
            git(work, "config", "user.name", "Alice")
        git(work, "checkout", "-q", "-b", "feature", "origin/main")
        change(work)
        git(work, "commit", "-q", "-am", "the pull request's change")
        pr_head = head(work)
        git(work, "push", "-q", "origin", "HEAD:refs/pull/%d/head" % PR)
        git(work, "checkout", "-q", "main")
        if meanwhile:
            meanwhile(work)
            git(work, "commit", "-q", "-am", "merged meanwhile")
            git(work, "push", "-q", "origin", "main")
        git(work, "checkout", "-q", "--detach", "main")
        git(work, "merge", "-q", "--no-ff", "-m", "Merge pull request", "feature")
        merge = head(work)
        git(work, "push", "-q", "origin", "HEAD:refs/pull/%d/merge" % PR)
        git(work, "checkout", "-q", "main")
        git(work, "branch", "-q", "-D", "feature")
        self.pr_head, self.merge = pr_head, merge
        return pr_head, merge

    def checkout(self, ref, depth=None):
        """What actions/checkout leaves for `ref`: HEAD detached on it,
        origin's branches as origin/* (all of them with fetch-depth: 0, none
        with a depth), no local branch."""
        path = self.tmp / "checkout"
        if path.exists():
            shutil.rmtree(path)
        path.mkdir()
        git(path, "init", "-q")
        git(path, "remote", "add", "origin", "file://" + str(self.origin))
        if depth:
            git(path, "fetch", "-q", "--depth", str(depth), "origin", "+%s:refs/remotes/pull/%d/merge" % (ref, PR))
        else:
            git(path, "fetch", "-q", "origin", "+refs/heads/*:refs/remotes/origin/*",
                "+%s:refs/remotes/pull/%d/merge" % (ref, PR))
        git(path, "checkout", "-q", "--detach", "refs/remotes/pull/%d/merge" % PR)
        self.workspace = path
        return path

    # -- running the action ---------------------------------------------------

    def github(self, sha, event_name="pull_request", actor="alice-a", fork=False):
        event = {}
        if event_name == "pull_request":
            event = {"number": PR, "pull_request": {
                "number": PR,
                "head": {"sha": self.pr_head, "repo": {"full_name": "mallory/config" if fork else "acme/config",
                                                      "fork": fork}},
                "base": {"sha": self.base, "repo": {"full_name": "acme/config", "fork": False}}}}
        return {"sha": sha, "actor": actor, "repository": "acme/config", "event_name": event_name,
                "event": event, "api_url": self.api_url, "server_url": "https://github.example",
                "run_id": "4242", "token": "ghs_workflow", "workspace": str(self.workspace),
                "ref": "refs/pull/%d/merge" % PR}

    def sample_inputs(self, workflow, step, github):
        """The `with:` of a step of a sample workflow, as GitHub evaluates it."""
        inputs = step_inputs(workflow_step(SAMPLES / workflow, step),
                             {"github": github, "vars": {}, "steps": {}, "inputs": {}, "secrets": {},
                              "matrix": {}, "strategy": {}})
        inputs["ferry"] = str(Path(FERRY_BIN).resolve())
        return inputs

    def run_plan(self, github=None, **extra):
        github = github or self.github(self.merge)
        inputs = self.sample_inputs("plan.yml", "Plan dev -> staging", github)
        inputs.update(extra)
        return run_action(ACTION, inputs, github, env=self.env, runner_temp=self.tmp / "runner")

    def own_comments(self):
        return [c for c in self.api.comments_on(PR) if c["user"]["login"] == BOT]

    def assertOutputsFromThePlan(self, run, status):
        self.assertEqual(run.outputs["status"], status, run.describe())
        self.assertRegex(run.outputs["digest"], r"^sha256:[0-9a-f]{64}$", run.describe())
        self.assertNotEqual(run.outputs["creates"], "", run.describe())
        plan = json.loads(Path(run.outputs["plan-json"]).read_text())
        self.assertEqual(plan["digest"], run.outputs["digest"])
        self.assertIn(plan["digest"], run.summary)
        return plan

    def change_accounts(self, work):
        replace_in(work / "workspaces/dev/models/accounts.yaml", "with plan and owner.", "with plan, owner and region.")


class PlansTheMergeResult(ActionCase):
    """1. The plan is made from github.sha, the merge result, never from the
    pull request's head alone."""

    def test_a_change_merged_meanwhile_is_not_shown_reverted(self):
        def meanwhile(work):
            for ws in ("dev", "staging"):
                replace_in(work / "workspaces" / ws / "models/active-users.yaml",
                           "Users seen in the product", "People seen in the product")
        self.pull_request(self.change_accounts, meanwhile)
        self.checkout("refs/pull/%d/merge" % PR)
        run = self.run_plan()
        self.assertEqual(run.outcome, "success", run.describe())
        plan = self.assertOutputsFromThePlan(run, "changes")
        self.assertEqual(plan["from"]["commit"], self.merge)
        addresses = [c["address"] for c in plan["changes"]]
        self.assertIn("staging:models/accounts", addresses, run.describe())
        self.assertNotIn("staging:models/active-users", addresses, run.describe())
        self.assertNotIn("update staging:models/active-users", self.own_comments()[0]["body"])


class TheCommentIsItsOwn(ActionCase):
    """2. The comment is found by its marker AND its author; anyone else's
    comment with the marker is never edited, deleted or trusted."""

    def test_a_comment_by_someone_else_with_the_marker_is_left_alone(self):
        self.pull_request(self.change_accounts)
        self.checkout("refs/pull/%d/merge" % PR)
        forged = "<!-- ferry-plan: staging -->\n<!-- ferry-plan-digest: sha256:%s -->\n**No changes.**" % ("0" * 64)
        self.api.add_comment(PR, forged, "mallory")
        self.api.add_comment(PR, "<!-- ferry-plan: staging -->\nanother copy", "mallory")
        run = self.run_plan()
        self.assertEqual(run.outcome, "success", run.describe())
        others = [c for c in self.api.comments_on(PR) if c["user"]["login"] == "mallory"]
        self.assertEqual([c["body"] for c in others], [forged, "<!-- ferry-plan: staging -->\nanother copy"])
        (mine,) = self.own_comments()
        self.assertIn(run.outputs["digest"], mine["body"])
        self.assertNotIn(("PATCH", "/repos/acme/config/issues/comments/%d" % others[0]["id"]), self.api.requests)
        # Run again: the action's own comment is edited in place, still one.
        run = self.run_plan()
        self.assertEqual(run.outcome, "success", run.describe())
        self.assertEqual(len(self.own_comments()), 1)
        self.assertEqual(len(self.api.comments_on(PR)), 3)

    def test_apply_trusts_no_digest_but_its_own(self):
        self.pull_request(self.change_accounts)
        self.api.add_comment(PR, "<!-- ferry-plan: staging -->\n<!-- ferry-plan-digest: sha256:%s -->\n" % ("1" * 64),
                             "mallory")
        self.api.add_pull(self.merge, PR)
        git(self.tmp / "work", "push", "-q", "origin", "%s:refs/heads/main" % self.merge)
        self.checkout("refs/heads/main")
        github = self.github(self.merge, event_name="push")
        inputs = self.sample_inputs("apply.yml", "Apply dev -> staging", github)
        run = run_action(ACTION, inputs, github, env=self.env, runner_temp=self.tmp / "runner")
        self.assertEqual(run.outcome, "failure", run.describe())
        self.assertEqual(run.outputs["status"], "failed")
        self.assertIn("has no plan for staging commented by github-actions[bot]",
                      " ".join(a["message"] for a in run.annotations("error")))
        self.assertEqual(git(self.origin, "rev-parse", "main"), self.merge)


class OutputsNeverDependOnTheApi(ActionCase):
    """3. Status, counts and digest are outputs, and the plan is in the step
    summary, before any API call: an API that fails or cannot be reached
    fails the step, with every output set."""

    def check(self, run):
        self.assertEqual(run.outcome, "failure", run.describe())
        plan = self.assertOutputsFromThePlan(run, "changes")
        self.assertEqual((run.outputs["creates"], run.outputs["updates"]),
                         ("0", str(len(plan["changes"]))))
        self.assertIn("staging:models/accounts", run.summary)
        self.assertIn("could not comment on pull request #7", " ".join(a["message"] for a in run.annotations("error")))

    def test_persistent_server_errors(self):
        self.pull_request(self.change_accounts)
        self.checkout("refs/pull/%d/merge" % PR)
        self.api.fail("*", r"/issues/", 502)
        self.check(self.run_plan())
        self.assertGreaterEqual(len(self.api.requests), 3)  # tried, and tried again

    def test_an_unreachable_api(self):
        self.pull_request(self.change_accounts)
        self.checkout("refs/pull/%d/merge" % PR)
        self.api.stop()
        self.check(self.run_plan())


class NoStalePlanLooksCurrent(ActionCase):
    """4. A refused edit (a secondary rate limit's 403, not a fork) fails the
    step, and the previous plan's comment says it is outdated; only a fork's
    read-only token is a warning."""

    def test_a_refused_edit_marks_the_old_plan_outdated_and_fails(self):
        self.pull_request(self.change_accounts)
        self.checkout("refs/pull/%d/merge" % PR)
        old = self.api.add_comment(PR, "<!-- ferry-plan: staging -->\n**Plan: 0 to create, 9 to update.**", BOT)
        self.api.fail("PATCH", r"/issues/comments/", 403, times=1)
        run = self.run_plan()
        self.assertEqual(run.outcome, "failure", run.describe())
        self.assertOutputsFromThePlan(run, "changes")
        body = self.api.comments[old["id"]]["body"]
        self.assertIn("This plan is outdated", body)
        self.assertNotIn("9 to update", body)
        self.assertEqual([a for a in run.annotations("warning") if a["properties"].get("title") == "ferry"], [])

    def test_a_fork_read_only_token_only_warns(self):
        self.pull_request(self.change_accounts)
        self.checkout("refs/pull/%d/merge" % PR)
        self.api.fail("POST", r"/issues/7/comments", 403)
        run = self.run_plan(github=self.github(self.merge, fork=True))
        self.assertEqual(run.outcome, "success", run.describe())
        self.assertOutputsFromThePlan(run, "changes")
        self.assertIn("from a fork", " ".join(a["message"] for a in run.annotations("warning")), run.describe())


class NothingFromAWorkspaceIsObeyed(ActionCase):
    """5. Text from a pull request's YAML, or anything ferry says, reaches
    the log only as text: no annotation, mask or other command of its own."""

    def test_workflow_commands_in_yaml_and_in_ferry_output(self):
        def change(work):
            path = work / "workspaces/dev/models/accounts.yaml"
            text = path.read_text().replace("tags: [crm]\n", "tags: %s\n" % json.dumps(HOSTILE))
            path.write_text(text.replace("description: One row per customer account, with plan and owner.",
                                         "description: %s" % json.dumps("One row\n" + "\n".join(HOSTILE))))
        self.pull_request(change)
        self.checkout("refs/pull/%d/merge" % PR)
        # ferry's standard error and markdown are not the action's to trust
        # either: a ferry that prints such lines.
        wrapper = self.tmp / "ferry-says"
        wrapper.write_text("#!/bin/bash\nfor l in %s; do echo \"$l\" >&2; done\n"
                           "case \" $* \" in *\" markdown \"*) printf '%%s\\n' %s;; esac\n"
                           "exec %s \"$@\"\n" % (" ".join("'%s'" % h for h in HOSTILE),
                                                 " ".join("'%s'" % h for h in HOSTILE), Path(FERRY_BIN).resolve()))
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
        run = self.run_plan(ferry=str(wrapper))
        self.assertIn("Approved", run.log)  # it was echoed, as text
        self.assertEqual(run.masks(), [], run.describe())
        for a in run.annotations():
            self.assertNotIn("Approved", a["properties"].get("title", ""), a)
            self.assertFalse(a["message"].startswith(("LGTM", "Security review", "Approved")), a)
        self.assertEqual([c["command"] for c in run.commands
                          if c["command"] not in ("error", "warning", "notice", "group", "endgroup")], [])


class OversizedPlans(ActionCase):
    """6. A plan too long for a comment: the comment fits and names every
    changed resource, without an empty heading or an untrue note; the step
    summary has the whole plan."""

    def test_a_plan_longer_than_a_comment(self):
        def change(work):
            models = work / "workspaces/dev/models"
            links = work / "workspaces/staging/links.yaml"
            for i in range(60):
                (models / ("big-%02d.yaml" % i)).write_text(
                    "name: Big %d\nsource: warehouse-dev\ntype: sql\nsql: %s\n" % (i, json.dumps(
                        "select " + ", ".join("col_%d_%d" % (i, j) for j in range(150)) + " from t")))
            git(work, "add", "-A")
        self.pull_request(change)
        self.checkout("refs/pull/%d/merge" % PR)
        run = self.run_plan(select="models/big-*")
        self.assertEqual(run.outcome, "success", run.describe())
        plan = self.assertOutputsFromThePlan(run, "changes")
        self.assertEqual(len(plan["changes"]), 60)
        (mine,) = self.own_comments()
        body = mine["body"]
        self.assertLessEqual(len(body), 65536)
        for c in plan["changes"]:
            self.assertIn(c["address"], body)
            self.assertIn(c["address"], run.summary)
        self.assertGreater(len(run.summary), 65536)
        self.assertLessEqual(len(run.summary.encode()), 1024 * 1024)
        self.assertIsNone(re.search(r"^#+ .*\n+(#+ |\Z|</details>)", body, re.M), body[-3000:])
        self.assertNotIn("the job's step summary and log have the whole plan", body)
        self.assertIn(plan["digest"], body.split("\n")[1])


class ApplyReportsTheCommit(ActionCase):
    """7. Apply mode names the written commit in its outputs, its summary and
    its JSON plan, and applies only the plan reviewed on the pull request."""

    def test_apply_after_review(self):
        self.pull_request(self.change_accounts)
        self.checkout("refs/pull/%d/merge" % PR)
        run = self.run_plan()
        self.assertEqual(run.outcome, "success", run.describe())
        reviewed = run.outputs["digest"]
        # The merge lands on main; apply.yml runs on the push.
        git(self.tmp / "work", "push", "-q", "origin", "%s:refs/heads/main" % self.merge)
        self.api.add_pull(self.merge, PR)
        self.checkout("refs/heads/main")
        github = self.github(self.merge, event_name="push")
        inputs = self.sample_inputs("apply.yml", "Apply dev -> staging", github)
        run = run_action(ACTION, inputs, github, env=self.env, runner_temp=self.tmp / "runner2")
        self.assertEqual(run.outcome, "success", run.describe())
        self.assertEqual(run.outputs["status"], "applied")
        written = git(self.origin, "rev-parse", "main")
        self.assertNotEqual(written, self.merge)
        self.assertEqual(run.outputs["commit"], written)
        self.assertEqual(run.outputs["digest"], reviewed)
        self.assertIn(written, run.summary)
        plan = json.loads(Path(run.outputs["plan-json"]).read_text())
        self.assertEqual(plan["written"]["commit"], written)
        self.assertIn("Ferry-Actor: github:alice-a", git(self.origin, "log", "-1", "--format=%B", "main"))
        # The reviewed comment now says what was applied, with the same digest.
        (mine,) = self.own_comments()
        self.assertIn("Applied: commit %s on staging, pushed." % written, mine["body"])
        self.assertEqual(mine["body"].split("\n")[1], "<!-- ferry-plan-digest: %s -->" % reviewed)

    def test_apply_refuses_a_plan_other_than_the_reviewed_one(self):
        self.pull_request(self.change_accounts)
        self.checkout("refs/pull/%d/merge" % PR)
        self.assertEqual(self.run_plan().outcome, "success")
        # Something else reached main before the merge was applied.
        work = self.tmp / "work"
        git(work, "checkout", "-q", "--detach", self.merge)
        replace_in(work / "workspaces/dev/models/accounts.yaml", "region", "region and segment")
        git(work, "commit", "-q", "-am", "after review")
        after = head(work)
        git(work, "push", "-q", "origin", "%s:refs/heads/main" % after)
        git(work, "checkout", "-q", "main")
        self.api.add_pull(after, PR)
        self.checkout("refs/heads/main")
        github = self.github(after, event_name="push")
        run = run_action(ACTION, self.sample_inputs("apply.yml", "Apply dev -> staging", github), github,
                         env=self.env, runner_temp=self.tmp / "runner2")
        self.assertEqual(run.outcome, "failure", run.describe())
        self.assertEqual(run.outputs["status"], "blocked")
        self.assertEqual(run.outputs["commit"], "")
        self.assertEqual(git(self.origin, "rev-parse", "main"), after)
        self.assertIn("plan-mismatch", run.log)


class ShallowCheckouts(ActionCase):
    """8. A shallow checkout that lacks what ferry needs is said to be
    shallow, with the fix, not reported as a blocked plan."""

    def test_fetch_depth_one(self):
        self.pull_request(self.change_accounts)
        self.checkout("refs/pull/%d/merge" % PR, depth=1)
        run = self.run_plan()
        self.assertEqual(run.outcome, "failure", run.describe())
        self.assertEqual(run.outputs["status"], "failed")
        errors = " ".join(a["message"] for a in run.annotations("error"))
        self.assertIn("shallow clone", errors)
        self.assertIn("fetch-depth: 0", errors)
        self.assertNotIn("blocked", run.outputs["status"])


class AnnotationsLandOnTheChangedFiles(ActionCase):
    """9. ferry's --format github annotations, with paths relative to the
    checkout root."""

    def test_an_error_in_a_workspace_file(self):
        def change(work):
            replace_in(work / "workspaces/dev/models/accounts.yaml", "primary_key:", "primary_kee:")
        self.pull_request(change)
        self.checkout("refs/pull/%d/merge" % PR)
        run = self.run_plan()
        self.assertEqual(run.outcome, "failure", run.describe())
        files = {a["properties"].get("file") for a in run.annotations("error")}
        self.assertIn("workspaces/dev/models/accounts.yaml", files, run.describe())
        (schema,) = [a for a in run.annotations("error") if a["properties"].get("title") == "schema"]
        self.assertEqual(schema["properties"]["line"], "5")


class SchemaLinesResolve(ActionCase):
    """10. The files apply writes point editors at schemas that exist in a
    plain clone."""

    def test_written_files_name_schemas_in_the_clone(self):
        def change(work):
            self.change_accounts(work)
            scratch = self.tmp / "scratch"
            git(self.tmp, "init", "-q", "-b", "main", str(scratch))
            commit(scratch, {"README.md": "x\n"}, "start")
            from harness import run as ferry_run
            ferry_run("init", "scratch", "--org", "acme", "--actor", "alice@acme.com", cwd=scratch)
            shutil.copytree(scratch / ".ferry", work / "workspaces/staging/.ferry")
            git(work, "add", "-A")
        self.pull_request(change)
        git(self.tmp / "work", "push", "-q", "origin", "%s:refs/heads/main" % self.merge)
        self.checkout("refs/heads/main")
        github = self.github(self.merge, event_name="push")
        inputs = self.sample_inputs("apply.yml", "Apply dev -> staging", github)
        inputs["expect-digest"] = "none"
        run = run_action(ACTION, inputs, github, env=self.env, runner_temp=self.tmp / "runner")
        self.assertEqual(run.outcome, "success", run.describe())
        clone = self.tmp / "clone"
        git(self.tmp, "clone", "-q", str(self.origin), str(clone))
        written = clone / "workspaces/staging/models/accounts.yaml"
        first = written.read_text().split("\n", 1)[0]
        self.assertTrue(first.startswith("# yaml-language-server: $schema="), first)
        self.assertTrue((written.parent / first.split("=", 1)[1]).resolve().is_file(), first)


class TheActorIsWhoGitHubSays(ActionCase):
    """11. ferry acts as github:<github.actor>, never as a commit's author."""

    def test_a_commit_author_email_grants_nothing(self):
        self.pull_request(self.change_accounts)  # authored by alice@acme.com, an admin
        self.checkout("refs/pull/%d/merge" % PR)
        run = self.run_plan(github=self.github(self.merge, actor="mallory"))
        self.assertEqual(run.outcome, "failure", run.describe())
        plan = json.loads(Path(run.outputs["plan-json"]).read_text())
        self.assertEqual(plan["actor"], "github:mallory")
        self.assertEqual({e["code"] for e in plan["errors"]}, {"permission-denied"})
        run = self.run_plan(github=self.github(self.merge, actor="alice-a"))
        self.assertEqual(run.outcome, "success", run.describe())
        self.assertEqual(json.loads(Path(run.outputs["plan-json"]).read_text())["actor"], "github:alice-a")


if __name__ == "__main__":
    unittest.main()
