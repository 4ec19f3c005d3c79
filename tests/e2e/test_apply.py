"""`ferry apply PLAN.json`, `ferry publish T:KIND/ID`, `ferry history
WS:KIND/ID` (SPEC 2.6, 3.2, 3.3, 4, 4.1, 4.2, 5, 6), and several
`ferry reconcile` writers against one target at once.

- apply writes exactly a plan saved with `reconcile --dry-run --out`, as one
  commit identical in content to what a direct reconcile writes; it refuses
  with `stale-plan` when the target's branch moved, and with `plan-mismatch`
  a file that is not the plan ferry makes from the commits, options and actor
  it names; blocked and no-change plans write nothing.
- publish moves a draft into place (edit on the kind; admin when approval
  was requested), one commit with the actor as author and the trailers.
- history lists the commits that changed a resource's published or draft
  file, newest first, with `from` parsed from `Ferry-From`.
- 6 concurrent reconciles deploying different models all land.

Every repository written to is checked with `git fsck --strict`."""

import json
import re
import shutil
import subprocess
import time
import unittest
from pathlib import Path

from harness import (
    wait_all,
    FERRY_BIN,
    DeployCase,
    changed_paths,
    commit,
    commit_info,
    deploy_trees,
    deploy_workspace_yaml,
    ferry_env,
    file_at,
    git,
    git_fsck,
    head,
    make_repo,
    parse_text_diagnostics,
    plan_schema_errors,
    schema_line,
    worktree_status,
    write_config,
)

ALICE = "alice@acme.com"  # admin
BOB = "bob@acme.com"  # editor
DAN = "dan@acme.com"  # draft on models and syncs
VIC = "vic@acme.com"  # viewer

APPROVE_SYNCS = deploy_workspace_yaml(extra="approvals:\n  syncs: true\n")
HAND_DRAFT_USERS = (
    "draft: { author: bob@acme.com, created: 2026-11-20T10:00:00Z, approval: none }\n"
    "name: Users\nsource: warehouse\ntype: sql\nsql: select 9\n"
)
OTHER_SOURCE = {
    "sources/other.yaml": "name: Other\ntype: snowflake\n",
    "models/m.yaml": "name: M\nsource: other\ntype: table\ntable: t\n",
}
OTHER_SOURCE_PROD = {"sources/other-prod.yaml": "name: Other prod\ntype: snowflake\n"}


def last_lines(message, n=2):
    return message.rstrip("\n").splitlines()[-n:]


def tree_of(repo, rev):
    return git(repo, "rev-parse", "%s^{tree}" % rev)


class ApplyCase(DeployCase):
    def setUp(self):
        super().setUp()
        self.repos = {}
        self.folder = self.tmp

    # ferry runs in the organization's folder unless told otherwise.
    def ferry(self, *args, cwd=None, env=None, timeout=60):
        return super().ferry(*args, cwd=cwd or self.folder, env=env, timeout=timeout)

    def ferry_json(self, *args, cwd=None, env=None, timeout=60):
        return super().ferry_json(*args, cwd=cwd or self.folder, env=env, timeout=timeout)

    # ---- organizations

    def org(self, dev_extra=None, prod_extra=None, folder=None):
        folder = Path(folder or self.tmp)
        self.deploy_org(dev_extra, prod_extra, folder=folder)
        self.folder = folder
        self.repos = {"dev": folder / "dev", "prod": folder / "prod"}
        return folder

    def mono_org(self, dev_extra=None, prod_extra=None, folder=None):
        """dev and prod of deploy_trees in one repository, under dev/ and prod/."""
        folder = Path(folder or self.tmp)
        dev, prod = deploy_trees(dev_extra, prod_extra)
        files = {"README.md": "two workspaces\n"}
        files.update({"dev/" + p: c for p, c in dev.items()})
        files.update({"prod/" + p: c for p, c in prod.items()})
        make_repo(folder / "mono", files)
        write_config(folder, {"dev": {"repo": "mono", "path": "dev"}, "prod": {"repo": "mono", "path": "prod"}})
        self.folder = folder
        self.repos = {"mono": folder / "mono"}
        return folder

    # ---- repositories

    def refs(self):
        """Every ref of every repository, and the work trees' status: what
        `nothing written` must leave as it was."""
        out = {}
        for name, repo in self.repos.items():
            refs = git(repo, "for-each-ref", "--format=%(objectname) %(refname)")
            status = worktree_status(repo) if (Path(repo) / ".git").exists() else None
            out[name] = (refs, status)
        return out

    def assertFsck(self):
        for repo in sorted(set(self.repos.values())):
            rc, out = git_fsck(repo)
            self.assertEqual(rc, 0, "git fsck --strict failed in %s:\n%s" % (repo, out))

    def assertValidates(self, cwd=None):
        result, data = self.ferry_json("validate", cwd=cwd or self.folder)
        self.assertExit(result, 0)
        self.assertEqual(data["errors"], [], result.describe())
        self.assertEqual([w for w in data["warnings"] if w["code"] == "stale-link"], [], result.describe())

    # ---- plans

    def save_plan(self, *args, name="plan.json", env=None, cwd=None, status=None):
        """`reconcile --dry-run --out NAME` (JSON); returns (path, saved plan).
        The saved file is the plan printed."""
        path = Path(cwd or self.folder) / name
        result, data = self.plan(*args, "--out", str(path), env=env, cwd=cwd or self.folder)
        self.assertTrue(path.is_file(), "--out wrote no file\n" + result.describe())
        saved = json.loads(path.read_text())
        self.assertEqual(saved, data, "--out saves the plan printed")
        self.assertEqual(plan_schema_errors(saved), [])
        if status is not None:
            self.assertEqual(saved["status"], status, result.describe())
        return path, saved

    def apply_json(self, path, *args, code=0, env=None, cwd=None, fsck=True):
        result, data = self.ferry_json("apply", str(path), *args, env=env, cwd=cwd or self.folder)
        self.assertExit(result, code)
        if fsck:
            self.assertFsck()
        return result, data

    def apply_text(self, path, *args, code=0, env=None, cwd=None, fsck=True):
        result = self.ferry("apply", str(path), *args, env=env, cwd=cwd or self.folder)
        self.assertExit(result, code)
        if fsck:
            self.assertFsck()
        return result

    def assertRefused(self, path, code, *args, env=None):
        """apply is refused with `code` (JSON and text, exit 1) and writes
        nothing anywhere."""
        before = self.refs()
        result, data = self.apply_json(path, *args, code=1, env=env, fsck=False)
        self.assertJsonDiag(result, data, code)
        self.assertNotIn("written", data)
        text = self.apply_text(path, *args, code=1, env=env, fsck=False)
        self.assertTextDiag(text, code)
        self.assertEqual(self.refs(), before, "nothing is written")
        return result, data

    def write_plan_file(self, plan, name):
        path = self.folder / name
        path.write_text(json.dumps(plan, indent=2) + "\n")
        return path


# --------------------------------------------------------------------------
# apply writes exactly the plan


