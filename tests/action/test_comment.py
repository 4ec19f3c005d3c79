"""The GitHub Action's comment logic (.github/actions/ferry/comment.py):
composing within GitHub's limit, and finding and updating the one comment
per target environment that is the action's own. No network: the API is a
fake in memory. (tests/ci runs the whole action as a runner does.)"""

import importlib.util
import io
import json
import os
import tempfile
import unittest
from pathlib import Path

from fake_github import FakeGitHub

SOURCE_DIR = Path(os.environ.get("FERRY_SOURCE_DIR") or Path(__file__).resolve().parents[2])
_spec = importlib.util.spec_from_file_location("comment", SOURCE_DIR / ".github" / "actions" / "ferry" / "comment.py")
comment = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(comment)
# The fake raises the client's own errors, as the real client would.
FakeGitHub.error = comment.GitHubError

PLAN = """### ferry: `dev` → `prod`

**Plan: 0 to create, 1 to update.**

From `dev@763f34c9b518` to `prod@228f493bda59`, as alice@acme.com.

**Warnings**

- **warning** `lands-as-draft`: prod:syncs/users-to-salesforce lands as a draft

<details><summary>Changes (1)</summary>

#### ~ update prod:syncs/users-to-salesforce (from dev:syncs/users-to-salesforce) as a draft

```diff
      config.mappings[0].to: "Email" -> "EmailAddress"
    + config.mappings[3]: {"from":"plan","to":"Plan__c"}
```

</details>
"""

ENV = {
    "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
    "GITHUB_SERVER_URL": "https://github.example",
    "GITHUB_REPOSITORY": "acme/config",
    "GITHUB_RUN_ID": "42",
}


def huge_plan(changes, lines_each=40):
    """A plan whose collapsed section is far longer than a comment."""
    parts = [PLAN.split("<details>")[0], "<details><summary>Changes (%d)</summary>\n\n" % changes]
    for i in range(changes):
        parts.append("#### + create prod:models/m%d (from dev:models/m%d)\n\n```diff\n" % (i, i))
        parts += ["    + config.field%d: \"é → %d\"\n" % (j, j) for j in range(lines_each)]
        parts.append("```\n\n")
    parts.append("</details>\n")
    return "".join(parts)


class Compose(unittest.TestCase):
    def test_marker_first_then_ferrys_markdown_and_a_footer(self):
        body = comment.compose("prod", "ferry", PLAN, "", 2, "plan", env=ENV)
        self.assertTrue(body.startswith("<!-- ferry-plan: prod -->\n"), body)
        self.assertIn(PLAN.strip("\n"), body)
        self.assertIn("commit `0123456789ab`", body)
        self.assertIn("[workflow run](https://github.example/acme/config/actions/runs/42)", body)

    def test_the_footer_names_the_commit_planned_the_merge_result_not_the_head(self):
        # SPEC 7: on pull_request the plan is made from github.sha, the merge result.
        event = {"pull_request": {"number": 7, "head": {"sha": "feedface" * 5}}}
        body = comment.compose("prod", "ferry", PLAN, "", 2, "plan", env=ENV, event=event)
        self.assertIn("planned on commit `0123456789ab`", body)
        self.assertNotIn("feedface", body)

    def test_marker_keys_cannot_close_the_html_comment(self):
        self.assertEqual(comment.marker("prod -->x"), "<!-- ferry-plan: prod----x -->")
        self.assertEqual(comment.marker(""), "<!-- ferry-plan: default -->")

    def test_what_ferry_said_on_stderr_stays_above_the_collapsed_diffs(self):
        body = comment.compose("prod", "ferry", PLAN, "ferry: something odd\n", 2, "plan", env=ENV)
        self.assertLess(body.index("something odd"), body.index("<details>"))
        self.assertIn("**ferry exited 2 and said:**", body)

    def test_a_run_that_printed_no_plan_still_says_what_failed(self):
        err = "error[usage]: 'models' is not a KIND/ID pattern (e.g. models/active-users, syncs/*)\n"
        body = comment.compose("prod", "ferry: `dev` → `prod`", "", err, 64, "plan", env=ENV)
        self.assertIn("### ferry: `dev` → `prod`", body)
        self.assertIn("**ferry could not make a plan (exit 64).**", body)
        self.assertIn("error[usage]", body)
        self.assertNotIn("<details", body)

    def test_backticks_in_stderr_cannot_end_the_code_block(self):
        block = comment.code_block("a ```` b")
        self.assertTrue(block.startswith("`````\n"), block)

    def test_long_stderr_is_capped(self):
        err = "\n".join("line %d of noise" % i for i in range(5000))
        body = comment.compose("prod", "ferry", PLAN, err, 1, "plan", env=ENV)
        self.assertLess(len(body), len(PLAN) + comment.STDERR_LIMIT + 1000)
        self.assertIn("more characters in the job's log", body)

    def test_a_plan_that_fits_is_not_cut(self):
        body = comment.compose("prod", "ferry", PLAN, "", 2, "plan", env=ENV)
        self.assertNotIn("was cut", body)


def huge_json(changes):
    return {"digest": "sha256:" + "a" * 64, "status": "ok",
            "changes": [{"address": "prod:models/m%d" % i, "action": "create", "mode": "publish"}
                        for i in range(changes)]}


class TooLong(unittest.TestCase):
    """The action does not cut ferry's markdown (ferry fits it to a
    comment); when the action's own lines cannot fit beside it, it leaves
    them out, and when even that is too long, the comment is the summary and
    every change, with a note that says truthfully where the plan is."""

    def test_the_actions_lines_go_first(self):
        markdown = PLAN + "x" * (comment.COMMENT_LIMIT - len(PLAN) - 100)
        body = comment.compose("prod", "ferry", markdown, "ferry: a note\n" * 50, 2, "plan", env=ENV)
        self.assertLessEqual(len(body), comment.COMMENT_LIMIT)
        self.assertIn(markdown.strip("\n"), body)
        self.assertNotIn("a note", body)

    def test_a_plan_over_the_limit_is_listed_whole(self):
        plan = huge_plan(400)
        data = huge_json(400)
        self.assertGreater(len(plan), 5 * comment.COMMENT_LIMIT)
        body = comment.compose("prod", "ferry", plan, "", 2, "plan", env=ENV, plan=data)
        self.assertLessEqual(len(body), comment.COMMENT_LIMIT)
        self.assertTrue(body.startswith("<!-- ferry-plan: prod -->\n<!-- ferry-plan-digest: sha256:"), body[:200])
        self.assertIn("**Plan: 0 to create, 1 to update.**", body)  # the summary survives
        for c in data["changes"]:
            self.assertIn("`%s`" % c["address"], body)
        self.assertIn("the step summary of the workflow run has it whole", body)
        self.assertNotIn("<details", body)
        self.assertNotIn("####", body)
        self.assertTrue(body.rstrip().endswith("</sub>"), body[-300:])  # so does the footer

    def test_changes_ferrys_markdown_does_not_name_are_listed(self):
        data = huge_json(3)
        body = comment.compose("prod", "ferry", PLAN, "", 2, "plan", env=ENV, plan=data)
        self.assertIn("**Also changed** (3", body)
        for c in data["changes"]:
            self.assertIn(c["address"], body)