class ApplyWritesThePlanTest(ApplyCase):
    def setUp(self):
        super().setUp()
        self.org()
        self.prod = self.repos["prod"]

    def test_one_commit_identical_to_a_direct_reconcile(self):
        env = {"SOURCE_DATE_EPOCH": "1800000000"}
        before = head(self.prod, "main")
        refs = self.refs()
        path, saved = self.save_plan(env=env, status="ok")
        self.assertEqual(self.refs(), refs, "--dry-run --out writes nothing")
        self.assertEqual(saved["to"]["commit"], before)
        self.apply_json(path, env=env)
        applied = head(self.prod, "main")
        self.assertEqual(commit_info(self.prod, applied)["parents"], [before], "one commit on the plan's tip")
        self.assertEqual(changed_paths(self.prod, applied), ["models/users.yaml", "syncs/users-crm.yaml"])
        self.assertEqual(worktree_status(self.prod), [], "the clean work tree follows the branch")

        # The same deployment made directly, in a copy of the same repositories.
        other = self.tmp / "direct"
        self.deploy_org(folder=other)
        self.assertEqual(head(other / "prod", "main"), before, "the copy starts from the same commit")
        result, data = self.ferry_json("reconcile", "--from", "dev", "--to", "prod", cwd=other, env=env)
        self.assertExit(result, 0)
        direct = head(other / "prod", "main")
        self.assertEqual(tree_of(self.prod, applied), tree_of(other / "prod", direct),
                         "apply writes the same files with the same bytes as a direct reconcile")
        a, d = commit_info(self.prod, applied), commit_info(other / "prod", direct)
        self.assertEqual(a["message"], d["message"])
        self.assertEqual((a["author_name"], a["author_email"]), (d["author_name"], d["author_email"]))
        self.assertEqual(a["author_email"], ALICE)
        self.assertEqual(last_lines(a["message"]),
                         ["Ferry-From: dev@%s" % saved["from"]["commit"], "Ferry-Actor: %s" % ALICE])
        self.assertEqual(a["author_time"], 1800000000)

    def test_json_output_is_the_plan_and_what_was_written(self):
        path, saved = self.save_plan()
        result, data = self.apply_json(path)
        self.assertPlanSchema(data, result)
        new = head(self.prod, "main")
        self.assertEqual(data["written"], {"workspace": "prod", "branch": "main", "commit": new, "pushed": False})
        self.assertEqual(data["status"], "ok")
        rest = dict(data)
        del rest["written"]
        self.assertEqual(rest, saved, "apply prints the plan it wrote")

    def test_written_content(self):
        path, saved = self.save_plan()
        self.apply_json(path)
        model = file_at(self.prod, "main", "models/users.yaml")
        self.assertIn("select 2", model)
        self.assertIn("source: warehouse", model)
        sync = file_at(self.prod, "main", "syncs/users-crm.yaml")
        self.assertIn("EmailAddress", sync)
        self.assertIn("enabled: false", sync)
        self.assertIn("cron", sync)
        self.assertIn("oncall", sync)
        self.assertValidates()
        # What the plan said is now there: planning again changes nothing.
        result, data = self.plan()
        self.assertEqual(data["status"], "no-changes", result.describe())
        text = self.reconcile()
        self.assertExit(text, 0)
        self.assertEqual([l for l in text.stdout.splitlines() if l.strip()][-1], "No changes.", text.describe())

    def test_text_output(self):
        path, saved = self.save_plan()
        result = self.apply_text(path)
        self.assertIn('config.mappings[0].to: "Email" -> "EmailAddress"', result.stdout)
        self.assertIn("Plan: 0 to create, 2 to update.", result.stdout)
        self.assertNotRegex(result.stdout, r"(?m)^(error|warning)\[")
        self.assertFalse([d for d in parse_text_diagnostics(result.stderr) if d["severity"] == "error"],
                         result.describe())
        self.assertEqual(changed_paths(self.prod, "main"), ["models/users.yaml", "syncs/users-crm.yaml"])

    def test_a_reformatted_plan_file_is_the_same_plan(self):
        # Formatting and key order are not part of a plan: only its content is.
        path, saved = self.save_plan()
        compact = self.folder / "compact.json"
        compact.write_text(json.dumps(saved, sort_keys=False, separators=(",", ":")))
        reordered = json.loads(compact.read_text())
        compact.write_text(json.dumps(dict(reversed(list(reordered.items()))), separators=(",", ":")))
        before = head(self.prod, "main")
        result, data = self.apply_json(compact)
        self.assertEqual(commit_info(self.prod, "main")["parents"], [before])

    def test_applying_twice_is_stale(self):
        path, saved = self.save_plan()
        self.apply_json(path)
        self.assertRefused(path, "stale-plan")

    def test_plan_made_by_another_actor_is_authored_by_that_actor(self):
        path, saved = self.save_plan(env={"FERRY_ACTOR": BOB})
        self.assertEqual(saved["actor"], BOB)
        self.apply_json(path, env={"FERRY_ACTOR": BOB})
        info = commit_info(self.prod, "main")
        self.assertEqual(info["author_email"], BOB)
        self.assertEqual(last_lines(info["message"], 1), ["Ferry-Actor: %s" % BOB])

    def test_apply_from_another_folder(self):
        # PLAN.json is a path like any other; ferry.yaml is found from the
        # current folder (or --config), not from the plan's folder.
        path, saved = self.save_plan()
        elsewhere = self.tmp / "plans" / "nested"
        elsewhere.mkdir(parents=True)
        moved = elsewhere / "deploy.json"
        shutil.move(str(path), str(moved))
        result, data = self.apply_json(moved, "--config", str(self.folder / "ferry.yaml"), cwd=elsewhere)
        self.assertEqual(data["written"]["commit"], head(self.prod, "main"))

    def test_dirty_work_tree_is_refused(self):
        path, saved = self.save_plan()
        wip = "name: Users\nsource: warehouse\ntype: sql\nsql: wip\n"
        (self.prod / "models" / "users.yaml").write_text(wip)
        self.assertRefused(path, "worktree-dirty")
        self.assertEqual((self.prod / "models" / "users.yaml").read_text(), wip, "the user's edit is kept")
        # Once the work tree is clean again, the same plan applies.
        git(self.prod, "checkout", "-q", "--", "models/users.yaml")
        self.apply_json(path)
        self.assertIn("select 2", file_at(self.prod, "main", "models/users.yaml"))

    def test_usage(self):
        result = self.ferry("apply", cwd=self.folder)
        self.assertExit(result, 64)
        before = self.refs()
        result = self.ferry("apply", str(self.folder / "missing.json"), cwd=self.folder)
        self.assertExit(result, 1)
        self.assertTrue(parse_text_diagnostics(result.stderr), result.describe())
        self.assertEqual(self.refs(), before)

    def test_concurrent_applies_of_one_plan_write_it_once(self):
        path, saved = self.save_plan()
        before = head(self.prod, "main")
        procs = [subprocess.Popen([FERRY_BIN, "apply", str(path), "--format", "json"], cwd=str(self.folder),
                                  env=ferry_env(self.base_env), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(4)]
        outcomes = []
        for p in procs:
            out, err = p.communicate(timeout=60)
            outcomes.append((p.returncode, json.loads(out.decode())))
        codes = sorted(rc for rc, _ in outcomes)
        self.assertEqual(codes, [0, 1, 1, 1], "exactly one apply writes the plan: %r" % outcomes)
        for rc, data in outcomes:
            if rc == 1:
                self.assertEqual([e["code"] for e in data["errors"]], ["stale-plan"], data)
        self.assertEqual(git(self.prod, "rev-list", "--count", "%s..main" % before), "1")
        self.assertEqual(commit_info(self.prod, "main")["parents"], [before])
        self.assertFsck()


# --------------------------------------------------------------------------
# stale-plan


class StalePlanTest(ApplyCase):
    def setUp(self):
        super().setUp()
        self.org()
        self.prod = self.repos["prod"]

    def test_target_moved_by_someone_else(self):
        path, saved = self.save_plan()
        commit(self.prod, {"README.md": "unrelated\n"}, "someone else's change")
        result, data = self.assertRefused(path, "stale-plan")
        self.assertEqual(file_at(self.prod, "main", "models/users.yaml"),
                         "name: Users\nsource: warehouse\ntype: sql\nsql: select 1\n")

    def test_target_moved_by_another_deployment(self):
        path, saved = self.save_plan("--select", "models/users")
        result, data = self.plan("--select", "models/new-model", dry_run=False)
        self.assertExit(result, 0)
        self.assertRefused(path, "stale-plan")
        self.assertIn("select 1", file_at(self.prod, "main", "models/users.yaml"))

    def test_target_moved_even_by_a_change_the_plan_would_also_make(self):
        # The plan is tied to the tip it was made from, whatever moved it.
        path, saved = self.save_plan()
        result, data = self.plan(dry_run=False)
        self.assertExit(result, 0)
        self.assertRefused(path, "stale-plan")

    def test_stale_plan_into_a_bare_repository(self):
        dev, prod = deploy_trees()
        make_repo(self.tmp / "b" / "dev", dev)
        make_repo(self.tmp / "b" / "src-prod", prod)
        git(self.tmp / "b", "clone", "-q", "--bare", str(self.tmp / "b" / "src-prod"), str(self.tmp / "b" / "prod.git"))
        write_config(self.tmp / "b", {"dev": {"repo": "dev"}, "prod": {"repo": "prod.git", "branch": "main"}})
        self.folder = self.tmp / "b"
        self.repos = {"dev": self.folder / "dev", "prod": self.folder / "prod.git"}
        path, saved = self.save_plan()
        first, _ = self.save_plan("--select", "models/new-model", name="first.json")
        before = head(self.repos["prod"], "main")
        self.apply_json(first)
        self.assertEqual(commit_info(self.repos["prod"], "main")["parents"], [before])
        self.assertRefused(path, "stale-plan")


# --------------------------------------------------------------------------
# plan-mismatch


class PlanMismatchTest(ApplyCase):
    """SPEC 4: a file that differs from the plan ferry makes again from the
    commits, options and actor it names is refused with plan-mismatch."""

    def setUp(self):
        super().setUp()
        self.org()
        self.prod = self.repos["prod"]
        self.path, self.saved = self.save_plan()
        self.assertEqual(self.addresses(self.saved), ["prod:models/users", "prod:syncs/users-crm"])

    def edited(self, edit, name="edited.json"):
        plan = json.loads(json.dumps(self.saved))
        edit(plan)
        self.assertNotEqual(plan, self.saved)
        return self.write_plan_file(plan, name)

    def assertMismatch(self, path):
        self.assertRefused(path, "plan-mismatch")

    def check_edits(self, edits):
        for name, edit in edits.items():
            with self.subTest(edit=name):
                self.assertMismatch(self.edited(edit))

    def test_edited_changes(self):
        def added_change(p):
            extra = json.loads(json.dumps(p["changes"][0]))
            extra.update({"address": "prod:models/new-model", "origin": "dev:models/new-model", "action": "create"})
            p["changes"].insert(0, extra)

        self.check_edits({
            "after value": lambda p: p["changes"][0]["after"].update(sql="drop table users"),
            "field added to after": lambda p: p["changes"][1]["after"].update(enabled=True),
            "field removed from after": lambda p: p["changes"][1]["after"].pop("alerts"),
            "address": lambda p: p["changes"][0].update(address="prod:models/other-users"),
            "origin": lambda p: p["changes"][0].update(origin="dev:models/new-model"),
            "diff after": lambda p: p["changes"][0]["diff"][0].update(after="select 3"),
            "diff removed": lambda p: p["changes"][0].update(diff=[]),
            "action": lambda p: p["changes"][0].update(action="create"),
            "mode": lambda p: p["changes"][0].update(mode="draft"),
            "change removed": lambda p: p["changes"].pop(1),
            "change added": added_change,
        })

    def test_added_link_or_replaced_draft(self):
        self.check_edits({
            "link": lambda p: p["links"].append({"kind": "models", "a": "dev:models/new-model",
                                                 "b": "prod:models/users"}),
            "source link": lambda p: p["links"].append({"kind": "sources", "a": "dev:sources/wh-dev",
                                                        "b": "prod:sources/warehouse"}),
            "draft replaced": lambda p: p["drafts_replaced"].append("prod:models/users"),
        })

    def test_edited_options_status_and_source(self):
        # Other options or another source commit make another plan.
        newer = commit(self.repos["dev"], {"models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 5\n"})
        self.check_edits({
            "with_schedule": lambda p: p["options"].update(with_schedule=True),
            "select": lambda p: p["options"].update(select=["models/users"]),
            "all": lambda p: p["options"].update(all=True),
            "exclude": lambda p: p["options"].update(exclude=["syncs/*"]),
            "status no-changes": lambda p: p.update(status="no-changes"),
            "status blocked": lambda p: p.update(status="blocked"),
            "from.commit": lambda p: p["from"].update(commit=newer),
        })

    def test_edited_source_ref(self):
        # The ref is what reviewers read ("dev@main"): it must still hold the
        # plan's commit, not name a branch that never had it.
        dev = self.repos["dev"]
        unrelated = git(dev, "commit-tree", git(dev, "rev-parse", "HEAD^{tree}").strip(), "-m", "unrelated").strip()
        git(dev, "branch", "other", unrelated)
        self.check_edits({
            "missing ref": lambda p: p["from"].update(ref="feature-x"),
            "ref without the commit": lambda p: p["from"].update(ref="other"),
            "ref with a newline": lambda p: p["from"].update(ref="main\nApproved by the security team"),
        })

    def test_source_ref_that_moved_on_still_applies(self):
        commit(self.repos["dev"], {"models/new-model.yaml": "name: New\nsource: wh-dev\ntype: table\ntable: t2\n"})
        result = self.ferry("apply", str(self.path), cwd=self.folder)
        self.assertExit(result, 0)

    def test_other_format_version(self):
        self.check_edits({
            "2": lambda p: p.update(format_version=2),
            "0": lambda p: p.update(format_version=0),
            "string": lambda p: p.update(format_version="1"),
            "null": lambda p: p.update(format_version=None),
            "missing": lambda p: p.pop("format_version"),
        })

    def test_not_json(self):
        texts = {
            "truncated.json": json.dumps(self.saved)[:-10],
            "empty.json": "",
            "yaml.json": "format_version: 1\nstatus: ok\n",
            "binary.json": b"\x00\xff\xfe garbage \x80",
        }
        for name, text in texts.items():
            with self.subTest(file=name):
                path = self.folder / name
                if isinstance(text, bytes):
                    path.write_bytes(text)
                else:
                    path.write_text(text)
                self.assertMismatch(path)

    def test_json_that_is_not_a_plan(self):
        validate = self.ferry("validate", "--format", "json").stdout
        texts = {
            "array.json": "[1, 2, 3]\n",
            "number.json": "42\n",
            "null.json": "null\n",
            "object.json": "{}\n",
            "version-only.json": '{"format_version": 1}\n',
            "validate.json": validate,
            "changes-not-a-list.json": json.dumps(dict(self.saved, changes="all of them")),
            "to-not-an-object.json": json.dumps(dict(self.saved, to="prod")),
        }
        for name, text in texts.items():
            with self.subTest(file=name):
                path = self.folder / name
                path.write_text(text)
                self.assertMismatch(path)

    def test_the_original_still_applies_after_refusals(self):
        self.assertMismatch(self.edited(lambda p: p["changes"][0]["after"].update(sql="select 42")))
        before = head(self.prod, "main")
        self.apply_json(self.path)
        self.assertEqual(commit_info(self.prod, "main")["parents"], [before])
        self.assertIn("select 2", file_at(self.prod, "main", "models/users.yaml"))


# --------------------------------------------------------------------------
# blocked and no-change plans


class BlockedAndNoChangesTest(ApplyCase):
    def test_blocked_by_permissions_writes_nothing(self):
        self.org()
        path, saved = self.save_plan(env={"FERRY_ACTOR": VIC}, status="blocked")
        before = self.refs()
        result, data = self.apply_json(path, code=1, env={"FERRY_ACTOR": VIC})
        self.assertEqual(data["status"], "blocked")
        self.assertNotIn("written", data)
        self.assertJsonDiag(result, data, "permission-denied")
        text = self.apply_text(path, code=1, env={"FERRY_ACTOR": VIC})
        self.assertTextDiag(text, "permission-denied")
        self.assertEqual(self.refs(), before)

    def test_blocked_by_an_unlinked_source_writes_nothing(self):
        self.org(dev_extra=OTHER_SOURCE)
        path, saved = self.save_plan("--select", "models/*", "--select", "syncs/*", status="blocked")
        before = self.refs()
        result, data = self.apply_json(path, code=1)
        self.assertEqual(data["status"], "blocked")
        self.assertJsonDiag(result, data, "source-not-linked")
        self.assertNotIn("written", data)
        self.assertEqual(self.refs(), before)

    def test_no_changes_writes_nothing_and_exits_0(self):
        self.org()
        result, data = self.plan(dry_run=False)
        self.assertExit(result, 0)
        path, saved = self.save_plan(status="no-changes")
        self.assertEqual(saved["changes"], [])
        before = self.refs()
        result, data = self.apply_json(path, code=0)
        self.assertEqual(data["status"], "no-changes")
        self.assertNotIn("written", data)
        text = self.apply_text(path, code=0)
        self.assertEqual([l for l in text.stdout.splitlines() if l.strip()][-1], "No changes.", text.describe())
        self.assertEqual(self.refs(), before)


# --------------------------------------------------------------------------
# --branch and --push


class ApplyBranchTest(ApplyCase):
    def setUp(self):
        super().setUp()
        self.org()
        self.prod = self.repos["prod"]

    def test_branch_option_writes_a_new_branch(self):
        path, saved = self.save_plan()
        main = head(self.prod, "main")
        result, data = self.apply_json(path, "--branch", "review/deploy-1")
        new = head(self.prod, "refs/heads/review/deploy-1")
        self.assertEqual(head(self.prod, "main"), main, "T's branch is left alone")
        self.assertEqual(commit_info(self.prod, new)["parents"], [main])
        self.assertEqual(changed_paths(self.prod, new), ["models/users.yaml", "syncs/users-crm.yaml"])
        self.assertEqual(data["written"], {"workspace": "prod", "branch": "review/deploy-1", "commit": new,
                                           "pushed": False})
        self.assertEqual(git(self.prod, "symbolic-ref", "HEAD"), "refs/heads/main")
        self.assertEqual(worktree_status(self.prod), [])
        self.assertIn("select 2", file_at(self.prod, new, "models/users.yaml"))
        # T's branch did not move: the plan still applies there.
        result, data = self.apply_json(path)
        self.assertEqual(commit_info(self.prod, "main")["parents"], [main])
        self.assertEqual(tree_of(self.prod, "main"), tree_of(self.prod, new))

    def test_branch_option_with_a_stale_plan(self):
        path, saved = self.save_plan()
        commit(self.prod, {"README.md": "moved\n"}, "someone else's change")
        self.assertRefused(path, "stale-plan", "--branch", "review/stale")
        self.assertEqual(git(self.prod, "branch", "--list", "review/stale"), "", "no branch is made")

    def test_existing_branch_is_refused(self):
        path, saved = self.save_plan()
        git(self.prod, "branch", "taken")
        before = self.refs()
        result, data = self.apply_json(path, "--branch", "taken", code=1)
        self.assertNotIn("written", data)
        self.assertTrue(data["errors"], result.describe())
        self.assertEqual(self.refs(), before)

    def test_push(self):
        origin = self.tmp / "origin.git"
        git(self.tmp, "clone", "-q", "--bare", str(self.prod), str(origin))
        git(self.prod, "remote", "add", "origin", str(origin))
        git(self.prod, "fetch", "-q", "origin")
        git(self.prod, "branch", "-q", "--set-upstream-to=origin/main", "main")
        self.repos["origin"] = origin
        path, saved = self.save_plan()
        result, data = self.apply_json(path, "--push")
        new = head(self.prod, "main")
        self.assertEqual(head(origin, "refs/heads/main"), new)
        self.assertEqual(data["written"], {"workspace": "prod", "branch": "main", "commit": new, "pushed": True})


# --------------------------------------------------------------------------
# plans made with options: apply writes what a direct reconcile writes


class ApplyOptionsTest(ApplyCase):
    def check_same_as_direct(self, *args, dev_extra=None, prod_extra=None, expect_paths=None):
        """Plans with args in one copy of the organization and applies; makes
        the same deployment directly in another copy. Both commits must hold
        the same tree and message. Returns (saved plan, applied commit)."""
        env = {"SOURCE_DATE_EPOCH": "1800000000"}
        a = self.org(dev_extra, prod_extra, folder=self.tmp / "applied")
        path, saved = self.save_plan(*args, env=env, status="ok")
        before = head(a / "prod", "main")
        self.apply_json(path, env=env)
        applied = head(a / "prod", "main")
        self.assertEqual(commit_info(a / "prod", applied)["parents"], [before])
        if expect_paths is not None:
            self.assertEqual(changed_paths(a / "prod", applied), expect_paths)
        self.assertValidates()

        b = self.tmp / "direct"
        self.deploy_org(dev_extra, prod_extra, folder=b)
        result, data = self.ferry_json("reconcile", "--from", "dev", "--to", "prod", *args, cwd=b, env=env)
        self.assertExit(result, 0)
        direct = head(b / "prod", "main")
        self.assertEqual(tree_of(a / "prod", applied), tree_of(b / "prod", direct), "same files, same bytes")
        self.assertEqual(commit_info(a / "prod", applied)["message"], commit_info(b / "prod", direct)["message"])
        # And planning the same again finds nothing to do.
        result, again = self.plan(*args)
        self.assertEqual(again["status"], "no-changes", result.describe())
        return saved, applied

    def test_select(self):
        saved, applied = self.check_same_as_direct(
            "--select", "models/new-model", "--select", "syncs/new-sync",
            expect_paths=["links.yaml", "models/new-model.yaml", "syncs/new-sync.yaml"])
        self.assertEqual(saved["options"]["select"], ["models/new-model", "syncs/new-sync"])
        self.assertEqual([l["kind"] for l in saved["links"]], ["models", "syncs"])
        self.assertIn("new-model", file_at(self.repos["prod"], applied, "links.yaml"))

    def test_include_dependencies_and_with_schedule(self):
        saved, applied = self.check_same_as_direct(
            "--select", "syncs/new-sync", "--include-dependencies", "--with-schedule",
            expect_paths=["links.yaml", "models/new-model.yaml", "syncs/new-sync.yaml"])
        self.assertTrue(saved["options"]["include_dependencies"])
        self.assertTrue(saved["options"]["with_schedule"])
        sync = file_at(self.repos["prod"], applied, "syncs/new-sync.yaml")
        self.assertIn("1d", sync)
        self.assertIn("enabled: false", sync)

    def test_all_and_exclude(self):
        saved, applied = self.check_same_as_direct(
            "--all", "--exclude", "syncs/*", "--exclude", "models/users",
            expect_paths=["links.yaml", "models/new-model.yaml"])
        self.assertTrue(saved["options"]["all"])
        self.assertEqual(saved["options"]["exclude"], ["syncs/*", "models/users"])

    def test_link_option(self):
        saved, applied = self.check_same_as_direct(
            "--select", "models/m", "--link", "dev:sources/other=prod:sources/other-prod",
            dev_extra=OTHER_SOURCE, prod_extra=OTHER_SOURCE_PROD,
            expect_paths=["links.yaml", "models/m.yaml"])
        self.assertEqual(saved["options"]["link"], ["dev:sources/other=prod:sources/other-prod"])
        links = file_at(self.repos["prod"], applied, "links.yaml")
        self.assertRegex(links, r"other-prod: \{ ?dev: other ?\}")
        self.assertIn("source: other-prod", file_at(self.repos["prod"], applied, "models/m.yaml"))

    def test_lands_as_draft_and_replaces_a_target_draft(self):
        saved, applied = self.check_same_as_direct(
            dev_extra=None,
            prod_extra={"workspace.yaml": APPROVE_SYNCS, "drafts/models/users.yaml": HAND_DRAFT_USERS},
            expect_paths=["drafts/models/users.yaml", "drafts/syncs/users-crm.yaml", "models/users.yaml"])
        self.assertEqual(saved["drafts_replaced"], ["prod:models/users"])
        self.assertEqual(self.change(saved, "prod:syncs/users-crm")["mode"], "draft")
        self.assertIsNone(file_at(self.repos["prod"], applied, "drafts/models/users.yaml"))
        draft = file_at(self.repos["prod"], applied, "drafts/syncs/users-crm.yaml")
        self.assertIn("approval: requested", draft)
        self.assertIn("origin: dev@%s" % saved["from"]["commit"], draft)

    def test_drafter_plan(self):
        env = {"FERRY_ACTOR": DAN}
        self.org()
        path, saved = self.save_plan("--select", "models/new-model", env=env, status="ok")
        self.apply_json(path, env=env)
        prod = self.repos["prod"]
        self.assertEqual(changed_paths(prod, "main"), ["drafts/models/new-model.yaml", "links.yaml"])
        self.assertEqual(commit_info(prod, "main")["author_email"], DAN)
        self.assertIsNone(file_at(prod, "main", "models/new-model.yaml"))
        self.assertValidates()


# --------------------------------------------------------------------------
# plans from a ref of S


class ApplyFromRefTest(ApplyCase):
    def setUp(self):
        super().setUp()
        self.org()
        self.dev, self.prod = self.repos["dev"], self.repos["prod"]

    def test_plan_from_a_branch_applies_after_the_branch_moved(self):
        git(self.dev, "checkout", "-q", "-b", "feature")
        planned = commit(self.dev, {"models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 7\n"})
        git(self.dev, "checkout", "-q", "main")
        path, saved = self.save_plan("--from", "dev@feature", "--select", "models/users")
        self.assertEqual(saved["from"]["commit"], planned)
        self.assertTrue(saved["from"]["ref"].endswith("feature"), saved["from"])
        # dev moves on: the plan names dev's commit, so it still applies, and
        # writes what that commit held.
        git(self.dev, "checkout", "-q", "feature")
        commit(self.dev, {"models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 8\n"})
        git(self.dev, "checkout", "-q", "main")
        commit(self.dev, {"models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 9\n"})
        result, data = self.apply_json(path)
        self.assertIn("select 7", file_at(self.prod, "main", "models/users.yaml"))
        self.assertEqual(last_lines(commit_info(self.prod, "main")["message"]),
                         ["Ferry-From: dev@%s" % planned, "Ferry-Actor: %s" % ALICE])
        self.assertEqual(data["from"]["commit"], planned)

    def test_plan_from_the_branch_tip_applies_after_dev_moved(self):
        path, saved = self.save_plan("--select", "models/users")
        planned = saved["from"]["commit"]
        commit(self.dev, {"models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 99\n"})
        self.apply_json(path)
        self.assertIn("select 2", file_at(self.prod, "main", "models/users.yaml"))
        self.assertEqual(last_lines(commit_info(self.prod, "main")["message"])[0], "Ferry-From: dev@%s" % planned)

    def test_plan_from_a_pull_request_ref_that_is_gone(self):
        git(self.dev, "checkout", "-q", "-b", "pr")
        pr = commit(self.dev, {"models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 6\n"})
        git(self.dev, "checkout", "-q", "main")
        git(self.dev, "branch", "-q", "-D", "pr")
        git(self.dev, "update-ref", "refs/pull/7/head", pr)
        path, saved = self.save_plan("--from", "dev@refs/pull/7/head", "--select", "models/users")
        self.assertEqual(saved["from"]["commit"], pr)
        self.apply_json(path)
        self.assertIn("select 6", file_at(self.prod, "main", "models/users.yaml"))


# --------------------------------------------------------------------------
# both directions, monorepos


class DirectionsTest(ApplyCase):
    def test_dev_to_prod_then_a_model_created_in_prod_back_to_dev(self):
        self.org()
        dev, prod = self.repos["dev"], self.repos["prod"]
        path, saved = self.save_plan("--from", "dev", "--to", "prod", "--all", name="up.json")
        self.apply_json(path)
        self.assertEqual(changed_paths(prod, "main"), ["links.yaml", "models/new-model.yaml", "models/users.yaml",
                                                       "syncs/new-sync.yaml", "syncs/users-crm.yaml"])
        # A model made in prod, deployed down to dev.
        prod_commit = commit(prod, {"models/prod-only.yaml": "name: Prod only\nsource: warehouse\ntype: table\n"
                                                             "table: audit\n"}, "a model made in prod")
        dev_before = head(dev, "main")
        path, saved = self.save_plan("--from", "prod", "--to", "dev", "--select", "models/prod-only", name="down.json")
        self.assertEqual(self.addresses(saved), ["dev:models/prod-only"])
        self.assertEqual(self.change(saved, "dev:models/prod-only")["action"], "create")
        result, data = self.apply_json(path)
        self.assertEqual(data["written"]["workspace"], "dev")
        self.assertEqual(head(prod, "main"), prod_commit, "the source is never written")
        self.assertEqual(commit_info(dev, "main")["parents"], [dev_before])
        self.assertEqual(changed_paths(dev, "main"), ["links.yaml", "models/prod-only.yaml"])
        model = file_at(dev, "main", "models/prod-only.yaml")
        self.assertIn("source: wh-dev", model)
        self.assertIn("table: audit", model)
        self.assertRegex(file_at(dev, "main", "links.yaml"), r"prod-only: \{ ?prod: prod-only ?\}")
        self.assertEqual(last_lines(commit_info(dev, "main")["message"])[0], "Ferry-From: prod@%s" % prod_commit)
        self.assertValidates()
        links = {tuple(sorted((l["a"], l["b"]))) for l in self.ferry_json("links", cwd=self.folder)[1]["links"]}
        self.assertIn(("dev:models/prod-only", "prod:models/prod-only"), links)
        # Both directions now agree, with the default selection.
        for s, t in (("prod", "dev"), ("dev", "prod")):
            result, data = self.plan("--from", s, "--to", t)
            self.assertEqual(data["status"], "no-changes", result.describe())
        # history tells where it came from.
        result, data = self.ferry_json("history", "dev:models/prod-only", cwd=self.folder)
        self.assertExit(result, 0)
        self.assertEqual([e["commit"] for e in data["entries"]], [head(dev, "main")])
        self.assertEqual(data["entries"][0]["from"], {"workspace": "prod", "commit": prod_commit})


class MonorepoApplyTest(ApplyCase):
    def setUp(self):
        super().setUp()
        self.mono_org()
        self.mono = self.repos["mono"]

    def test_apply_writes_only_under_the_target_folder(self):
        before = head(self.mono, "main")
        path, saved = self.save_plan("--all")
        self.assertEqual(saved["from"]["commit"], before)
        self.assertEqual(saved["to"]["commit"], before)
        self.apply_json(path)
        after = head(self.mono, "main")
        self.assertEqual(commit_info(self.mono, after)["parents"], [before])
        self.assertEqual(changed_paths(self.mono, after),
                         ["prod/links.yaml", "prod/models/new-model.yaml", "prod/models/users.yaml",
                          "prod/syncs/new-sync.yaml", "prod/syncs/users-crm.yaml"])
        self.assertIsNone(file_at(self.mono, after, "links.yaml"))
        self.assertIsNone(file_at(self.mono, after, "models/new-model.yaml"))
        self.assertEqual(worktree_status(self.mono), [])
        self.assertValidates()
        result, data = self.plan("--all")
        self.assertEqual(data["status"], "no-changes", result.describe())

    def test_apply_prod_to_dev_writes_only_under_dev(self):
        path, saved = self.save_plan("--from", "prod", "--to", "dev")
        self.apply_json(path)
        self.assertEqual(changed_paths(self.mono, "main"), ["dev/models/users.yaml", "dev/syncs/users-crm.yaml"])

    def test_a_commit_to_the_other_workspace_moves_the_shared_branch(self):
        path, saved = self.save_plan("--all")
        commit(self.mono, {"dev/models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 4\n"})
        self.assertRefused(path, "stale-plan")


# --------------------------------------------------------------------------
# ferry publish


class PublishCase(ApplyCase):
    def publish(self, address, code=0, env=None, actor=None):
        """publish in JSON then (when refused) in text; checks the exit code
        and fsck; a refusal writes nothing. Returns (result, data)."""
        env = dict(env or {})
        if actor:
            env["FERRY_ACTOR"] = actor
        before = self.refs()
        result, data = self.ferry_json("publish", address, cwd=self.folder, env=env)
        self.assertExit(result, code)
        self.assertIsInstance(data.get("commits"), list, result.describe())
        if code != 0:
            self.assertEqual(self.refs(), before, "a refused publish writes nothing")
            self.assertEqual(data["commits"], [])
            text = self.ferry("publish", address, cwd=self.folder, env=env)
            self.assertExit(text, code)
            self.assertEqual(self.refs(), before)
            self.text = text
        self.assertFsck()
        return result, data


class PublishDeployedDraftTest(PublishCase):
    """prod requires approval for syncs: the deployment of the sync lands as
    a draft; an admin publishes it."""

    def setUp(self):
        super().setUp()
        self.org(prod_extra={"workspace.yaml": APPROVE_SYNCS})
        self.prod = self.repos["prod"]
        self.dev_commit = head(self.repos["dev"], "main")
        result, data = self.plan(dry_run=False)
        self.assertExit(result, 0)
        self.assertEqual(self.change(data, "prod:syncs/users-crm")["mode"], "draft")
        self.assertJsonDiag(result, data, "lands-as-draft", severity="warnings")
        self.deployed = head(self.prod, "main")
        self.published_before = file_at(self.prod, "main", "syncs/users-crm.yaml")
        self.draft = file_at(self.prod, "main", "drafts/syncs/users-crm.yaml")
        self.assertIn("origin: dev@%s" % self.dev_commit, self.draft)

    def test_admin_publishes(self):
        result, data = self.publish("prod:syncs/users-crm", actor=ALICE)
        new = head(self.prod, "main")
        self.assertEqual(data["commits"], [{"workspace": "prod", "commit": new}])
        self.assertEqual(data["errors"], [])
        info = commit_info(self.prod, new)
        self.assertEqual(info["parents"], [self.deployed], "one commit")
        self.assertEqual(changed_paths(self.prod, new), ["drafts/syncs/users-crm.yaml", "syncs/users-crm.yaml"])
        self.assertIsNone(file_at(self.prod, new, "drafts/syncs/users-crm.yaml"), "the draft is removed")
        published = file_at(self.prod, new, "syncs/users-crm.yaml")
        self.assertNotRegex(published, r"(?m)^draft:")
        for word in ("approval", "origin", "requested", "author"):
            self.assertNotIn(word, published)
        self.assertIn("EmailAddress", published)
        self.assertIn("destination: crm\n", published)
        self.assertIn("enabled: false", published)
        self.assertIn("oncall", published)
        # The author is the actor; the trailers name the deployment it came from.
        self.assertEqual(info["author_email"], ALICE)
        self.assertEqual(last_lines(info["message"]),
                         ["Ferry-From: dev@%s" % self.dev_commit, "Ferry-Actor: %s" % ALICE])
        trailers = git(self.prod, "interpret-trailers", "--parse", input=info["message"])
        self.assertIn("Ferry-From: dev@%s" % self.dev_commit, trailers)
        self.assertIn("Ferry-Actor: %s" % ALICE, trailers)
        self.assertEqual(worktree_status(self.prod), [])
        self.assertValidates()

    def test_published_file_is_what_a_direct_deployment_writes(self):
        self.publish("prod:syncs/users-crm", actor=ALICE)
        other = self.tmp / "no-approvals"
        self.deploy_org(folder=other)
        result, data = self.ferry_json("reconcile", "--from", "dev", "--to", "prod", cwd=other)
        self.assertExit(result, 0)
        self.assertEqual(file_at(self.prod, "main", "syncs/users-crm.yaml"),
                         file_at(other / "prod", "main", "syncs/users-crm.yaml"),
                         "canonical form: the same resource, the same bytes")

    def test_after_publishing_the_deployment_has_nothing_left_to_do(self):
        self.publish("prod:syncs/users-crm", actor=ALICE)
        text = self.reconcile()
        self.assertExit(text, 0)
        self.assertEqual([l for l in text.stdout.splitlines() if l.strip()][-1], "No changes.", text.describe())
        result, data = self.plan()
        self.assertEqual(data["status"], "no-changes", result.describe())
        self.assertEqual(data["changes"], [])

    def test_editor_may_not_publish_a_draft_awaiting_approval(self):
        result, data = self.publish("prod:syncs/users-crm", code=1, actor=BOB)
        self.assertJsonDiag(result, data, "permission-denied", address="prod:syncs/users-crm")
        self.assertTextDiag(self.text, "permission-denied")
        self.assertEqual(file_at(self.prod, "main", "drafts/syncs/users-crm.yaml"), self.draft)
        # An admin may.
        self.publish("prod:syncs/users-crm", actor=ALICE)

    def test_drafter_viewer_and_strangers_may_not_publish(self):
        for actor in (DAN, VIC, "mallory@elsewhere.org"):
            with self.subTest(actor=actor):
                result, data = self.publish("prod:syncs/users-crm", code=1, actor=actor)
                self.assertJsonDiag(result, data, "permission-denied")
                self.assertTextDiag(self.text, "permission-denied")

    def test_actor_from_the_command_line(self):
        result, data = self.ferry_json("publish", "prod:syncs/users-crm", "--actor", ALICE, cwd=self.folder,
                                       env={"FERRY_ACTOR": BOB})
        self.assertExit(result, 0)
        self.assertEqual(commit_info(self.prod, "main")["author_email"], ALICE)

    def test_text_output(self):
        result = self.ferry("publish", "prod:syncs/users-crm", cwd=self.folder)
        self.assertExit(result, 0)
        self.assertIn("prod:syncs/users-crm", result.stdout)
        self.assertNotRegex(result.stdout, r"(?m)^(error|warning)\[")
        self.assertIsNone(file_at(self.prod, "main", "drafts/syncs/users-crm.yaml"))

    def test_publishing_twice(self):
        self.publish("prod:syncs/users-crm", actor=ALICE)
        result, data = self.publish("prod:syncs/users-crm", code=1, actor=ALICE)
        self.assertJsonDiag(result, data, "unknown-resource")

    def test_source_date_epoch(self):
        self.publish("prod:syncs/users-crm", actor=ALICE, env={"SOURCE_DATE_EPOCH": "1800000000"})
        info = commit_info(self.prod, "main")
        self.assertEqual((info["author_time"], info["committer_time"]), (1800000000, 1800000000))


class PublishHandDraftTest(PublishCase):
    """A draft written by hand (no origin), with `approval: none`."""

    def setUp(self):
        super().setUp()
        self.org(prod_extra={"drafts/models/users.yaml": HAND_DRAFT_USERS})
        self.prod = self.repos["prod"]

    def test_editor_publishes_a_draft_without_approval(self):
        before = head(self.prod, "main")
        result, data = self.publish("prod:models/users", actor=BOB)
        info = commit_info(self.prod, "main")
        self.assertEqual(info["parents"], [before])
        self.assertEqual(info["author_email"], BOB)
        self.assertEqual(changed_paths(self.prod, "main"), ["drafts/models/users.yaml", "models/users.yaml"])
        self.assertEqual(file_at(self.prod, "main", "models/users.yaml"),
                         schema_line("model.schema.json") + "name: Users\nsource: warehouse\ntype: sql\nsql: select 9\n")
        # Not from a deployment: no Ferry-From, the actor's trailer last.
        self.assertNotIn("Ferry-From", info["message"])
        self.assertEqual(last_lines(info["message"], 1), ["Ferry-Actor: %s" % BOB])
        self.assertValidates()

    def test_admin_publishes_too(self):
        self.publish("prod:models/users", actor=ALICE)
        self.assertIn("select 9", file_at(self.prod, "main", "models/users.yaml"))

    def test_drafter_and_viewer_need_edit(self):
        for actor in (DAN, VIC):
            with self.subTest(actor=actor):
                result, data = self.publish("prod:models/users", code=1, actor=actor)
                self.assertJsonDiag(result, data, "permission-denied")
                self.assertTextDiag(self.text, "permission-denied")

    def test_edit_on_the_kind_is_what_counts(self):
        # carl may edit models only; eve may edit syncs only.
        ws = deploy_workspace_yaml(members={"alice@acme.com": "admin", "carl@acme.com": "{ models: edit }",
                                            "eve@acme.com": "{ syncs: edit, models: view }"})
        commit(self.prod, {"workspace.yaml": ws})
        result, data = self.publish("prod:models/users", code=1, actor="eve@acme.com")
        self.assertJsonDiag(result, data, "permission-denied")
        self.publish("prod:models/users", actor="carl@acme.com")
        self.assertEqual(commit_info(self.prod, "main")["author_email"], "carl@acme.com")

    def test_resource_without_a_draft(self):
        for address in ("prod:syncs/users-crm", "prod:models/nothing-here", "prod:sources/warehouse"):
            with self.subTest(address=address):
                result, data = self.publish(address, code=1, actor=ALICE)
                self.assertJsonDiag(result, data, "unknown-resource")
                self.assertTextDiag(self.text, "unknown-resource")

    def test_invalid_draft_is_refused(self):
        self.org(prod_extra={"drafts/models/users.yaml": HAND_DRAFT_USERS.replace("sql: select 9", "sql: select 9\nprimry_key: id")})
        result, data = self.publish("prod:models/users", code=1, actor=ALICE)
        self.assertJsonDiag(result, data, "schema", file="drafts/models/users.yaml", line=6)
        self.assertIn("select 1", file_at(self.prod, "main", "models/users.yaml"))

    def test_invalid_draft_reports_only_its_own_errors(self):
        # One unknown field in a draft must not also report its `draft` block as
        # an unknown field (validate and publish alike).
        self.org(prod_extra={"drafts/models/users.yaml": HAND_DRAFT_USERS.replace("sql: select 9", "sql: select 9\nprimry_key: id")})
        result, data = self.ferry_json("validate", "prod")
        self.assertExit(result, 1)
        self.assertEqual([(e["code"], e.get("line"), e["message"]) for e in data["errors"]],
                         [("schema", 6, "unknown field 'primry_key'")], result.describe())

    def test_yml_files_keep_their_names(self):
        self.org(prod_extra={"models/users.yaml": None,
                             "models/users.yml": "name: Users\nsource: warehouse\ntype: sql\nsql: select 1\n",
                             "drafts/models/users.yaml": None,
                             "drafts/models/users.yml": HAND_DRAFT_USERS})
        self.assertValidates()
        self.publish("prod:models/users", actor=BOB)
        self.assertEqual(changed_paths(self.prod, "main"), ["drafts/models/users.yml", "models/users.yml"])
        self.assertIn("select 9", file_at(self.prod, "main", "models/users.yml"))
        self.assertIsNone(file_at(self.prod, "main", "models/users.yaml"))
        self.assertValidates()
        result, data = self.ferry_json("history", "prod:models/users")
        self.assertExit(result, 0)
        self.assertEqual([e["commit"] for e in data["entries"]],
                         [head(self.prod, "main"), head(self.prod, "main~1")])

    def test_address_with_a_ref_is_a_usage_error(self):
        before = self.refs()
        self.assertExit(self.ferry("publish", "prod@main:models/users"), 64)
        self.assertExit(self.ferry("publish", "prod:models"), 64)
        self.assertEqual(self.refs(), before)

    def test_unknown_workspace(self):
        result, data = self.publish("staging:models/users", code=1, actor=ALICE)
        self.assertJsonDiag(result, data, "unknown-workspace")

    def test_dirty_work_tree_is_refused(self):
        (self.prod / "models" / "users.yaml").write_text("name: Users\nsource: warehouse\ntype: sql\nsql: wip\n")
        result, data = self.publish("prod:models/users", code=1, actor=ALICE)
        self.assertJsonDiag(result, data, "worktree-dirty")
        self.assertEqual((self.prod / "models" / "users.yaml").read_text(),
                         "name: Users\nsource: warehouse\ntype: sql\nsql: wip\n", "the user's edit is kept")

    def test_publish_into_a_bare_repository(self):
        git(self.tmp, "clone", "-q", "--bare", str(self.prod), str(self.tmp / "prod.git"))
        write_config(self.tmp, {"dev": {"repo": "dev"}, "prod": {"repo": "prod.git", "branch": "main"}})
        self.repos["prod"] = self.tmp / "prod.git"
        before = head(self.tmp / "prod.git", "main")
        self.publish("prod:models/users", actor=BOB)
        self.assertEqual(commit_info(self.tmp / "prod.git", "main")["parents"], [before])
        self.assertIsNone(file_at(self.tmp / "prod.git", "main", "drafts/models/users.yaml"))


class PublishCreatedDraftTest(PublishCase):
    """A drafter deploys a new sync and its model: both land as drafts with
    no published file."""

    def setUp(self):
        super().setUp()
        self.org()
        self.prod = self.repos["prod"]
        result, data = self.plan("--select", "syncs/new-sync", "--include-dependencies", dry_run=False,
                                 env={"FERRY_ACTOR": DAN})
        self.assertExit(result, 0)
        self.assertEqual(changed_paths(self.prod, "main"),
                         ["drafts/models/new-model.yaml", "drafts/syncs/new-sync.yaml", "links.yaml"])

    def test_publish_the_model_then_the_sync(self):
        # The README's choice: a published sync may not use an unpublished model.
        result, data = self.publish("prod:syncs/new-sync", code=1, actor=ALICE)
        self.assertTrue(data["errors"], result.describe())
        self.publish("prod:models/new-model", actor=ALICE)
        self.assertEqual(changed_paths(self.prod, "main"), ["drafts/models/new-model.yaml", "models/new-model.yaml"])
        self.assertEqual(last_lines(commit_info(self.prod, "main")["message"]),
                         ["Ferry-From: dev@%s" % head(self.repos["dev"], "main"), "Ferry-Actor: %s" % ALICE])
        self.publish("prod:syncs/new-sync", actor=ALICE)
        self.assertEqual(changed_paths(self.prod, "main"), ["drafts/syncs/new-sync.yaml", "syncs/new-sync.yaml"])
        self.assertValidates()
        self.assertIn("model: new-model", file_at(self.prod, "main", "syncs/new-sync.yaml"))
        # The links made by the drafted deployment hold: nothing left to do.
        result, data = self.plan("--select", "syncs/new-sync", "--include-dependencies")
        self.assertEqual(data["status"], "no-changes", result.describe())

    def test_the_drafter_may_not_publish_own_draft(self):
        result, data = self.publish("prod:models/new-model", code=1, actor=DAN)
        self.assertJsonDiag(result, data, "permission-denied")


class PublishMonorepoTest(PublishCase):
    def test_publish_writes_only_under_the_workspace_folder(self):
        self.mono_org(prod_extra={"drafts/models/users.yaml": HAND_DRAFT_USERS},
                      dev_extra={"drafts/models/users.yaml": HAND_DRAFT_USERS.replace("warehouse", "wh-dev")})
        mono = self.repos["mono"]
        self.publish("prod:models/users", actor=BOB)
        self.assertEqual(changed_paths(mono, "main"), ["prod/drafts/models/users.yaml", "prod/models/users.yaml"])
        self.assertIsNotNone(file_at(mono, "main", "dev/drafts/models/users.yaml"), "dev's draft is untouched")
        self.assertEqual(worktree_status(mono), [])
        self.assertValidates()


# --------------------------------------------------------------------------
# ferry history


ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


class HistoryCase(ApplyCase):
    def history(self, address, code=0, cwd=None):
        result, data = self.ferry_json("history", address, cwd=cwd or self.folder)
        self.assertExit(result, code)
        self.assertIsInstance(data.get("entries"), list, result.describe())
        for e in data["entries"]:
            self.assertTrue({"commit", "time", "author", "message"} <= set(e), e)
            self.assertRegex(e["commit"], r"^[0-9a-f]{40}$")
            self.assertRegex(e["time"], ISO_UTC)
            if e.get("from") is not None:
                self.assertEqual(set(e["from"]), {"workspace", "commit"}, e)
        return result, data

    def git_log(self, repo, *paths, rev="main"):
        return git(repo, "log", "--format=%H", rev, "--", *paths).split()


class HistoryTest(HistoryCase):
    def setUp(self):
        super().setUp()
        self.org(prod_extra={"workspace.yaml": APPROVE_SYNCS})
        self.prod = self.repos["prod"]
        self.initial = head(self.prod, "main")
        self.dev_commit = head(self.repos["dev"], "main")
        # 1. a deployment: the model published, the sync as a draft
        result, data = self.plan(dry_run=False, env={"SOURCE_DATE_EPOCH": "1800000000"})
        self.assertExit(result, 0)
        self.deployed = head(self.prod, "main")
        # 2. a hand commit that touches something else
        self.unrelated = commit(self.prod, {"README.md": "hello\n"}, "docs")
        # 3. the admin publishes the sync
        result, data = self.ferry_json("publish", "prod:syncs/users-crm", env={"SOURCE_DATE_EPOCH": "1800000100"})
        self.assertExit(result, 0)
        self.published = head(self.prod, "main")
        # 4. a hand edit of the sync
        self.hand = commit(self.prod, {"syncs/users-crm.yaml": file_at(self.prod, "main", "syncs/users-crm.yaml")
                                       .replace("enabled: false", "enabled: true")}, "enable the sync")

    def test_entries(self):
        result, data = self.history("prod:syncs/users-crm")
        commits = [e["commit"] for e in data["entries"]]
        # Newest first; the published and the draft file both count.
        self.assertEqual(commits, [self.hand, self.published, self.deployed, self.initial])
        self.assertEqual(commits, self.git_log(self.prod, "syncs/users-crm.yaml", "drafts/syncs/users-crm.yaml"))
        self.assertNotIn(self.unrelated, commits, "commits that did not touch the resource are not listed")
        by_commit = {e["commit"]: e for e in data["entries"]}
        # `from` comes from the Ferry-From trailer.
        expected_from = {"workspace": "dev", "commit": self.dev_commit}
        self.assertEqual(by_commit[self.deployed]["from"], expected_from)
        self.assertEqual(by_commit[self.published]["from"], expected_from, "a published deployment draft")
        for c in (self.hand, self.initial):
            self.assertIsNone(by_commit[c].get("from"), "no Ferry-From trailer, no `from`: %r" % by_commit[c])
        # author (email), time (UTC), message
        self.assertEqual(by_commit[self.deployed]["author"], ALICE)
        self.assertEqual(by_commit[self.published]["author"], ALICE)
        self.assertEqual(by_commit[self.initial]["author"], "tests@acme.com")
        self.assertEqual(by_commit[self.deployed]["time"], "2027-01-15T08:00:00Z")
        self.assertEqual(by_commit[self.published]["time"], "2027-01-15T08:01:40Z")
        self.assertEqual(by_commit[self.initial]["time"], "2026-11-01T09:00:00Z")
        self.assertEqual(by_commit[self.hand]["message"].splitlines()[0], "enable the sync")
        self.assertEqual(by_commit[self.deployed]["message"].rstrip("\n"),
                         commit_info(self.prod, self.deployed)["message"].rstrip("\n"))

    def test_from_comes_from_the_trailer_only(self):
        # A `Ferry-From:` line that is not in the message's trailers (git
        # interpret-trailers finds none here) is not one.
        message = ("Copy the sync by hand\n\nThe old way wrote\nFerry-From: dev@%s\n"
                   "in the message; this commit is no deployment.\n" % self.dev_commit)
        self.assertEqual(git(self.prod, "interpret-trailers", "--parse", input=message), "")
        write = {"syncs/users-crm.yaml": file_at(self.prod, "main", "syncs/users-crm.yaml") + "# by hand\n"}
        by_hand = commit(self.prod, write, message)
        result, data = self.history("prod:syncs/users-crm")
        self.assertEqual(data["entries"][0]["commit"], by_hand)
        self.assertIsNone(data["entries"][0].get("from"), data["entries"][0])

    def test_model_history_and_history_at_a_ref(self):
        result, data = self.history("prod:models/users")
        self.assertEqual([e["commit"] for e in data["entries"]], [self.deployed, self.initial])
        self.assertEqual(data["entries"][0]["from"], {"workspace": "dev", "commit": self.dev_commit})
        result, data = self.history("prod:sources/warehouse")
        self.assertEqual([e["commit"] for e in data["entries"]], [self.initial])
        git(self.prod, "branch", "before-publish", self.deployed)
        result, data = self.history("prod@before-publish:syncs/users-crm")
        self.assertEqual([e["commit"] for e in data["entries"]], [self.deployed, self.initial])

    def test_text_output(self):
        result = self.ferry("history", "prod:syncs/users-crm")
        self.assertExit(result, 0)
        lines = [l for l in result.stdout.splitlines() if l.strip()]
        self.assertEqual(len(lines), 4, result.describe())
        self.assertIn(self.hand[:7], lines[0], result.describe())
        self.assertIn("enable the sync", lines[0])
        self.assertIn(self.published[:7], lines[1], result.describe())
        self.assertIn("dev", lines[1])
        self.assertFalse(parse_text_diagnostics(result.stderr), result.describe())

    def test_patch(self):
        # SPEC 4: each commit's change to the resource, in the plan's form.
        result = self.ferry("history", "prod:syncs/users-crm", "--patch")
        self.assertExit(result, 0)
        blocks = [b.splitlines() for b in result.stdout.strip("\n").split("\n\n")]
        self.assertEqual([b[0][:12] for b in blocks], [c[:12] for c in (self.hand, self.published, self.deployed,
                                                                       self.initial)])
        self.assertEqual(blocks[0][1:], ["      enabled: false -> true"])
        # The first commit created the file: every field a `+` line, in its
        # file's order, nested values as YAML.
        self.assertEqual(blocks[3][1:], ["    + name: Users to CRM", "    + model: users", "    + destination: crm",
                                         "    + enabled: false", "    + schedule:", "    +   type: cron",
                                         "    +   expression: 0 6 * * *", "    + alerts:", "    +   - oncall",
                                         "    + config:", "    +   mappings:", "    +     - from: email",
                                         "    +       to: Email", "    +   object: Contact"])
        result, data = self.history("prod:syncs/users-crm")
        self.assertNotIn("diff", data["entries"][0], "only with --patch")
        result, data = self.ferry_json("history", "prod:syncs/users-crm", "--patch", cwd=self.folder)
        self.assertExit(result, 0)
        newest = data["entries"][0]
        self.assertEqual(newest["file"], "syncs/users-crm.yaml")
        self.assertEqual(newest["diff"], [{"op": "replace", "path": "/enabled", "before": False, "after": True}])
        # The deployment wrote the sync as a draft: its change is the draft's.
        deployed = data["entries"][2]
        self.assertEqual(deployed["file"], "drafts/syncs/users-crm.yaml")

    def test_patch_of_a_query_is_a_line_diff(self):
        old = file_at(self.prod, "main", "models/users.yaml")
        self.assertIn("sql: select 2", old)
        edited = commit(self.prod, {"models/users.yaml": old.replace(
            "sql: select 2", "sql: |\n  select id\n  from users\n  where active")}, "a longer query")
        again = commit(self.prod, {"models/users.yaml": file_at(self.prod, "main", "models/users.yaml").replace(
            "where active", "where active and not deleted")}, "skip deleted users")
        result = self.ferry("history", "prod:models/users", "--patch")
        self.assertExit(result, 0)
        blocks = [b.splitlines() for b in result.stdout.strip("\n").split("\n\n")]
        self.assertTrue(blocks[0][0].startswith(again[:12]), blocks[0])
        self.assertEqual(blocks[0][1:], ["      sql:", "      select id", "      from users", "    - where active",
                                         "    + where active and not deleted"])
        self.assertTrue(blocks[1][0].startswith(edited[:12]))
        self.assertEqual(blocks[1][1:], ["      sql:", "    - select 2", "    + select id", "    + from users",
                                         "    + where active"])

    def test_patch_of_a_commit_that_broke_the_yaml_is_a_line_diff_of_its_text(self):
        old = file_at(self.prod, "main", "models/users.yaml")
        broken = commit(self.prod, {"models/users.yaml": old.replace("sql: select 2", "sql: [select 2")}, "oops")
        result = self.ferry("history", "prod:models/users", "--patch")
        self.assertExit(result, 0)
        blocks = [b.splitlines() for b in result.stdout.strip("\n").split("\n\n")]
        self.assertTrue(blocks[0][0].startswith(broken[:12]), blocks[0])
        # The file's own lines, with 3 of context; its first line (the
        # schema comment) is not shown, so the hunk says where it starts.
        self.assertEqual(blocks[0][1:], ["      models/users.yaml:", "    @@ -2,4 +2,4 @@", "      name: Users",
                                         "      source: warehouse", "      type: sql", "    - sql: select 2",
                                         "    + sql: [select 2"])
        result, data = self.ferry_json("history", "prod:models/users", "--patch", cwd=self.folder)
        self.assertExit(result, 0)
        self.assertEqual(data["entries"][0]["file"], "models/users.yaml")
        self.assertNotIn("diff", data["entries"][0], "no field diff of a file that is not YAML")

    def test_unknown_resource_workspace_and_usage(self):
        for address in ("prod:syncs/nothing-here", "prod:models/new-model"):
            with self.subTest(address=address):
                result, data = self.history(address, code=1)
                self.assertJsonDiag(result, data, "unknown-resource")
                self.assertEqual(data["entries"], [])
                text = self.ferry("history", address)
                self.assertExit(text, 1)
                self.assertTextDiag(text, "unknown-resource")
        result, data = self.history("staging:models/users", code=1)
        self.assertJsonDiag(result, data, "unknown-workspace")
        for bad in ("prod", "prod:models", "models/users", "prod:widgets/x"):
            with self.subTest(address=bad):
                self.assertExit(self.ferry("history", bad), 64)


class HistoryAfterReviewTest(HistoryCase):
    def test_deployment_reviewed_on_a_branch_then_merged(self):
        self.org()
        prod = self.repos["prod"]
        initial = head(prod, "main")
        path, saved = self.save_plan()
        self.apply_json(path, "--branch", "review/users")
        deployed = head(prod, "review/users")
        git(prod, "merge", "-q", "--no-ff", "review/users", "-m", "Merge review/users")
        merge = head(prod, "main")
        result, data = self.history("prod:models/users")
        commits = [e["commit"] for e in data["entries"]]
        self.assertIn(deployed, commits)
        self.assertEqual(commits[-1], initial)
        self.assertLess(commits.index(deployed), commits.index(initial), "newest first")
        self.assertIn(commits[0], (merge, deployed))
        entry = data["entries"][commits.index(deployed)]
        self.assertEqual(entry["from"], {"workspace": "dev", "commit": saved["from"]["commit"]})
        self.assertEqual(entry["author"], ALICE)


class HistoryMonorepoTest(HistoryCase):
    def test_history_under_a_path(self):
        self.mono_org()
        mono = self.repos["mono"]
        initial = head(mono, "main")
        # A hand change to dev's copy of the model: not prod's history.
        dev_edit = commit(mono, {"dev/models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 3\n"},
                          "dev edit")
        result, data = self.plan("--select", "models/users", dry_run=False)
        self.assertExit(result, 0)
        deployed = head(mono, "main")
        # Files at the repository's root with the same names are not prod's either.
        commit(mono, {"models/users.yaml": "not a workspace file\n"}, "root file")

        result, data = self.history("prod:models/users")
        self.assertEqual([e["commit"] for e in data["entries"]], [deployed, initial])
        self.assertEqual(data["entries"][0]["from"], {"workspace": "dev", "commit": dev_edit})
        result, data = self.history("dev:models/users")
        self.assertEqual([e["commit"] for e in data["entries"]], [dev_edit, initial])
        self.assertIsNone(data["entries"][0].get("from"))


# --------------------------------------------------------------------------
# Several reconciles against one target at once (SPEC 4.2)


class ConcurrentReconcileTest(ApplyCase):
    """WRITERS processes each deploy a different new model to the same
    target at once: every one exits 0 (compare-and-swap, plan again on the
    new tip), and nothing is lost."""

    WRITERS = 6

    def models(self):
        return {"models/m%d.yaml" % i: "name: M%d\nsource: wh-dev\ntype: table\ntable: t%d\n" % (i, i)
                for i in range(self.WRITERS)}

    def make_round(self, folder, bare):
        dev, prod = deploy_trees(dev_extra=self.models())
        make_repo(folder / "dev", dev)
        if bare:
            make_repo(folder / "src-prod", prod)
            git(folder, "clone", "-q", "--bare", str(folder / "src-prod"), str(folder / "prod.git"))
            prod_repo = folder / "prod.git"
        else:
            prod_repo = make_repo(folder / "prod", prod)
        write_config(folder, {"dev": {"repo": "dev"}, "prod": {"repo": prod_repo.name, "branch": "main"}})
        self.folder = folder
        self.repos = {"dev": folder / "dev", "prod": prod_repo}
        return prod_repo

    def race(self, folder):
        procs = [subprocess.Popen([FERRY_BIN, "reconcile", "--from", "dev", "--to", "prod", "--select",
                                   "models/m%d" % i, "--format", "json"], cwd=str(folder),
                                  env=ferry_env(self.base_env), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for i in range(self.WRITERS)]
        outcomes = wait_all(procs, 60, "ferry reconcile")
        failed = [(rc, json.loads(out)["errors"] if out.startswith("{") else out[-1500:], err[-500:])
                  for rc, out, err in outcomes if rc != 0]
        self.assertEqual(failed, [], "every concurrent reconcile must land")
        for rc, out, err in outcomes:
            data = json.loads(out)
            self.assertEqual(data["errors"], [], out)
            self.assertIn("written", data, out)

    def check_round(self, prod, initial, bare, histories=False):
        ids = ["m%d" % i for i in range(self.WRITERS)]
        for i in ids:
            self.assertEqual(file_at(prod, "main", "models/%s.yaml" % i),
                             schema_line("model.schema.json") + "name: M%s\nsource: warehouse\ntype: table\ntable: t%s\n" % (i[1:], i[1:]))
        self.assertEqual(file_at(prod, "main", "links.yaml"),
                         schema_line("links.schema.json") + "models:\n" + "".join("  %s: { dev: %s }\n" % (i, i) for i in ids))
        commits = git(prod, "rev-list", "--first-parent", "%s..main" % initial).split()
        self.assertEqual(len(commits), self.WRITERS, "one deployment commit per writer")
        self.assertEqual(git(prod, "rev-list", "--merges", "%s..main" % initial), "", "no merges: a straight line")
        created = []
        for c in commits:
            paths = changed_paths(prod, c)
            self.assertEqual(len(paths), 2, paths)
            self.assertIn("links.yaml", paths)
            created += [p for p in paths if p != "links.yaml"]
            self.assertTrue(last_lines(commit_info(prod, c)["message"])[0].startswith("Ferry-From: dev@"))
        self.assertEqual(sorted(created), sorted("models/%s.yaml" % i for i in ids))
        if histories:
            dev_commit = head(self.repos["dev"], "main")
            for i in ids:
                result, data = self.ferry_json("history", "prod:models/%s" % i)
                self.assertExit(result, 0)
                self.assertEqual(len(data["entries"]), 1, result.describe())
                self.assertIn(data["entries"][0]["commit"], commits)
                self.assertEqual(data["entries"][0]["from"], {"workspace": "dev", "commit": dev_commit})
        self.assertFsck()
        if not bare:
            self.assertEqual(worktree_status(prod), [])
            for i in ids:
                self.assertTrue((prod / "models" / ("%s.yaml" % i)).is_file())
        self.assertValidates()
        result, data = self.plan("--select", "models/m?")
        self.assertEqual(data["status"], "no-changes", result.describe())

    def run_rounds(self, bare, rounds):
        for n in range(rounds):
            folder = self.tmp / ("round-%d" % n)
            prod = self.make_round(folder, bare)
            initial = head(prod, "main")
            with self.subTest(round=n):
                self.race(folder)
                self.check_round(prod, initial, bare, histories=(n == 0))

    def test_concurrent_reconciles_bare(self):
        self.run_rounds(bare=True, rounds=4)

    def test_concurrent_reconciles_checked_out(self):
        self.run_rounds(bare=False, rounds=3)


if __name__ == "__main__":
    unittest.main()