class Upsert(unittest.TestCase):
    def test_first_run_creates_the_comment(self):
        api = FakeGitHub([{"body": "Looks good to me", "user": "bob"}])
        done, url = comment.upsert_comment(api, "acme/config", 7, "prod", "<!-- ferry-plan: prod -->\nplan 1")
        self.assertEqual(done, "created")
        self.assertIn("#issuecomment-", url)
        self.assertEqual(api.bodies(), ["Looks good to me", "<!-- ferry-plan: prod -->\nplan 1"])

    def test_every_later_push_edits_the_same_comment(self):
        api = FakeGitHub()
        _, first = comment.upsert_comment(api, "acme/config", 7, "prod", "<!-- ferry-plan: prod -->\nplan 1")
        done, second = comment.upsert_comment(api, "acme/config", 7, "prod", "<!-- ferry-plan: prod -->\nplan 2")
        self.assertEqual(done, "updated")
        self.assertEqual(first, second)
        self.assertEqual(api.bodies(), ["<!-- ferry-plan: prod -->\nplan 2"])

    def test_an_unchanged_plan_is_not_edited(self):
        api = FakeGitHub([{"body": "<!-- ferry-plan: prod -->\nplan 1"}])
        done, _ = comment.upsert_comment(api, "acme/config", 7, "prod", "<!-- ferry-plan: prod -->\nplan 1")
        self.assertEqual(done, "unchanged")
        self.assertNotIn("PATCH", [m for m, _ in api.calls])

    def test_one_comment_per_target_environment(self):
        api = FakeGitHub([{"body": "<!-- ferry-plan: staging -->\nstaging plan"}])
        comment.upsert_comment(api, "acme/config", 7, "prod", "<!-- ferry-plan: prod -->\nprod plan")
        comment.upsert_comment(api, "acme/config", 7, "staging", "<!-- ferry-plan: staging -->\nnew staging")
        self.assertEqual(sorted(api.bodies()), ["<!-- ferry-plan: prod -->\nprod plan",
                                                "<!-- ferry-plan: staging -->\nnew staging"])

    def test_a_quoted_marker_is_not_the_comment(self):
        api = FakeGitHub([{"body": "> <!-- ferry-plan: prod -->\n> quoted", "user": "bob"}])
        done, _ = comment.upsert_comment(api, "acme/config", 7, "prod", "<!-- ferry-plan: prod -->\nplan")
        self.assertEqual(done, "created")

    def test_a_marker_for_another_key_that_starts_alike_is_not_the_comment(self):
        api = FakeGitHub([{"body": "<!-- ferry-plan: prod-eu -->\nother"}])
        done, _ = comment.upsert_comment(api, "acme/config", 7, "prod", "<!-- ferry-plan: prod -->\nplan")
        self.assertEqual(done, "created")

    def test_the_comment_is_found_beyond_the_first_page(self):
        api = FakeGitHub([{"body": "chatter %d" % i, "user": "bob"} for i in range(230)])
        api.add("<!-- ferry-plan: prod -->\nold", "github-actions[bot]")
        done, _ = comment.upsert_comment(api, "acme/config", 7, "prod", "<!-- ferry-plan: prod -->\nnew")
        self.assertEqual(done, "updated")
        self.assertEqual(len(api.bodies()), 231)
        self.assertIn("page=3", " ".join(p for _, p in api.calls))

    def test_copies_left_by_racing_runs_are_removed(self):
        api = FakeGitHub([
            {"body": "<!-- ferry-plan: prod -->\nrun 1"},
            {"body": "<!-- ferry-plan: prod -->\nrun 2"},
            {"body": "<!-- ferry-plan: prod -->\nsomeone else's", "user": "mallory"},
        ])
        comment.upsert_comment(api, "acme/config", 7, "prod", "<!-- ferry-plan: prod -->\nrun 3")
        self.assertEqual(api.bodies(), ["<!-- ferry-plan: prod -->\nrun 3", "<!-- ferry-plan: prod -->\nsomeone else's"])

    def test_other_pull_requests_are_left_alone(self):
        api = FakeGitHub([{"body": "<!-- ferry-plan: prod -->\nPR 8", "number": 8}])
        done, _ = comment.upsert_comment(api, "acme/config", 7, "prod", "<!-- ferry-plan: prod -->\nPR 7")
        self.assertEqual(done, "created")
        self.assertEqual(api.bodies(8), ["<!-- ferry-plan: prod -->\nPR 8"])


class CommandLine(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="ferry-comment-"))
        self.addCleanup(lambda: __import__("shutil").rmtree(self.tmp, ignore_errors=True))

    def event(self, data):
        path = self.tmp / "event.json"
        path.write_text(json.dumps(data))
        return dict(ENV, GITHUB_EVENT_PATH=str(path), GITHUB_TOKEN="t")

    def run_main(self, argv, env, api=None):
        out = io.StringIO()
        rc = comment.main(argv, env=env, api=api, out=out)
        return rc, out.getvalue()

    def test_compose_reads_ferrys_output_files(self):
        (self.tmp / "plan.md").write_text(PLAN)
        rc, out = self.run_main(["compose", "--key", "prod", "--markdown", str(self.tmp / "plan.md"),
                                 "--stderr", str(self.tmp / "missing.txt"), "--exit-code", "2"], ENV)
        self.assertEqual(rc, 0)
        self.assertTrue(out.startswith("<!-- ferry-plan: prod -->\n### ferry:"), out)

    def test_post_comments_on_the_events_pull_request(self):
        (self.tmp / "body.md").write_text("<!-- ferry-plan: prod -->\nplan")
        api = FakeGitHub()
        rc, out = self.run_main(["post", "--key", "prod", "--body", str(self.tmp / "body.md")],
                                self.event({"pull_request": {"number": 7}}), api)
        self.assertEqual(rc, 0)
        self.assertIn("#issuecomment-", out)
        self.assertEqual(api.bodies(7), ["<!-- ferry-plan: prod -->\nplan"])

    def test_post_refuses_an_oversized_body_rather_than_cut_it(self):
        (self.tmp / "body.md").write_text("<!-- ferry-plan: prod -->\n" + "é\n" * 70000)
        api = FakeGitHub()
        rc, _ = self.run_main(["post", "--key", "prod", "--body", str(self.tmp / "body.md")],
                              self.event({"pull_request": {"number": 7}}), api)
        self.assertEqual(rc, 1)
        self.assertEqual(api.bodies(7), [])

    def test_an_issue_comment_event_on_a_pull_request_counts(self):
        self.assertEqual(comment.pull_request_number("", {"issue": {"number": 9, "pull_request": {}}}), 9)
        self.assertIsNone(comment.pull_request_number("", {"issue": {"number": 9}}))
        self.assertEqual(comment.pull_request_number("12", {"pull_request": {"number": 7}}), 12)

    def test_no_pull_request_skips_the_comment(self):
        (self.tmp / "body.md").write_text("x")
        api = FakeGitHub()
        rc, out = self.run_main(["post", "--key", "prod", "--body", str(self.tmp / "body.md")],
                                self.event({"ref": "refs/heads/main"}), api)
        self.assertEqual((rc, out, api.calls), (0, "", []))

    def test_a_forks_read_only_token_is_a_warning_and_any_other_refusal_fails(self):
        class Forbidden:
            def request(self, method, path, body=None):
                raise comment.GitHubError(403, "Resource not accessible by integration")

        (self.tmp / "body.md").write_text("x")
        fork = {"number": 7, "head": {"repo": {"full_name": "mallory/config", "fork": True}},
                "base": {"repo": {"full_name": "acme/config"}}}
        rc, _ = self.run_main(["post", "--key", "prod", "--body", str(self.tmp / "body.md")],
                              self.event({"pull_request": fork}), Forbidden())
        self.assertEqual(rc, 0)
        rc, _ = self.run_main(["post", "--key", "prod", "--body", str(self.tmp / "body.md")],
                              self.event({"pull_request": {"number": 7}}), Forbidden())
        self.assertEqual(rc, 1)

    def test_a_server_error_fails_after_retries(self):
        calls = []

        def opener(req, timeout):
            calls.append(req.full_url)
            import urllib.error
            raise urllib.error.HTTPError(req.full_url, 502, "Bad Gateway", {}, io.BytesIO(b"oops"))

        api = comment.GitHub("https://api.github.example", "t", opener=opener, retries=3, pause=0)
        (self.tmp / "body.md").write_text("x")
        rc, _ = self.run_main(["post", "--key", "prod", "--body", str(self.tmp / "body.md")],
                              self.event({"pull_request": {"number": 7}}), api)
        self.assertEqual(rc, 1)
        self.assertEqual(len(calls), 3)

    def test_the_client_sends_the_token_and_json(self):
        seen = {}

        class Response(io.BytesIO):
            def __enter__(self):
                return self

            def __exit__(self, *a):
                return False

        def opener(req, timeout):
            seen.update(url=req.full_url, method=req.get_method(), auth=req.get_header("Authorization"),
                        body=json.loads(req.data))
            return Response(b'{"id": 1}')

        api = comment.GitHub("https://api.github.example/", "secret-token", opener=opener)
        self.assertEqual(api.request("POST", "/repos/a/b/issues/1/comments", {"body": "hi"}), {"id": 1})
        self.assertEqual(seen, {"url": "https://api.github.example/repos/a/b/issues/1/comments", "method": "POST",
                                "auth": "Bearer secret-token", "body": {"body": "hi"}})


if __name__ == "__main__":
    unittest.main()
