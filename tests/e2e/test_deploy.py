"""`ferry reconcile` without --dry-run: writing a deployment (SPEC 3.2, 4,
4.2). One commit in the target's repository holding the written resources,
the drafts removed or written, and the target's links.yaml; its author, its
message and trailers, its times; nothing written when blocked or without
changes; a second identical run is a no-op; monorepos; both directions;
--branch, --push and push-rejected.

Every repository written to is checked with `git fsck --strict`, and the
written trees with `ferry validate`."""

import json
import unittest

from harness import (
    DeployCase,
    changed_paths,
    commit,
    commit_info,
    deploy_trees,
    deploy_workspace_yaml,
    file_at,
    git,
    git_fsck,
    head,
    make_repo,
    plan_schema_errors,
    worktree_status,
    write_config,
)


class WriteCase(DeployCase):
    def setUp(self):
        super().setUp()
        self.repos = {}

    def org(self, dev_extra=None, prod_extra=None):
        self.deploy_org(dev_extra, prod_extra)
        self.repos = {"dev": self.tmp / "dev", "prod": self.tmp / "prod"}

    def heads(self):
        out = {}
        for name, repo in self.repos.items():
            out[name] = {ref: oid for oid, ref in
                         (line.split() for line in git(repo, "for-each-ref", "--format=%(objectname) %(refname)").splitlines())}
        return out

    def deploy(self, *args, env=None, cwd=None, code=0):
        """Writes (no --dry-run) in JSON; checks the exit code, the schema and
        the repositories. Returns (result, plan)."""
        result, data = self.plan(*args, env=env, cwd=cwd, dry_run=False)
        self.assertExit(result, code)
        self.assertFsck()
        return result, data

    def assertFsck(self):
        for repo in sorted(set(self.repos.values())):
            rc, out = git_fsck(repo)
            self.assertEqual(rc, 0, "git fsck --strict failed in %s:\n%s" % (repo, out))

    def assertValidates(self, cwd=None):
        result, data = self.ferry_json("validate", cwd=cwd)
        self.assertExit(result, 0)
        self.assertEqual(data["errors"], [], result.describe())
        self.assertEqual([w for w in data["warnings"] if w["code"] == "stale-link"], [], result.describe())

    def prod_file(self, path, rev="refs/heads/main"):
        return file_at(self.repos["prod"], rev, path)

    def link_set(self, cwd=None):
        result, data = self.ferry_json("links", cwd=cwd)
        self.assertExit(result, 0)
        return {(l["kind"], tuple(sorted((l["a"], l["b"])))) for l in data["links"]}


# --------------------------------------------------------------------------


class UpdateTest(WriteCase):
    def setUp(self):
        super().setUp()
        self.org()

    def test_one_commit_with_the_updated_files(self):
        before = head(self.repos["prod"], "main")
        dev_before = head(self.repos["dev"], "main")
        result, data = self.deploy()
        after = head(self.repos["prod"], "main")
        self.assertNotEqual(after, before)
        info = commit_info(self.repos["prod"], after)
        self.assertEqual(info["parents"], [before], "one commit on top of the tip the plan was made from")
        self.assertEqual(changed_paths(self.repos["prod"], after), ["models/users.yaml", "syncs/users-crm.yaml"])
        self.assertEqual(head(self.repos["dev"], "main"), dev_before, "the source is never written")
        self.assertEqual(data["written"], {"workspace": "prod", "branch": "main", "commit": after, "pushed": False})
        self.assertEqual(data["status"], "ok")

    def test_written_content(self):
        self.deploy()
        model = self.prod_file("models/users.yaml")
        self.assertIn("source: warehouse", model)
        self.assertIn("select 2", model)
        self.assertNotIn("wh-dev", model)
        sync = self.prod_file("syncs/users-crm.yaml")
        self.assertIn("EmailAddress", sync)
        self.assertIn("destination: crm\n", sync)
        self.assertIn("enabled: false", sync, "prod's enabled is kept")
        self.assertIn("oncall", sync, "prod's alerts are kept")
        self.assertIn("cron", sync, "prod's schedule is kept")
        self.assertNotIn("interval", sync)
        self.assertNotIn("crm-sandbox", sync)
        # Block style: no flow collections in what ferry writes here.
        for text in (model, sync):
            self.assertNotRegex(text, r"[{\[]", text)
        # The plan's `after` is what was written.
        result, data = self.plan("--from", "dev", "--to", "prod")
        self.assertEqual(data["status"], "no-changes", result.describe())

    def test_written_files_validate_and_second_run_is_a_no_op(self):
        self.deploy()
        self.assertValidates()
        first = head(self.repos["prod"], "main")
        result, data = self.deploy()
        self.assertEqual(data["status"], "no-changes", result.describe())
        self.assertEqual(data["changes"], [])
        self.assertNotIn("written", data, "nothing is written without changes")
        self.assertEqual(head(self.repos["prod"], "main"), first, "no new commit")
        text = self.reconcile(dry_run=False)
        self.assertExit(text, 0)
        self.assertEqual([l for l in text.stdout.splitlines() if l.strip()][-1], "No changes.", text.describe())
        self.assertEqual(head(self.repos["prod"], "main"), first, "no new commit")

    def test_author_is_the_actor_and_the_message_ends_with_trailers(self):
        dev_commit = head(self.repos["dev"], "main")
        self.deploy(env={"FERRY_ACTOR": "bob@acme.com"})
        info = commit_info(self.repos["prod"], "main")
        self.assertEqual(info["author_email"], "bob@acme.com")
        message = info["message"].rstrip("\n")
        lines = message.splitlines()
        self.assertEqual(lines[-2:], ["Ferry-From: dev@%s" % dev_commit, "Ferry-Actor: bob@acme.com"], message)
        self.assertIn("prod:models/users", message)
        self.assertIn("prod:syncs/users-crm", message)
        self.assertRegex(message, r"(?i)updated")
        # git itself reads them as trailers.
        trailers = git(self.repos["prod"], "interpret-trailers", "--parse", input=info["message"])
        self.assertIn("Ferry-From: dev@%s" % dev_commit, trailers)
        self.assertIn("Ferry-Actor: bob@acme.com", trailers)

    def test_actor_from_the_command_line(self):
        self.deploy("--actor", "bob@acme.com")
        self.assertEqual(commit_info(self.repos["prod"], "main")["author_email"], "bob@acme.com")

    def test_actor_from_the_target_repository_git_config(self):
        git(self.repos["prod"], "config", "user.email", "bob@acme.com")
        result, data = self.deploy(env={"FERRY_ACTOR": None})
        self.assertEqual(data["actor"], "bob@acme.com")
        self.assertEqual(commit_info(self.repos["prod"], "main")["author_email"], "bob@acme.com")

    def test_message_option_is_the_summary_line(self):
        self.deploy("--message", "Release 42: users")
        info = commit_info(self.repos["prod"], "main")
        lines = info["message"].rstrip("\n").splitlines()
        self.assertEqual(lines[0], "Release 42: users")
        self.assertTrue(lines[-1].startswith("Ferry-Actor: "), info["message"])
        self.assertTrue(lines[-2].startswith("Ferry-From: dev@"), info["message"])

    def test_source_date_epoch_sets_the_times(self):
        self.deploy(env={"SOURCE_DATE_EPOCH": "1800000000"})
        info = commit_info(self.repos["prod"], "main")
        self.assertEqual(info["author_time"], 1800000000)
        self.assertEqual(info["committer_time"], 1800000000)

    def test_same_inputs_same_commit(self):
        # Fully determined by the commits, options, actor and time.
        env = {"SOURCE_DATE_EPOCH": "1800000000"}
        base = head(self.repos["prod"], "main")
        self.deploy(env=env)
        first = head(self.repos["prod"], "main")
        git(self.repos["prod"], "reset", "-q", "--hard", base)
        self.deploy(env=env)
        self.assertEqual(head(self.repos["prod"], "main"), first)

    def test_clean_work_tree_follows_the_branch(self):
        self.deploy()
        self.assertEqual(worktree_status(self.repos["prod"]), [])
        self.assertEqual((self.repos["prod"] / "models" / "users.yaml").read_text(), self.prod_file("models/users.yaml"))

    def test_dirty_work_tree_is_refused(self):
        (self.repos["prod"] / "models" / "users.yaml").write_text("name: Users\nsource: warehouse\ntype: sql\nsql: x\n")
        before = self.heads()
        result, data = self.deploy(code=1)
        self.assertJsonDiag(result, data, "worktree-dirty")
        self.assertEqual(self.heads(), before)
        self.assertEqual((self.repos["prod"] / "models" / "users.yaml").read_text(),
                         "name: Users\nsource: warehouse\ntype: sql\nsql: x\n", "the user's edit is kept")

    def test_text_output_of_a_write(self):
        result = self.reconcile(dry_run=False)
        self.assertExit(result, 0)
        self.assertIn('config.mappings[0].to: "Email" -> "EmailAddress"', result.stdout)
        self.assertIn("Plan: 0 to create, 2 to update.", result.stdout)
        self.assertTextDiag(result, "schedule-not-deployed", severity="warning")
        self.assertEqual(changed_paths(self.repos["prod"], "main"), ["models/users.yaml", "syncs/users-crm.yaml"])
        self.assertFsck()

    def test_detailed_exitcode_when_writing(self):
        result, data = self.deploy("--detailed-exitcode", code=2)
        self.assertIn("written", data)
        result, data = self.deploy("--detailed-exitcode", code=0)
        self.assertEqual(data["status"], "no-changes")

    def test_out_with_a_write(self):
        out = self.tmp / "plan.json"
        result, data = self.deploy("--out", str(out))
        saved = json.loads(out.read_text())
        self.assertEqual(plan_schema_errors(saved), [])
        self.assertEqual(saved["changes"], data["changes"])
        self.assertEqual(saved["to"]["commit"], data["to"]["commit"])

    def test_out_saves_a_blocked_plan_that_writes_nothing(self):
        out = self.tmp / "plan.json"
        result, data = self.deploy("--select", "syncs/new-sync", "--out", str(out), code=1)
        self.assertEqual(data["status"], "blocked")
        self.assertEqual(json.loads(out.read_text()), data)

    def test_successive_deployments_stack(self):
        self.deploy()
        first = head(self.repos["prod"], "main")
        commit(self.repos["dev"], {"models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 3\n"})
        result, data = self.deploy()
        second = head(self.repos["prod"], "main")
        self.assertEqual(commit_info(self.repos["prod"], second)["parents"], [first])
        self.assertEqual(changed_paths(self.repos["prod"], second), ["models/users.yaml"])
        self.assertEqual(self.change(data, "prod:models/users")["diff"],
                         [{"op": "replace", "path": "/sql", "before": "select 2", "after": "select 3"}])


class CreateTest(WriteCase):
    def setUp(self):
        super().setUp()
        self.org()

    def test_create_writes_resources_and_links(self):
        before = head(self.repos["prod"], "main")
        result, data = self.deploy("--select", "models/new-model", "--select", "syncs/new-sync")
        after = head(self.repos["prod"], "main")
        self.assertEqual(commit_info(self.repos["prod"], after)["parents"], [before])
        self.assertEqual(changed_paths(self.repos["prod"], after),
                         ["links.yaml", "models/new-model.yaml", "syncs/new-sync.yaml"])
        sync = self.prod_file("syncs/new-sync.yaml")
        self.assertIn("enabled: false", sync)
        self.assertIn("manual", sync)
        self.assertNotIn("interval", sync)
        self.assertNotIn("alerts", sync)
        self.assertIn("model: new-model", sync)
        self.assertIn("destination: crm\n", sync)
        self.assertIn("source: warehouse", self.prod_file("models/new-model.yaml"))
        links = self.link_set()
        self.assertIn(("models", ("dev:models/new-model", "prod:models/new-model")), links)
        self.assertIn(("syncs", ("dev:syncs/new-sync", "prod:syncs/new-sync")), links)
        # Recorded in prod's links.yaml (dev's is untouched).
        self.assertIn("new-model", self.prod_file("links.yaml"))
        self.assertIn("new-sync", self.prod_file("links.yaml"))
        info = commit_info(self.repos["prod"], after)
        self.assertIn("prod:models/new-model", info["message"])
        self.assertIn("prod:syncs/new-sync", info["message"])
        self.assertRegex(info["message"], r"(?i)created")
        self.assertValidates()

    def test_created_resources_are_linked_so_the_default_redeploys_them(self):
        self.deploy("--select", "models/new-model", "--select", "syncs/new-sync")
        first = head(self.repos["prod"], "main")
        # Identical run: nothing to do.
        result, data = self.deploy("--select", "models/new-model", "--select", "syncs/new-sync")
        self.assertEqual(data["status"], "no-changes", result.describe())
        self.assertEqual(head(self.repos["prod"], "main"), first)
        # A later change in dev is picked up by the default selection.
        commit(self.repos["dev"], {"models/new-model.yaml": "name: New\nsource: wh-dev\ntype: table\ntable: newer\n"})
        result, data = self.plan()
        self.assertIn("prod:models/new-model", self.addresses(data), result.describe())
        self.assertEqual(self.change(data, "prod:models/new-model")["action"], "update")

    def test_with_schedule_on_create(self):
        self.deploy("--select", "syncs/new-sync", "--include-dependencies", "--with-schedule")
        sync = self.prod_file("syncs/new-sync.yaml")
        self.assertIn("interval", sync)
        self.assertIn("1d", sync)
        self.assertIn("enabled: false", sync)
        self.assertValidates()

    def test_link_option_recorded_in_the_same_commit(self):
        self.org(dev_extra={"sources/other.yaml": "name: Other\ntype: snowflake\n",
                            "models/m.yaml": "name: M\nsource: other\ntype: table\ntable: t\n"},
                 prod_extra={"sources/other-prod.yaml": "name: Other prod\ntype: snowflake\n"})
        before = head(self.repos["prod"], "main")
        dev_before = head(self.repos["dev"], "main")
        self.deploy("--select", "models/m", "--link", "dev:sources/other=prod:sources/other-prod")
        after = head(self.repos["prod"], "main")
        self.assertEqual(commit_info(self.repos["prod"], after)["parents"], [before])
        self.assertEqual(changed_paths(self.repos["prod"], after), ["links.yaml", "models/m.yaml"])
        self.assertEqual(head(self.repos["dev"], "main"), dev_before, "one side is enough")
        links = self.link_set()
        self.assertIn(("sources", ("dev:sources/other", "prod:sources/other-prod")), links)
        self.assertIn(("models", ("dev:models/m", "prod:models/m")), links)
        self.assertIn("source: other-prod", self.prod_file("models/m.yaml"))
        self.assertValidates()
        result, data = self.plan("--select", "models/m")
        self.assertEqual(data["status"], "no-changes", result.describe())

    def test_links_yaml_keeps_existing_links(self):
        existing = "sources:\n  warehouse: { staging: warehouse-stg }\n"
        self.org(prod_extra={"links.yaml": existing})
        self.deploy("--select", "models/new-model")
        links = self.prod_file("links.yaml")
        self.assertIn("warehouse-stg", links)
        self.assertIn("new-model", links)


class BlockedTest(WriteCase):
    def test_blocked_writes_nothing(self):
        self.org(dev_extra={"sources/other.yaml": "name: Other\ntype: snowflake\n",
                            "models/m.yaml": "name: M\nsource: other\ntype: table\ntable: t\n"})
        before = self.heads()
        # The linked model and sync would deploy fine: all or nothing.
        result, data = self.deploy("--select", "models/*", "--select", "syncs/*", code=1)
        self.assertEqual(data["status"], "blocked")
        self.assertNotIn("written", data)
        self.assertJsonDiag(result, data, "source-not-linked")
        text = self.reconcile("--select", "models/*", "--select", "syncs/*", dry_run=False)
        self.assertExit(text, 1)
        self.assertTextDiag(text, "source-not-linked")
        self.assertEqual(self.heads(), before, "nothing written anywhere")
        self.assertEqual(worktree_status(self.repos["prod"]), [])

    def test_permission_denied_writes_nothing(self):
        self.org()
        before = self.heads()
        result, data = self.deploy(env={"FERRY_ACTOR": "vic@acme.com"}, code=1)
        self.assertJsonDiag(result, data, "permission-denied")
        self.assertEqual(self.heads(), before)

    def test_dry_run_writes_nothing(self):
        self.org()
        before = self.heads()
        result, data = self.plan()
        self.assertExit(result, 0)
        self.assertEqual(self.heads(), before)


class DraftWriteTest(WriteCase):
    def test_approval_required_lands_as_a_draft(self):
        self.org(prod_extra={"workspace.yaml": deploy_workspace_yaml(extra="approvals:\n  syncs: true\n")})
        published_before = self.prod_file("syncs/users-crm.yaml")
        result, data = self.deploy()
        self.assertEqual(self.change(data, "prod:syncs/users-crm")["mode"], "draft")
        after = head(self.repos["prod"], "main")
        self.assertEqual(changed_paths(self.repos["prod"], after), ["drafts/syncs/users-crm.yaml", "models/users.yaml"])
        self.assertEqual(self.prod_file("syncs/users-crm.yaml"), published_before, "the published file is untouched")
        draft = self.prod_file("drafts/syncs/users-crm.yaml")
        self.assertRegex(draft, r"(?m)^draft:")
        self.assertRegex(draft, r"approval: requested")
        self.assertIn("alice@acme.com", draft)
        self.assertIn("EmailAddress", draft)
        self.assertIn("enabled: false", draft)
        self.assertValidates()
        # Deploying the same again: the draft already says it.
        result, data = self.deploy()
        self.assertEqual(data["status"], "no-changes", result.describe())
        self.assertEqual(head(self.repos["prod"], "main"), after)

    def test_drafter_creates_a_draft_and_its_link(self):
        self.org()
        result, data = self.deploy("--select", "models/new-model", env={"FERRY_ACTOR": "dan@acme.com"})
        after = head(self.repos["prod"], "main")
        self.assertEqual(changed_paths(self.repos["prod"], after), ["drafts/models/new-model.yaml", "links.yaml"])
        self.assertIsNone(self.prod_file("models/new-model.yaml"))
        self.assertIn("approval: requested", self.prod_file("drafts/models/new-model.yaml"))
        self.assertEqual(commit_info(self.repos["prod"], after)["author_email"], "dan@acme.com")
        self.assertIn(("models", ("dev:models/new-model", "prod:models/new-model")), self.link_set())
        self.assertValidates()
        # The link holds: the same deployment again changes nothing.
        result, data = self.deploy("--select", "models/new-model", env={"FERRY_ACTOR": "dan@acme.com"})
        self.assertEqual(data["status"], "no-changes", result.describe())
        self.assertEqual(head(self.repos["prod"], "main"), after)

    def test_target_draft_removed_by_a_published_write(self):
        self.org(prod_extra={"drafts/models/users.yaml": "draft: { author: bob@acme.com, approval: none }\n"
                                                         "name: Users\nsource: warehouse\ntype: sql\nsql: select 9\n"})
        result, data = self.deploy()
        self.assertEqual(data["drafts_replaced"], ["prod:models/users"])
        after = head(self.repos["prod"], "main")
        self.assertEqual(changed_paths(self.repos["prod"], after),
                         ["drafts/models/users.yaml", "models/users.yaml", "syncs/users-crm.yaml"])
        self.assertIsNone(self.prod_file("drafts/models/users.yaml"))
        self.assertIn("select 2", self.prod_file("models/users.yaml"))
        self.assertValidates()

    def test_target_draft_replaced_by_a_draft(self):
        self.org(prod_extra={"workspace.yaml": deploy_workspace_yaml(extra="approvals:\n  models: true\n"),
                             "drafts/models/users.yaml": "draft: { author: bob@acme.com, approval: none }\n"
                                                         "name: Users\nsource: warehouse\ntype: sql\nsql: select 9\n"})
        result, data = self.deploy("--select", "models/users")
        self.assertEqual(data["drafts_replaced"], ["prod:models/users"])
        draft = self.prod_file("drafts/models/users.yaml")
        self.assertIn("select 2", draft)
        self.assertIn("approval: requested", draft)
        self.assertIn("select 1", self.prod_file("models/users.yaml"))
        self.assertValidates()


class FromRefWriteTest(WriteCase):
    def test_deploy_from_a_pull_request_ref(self):
        self.org()
        dev = self.repos["dev"]
        git(dev, "checkout", "-q", "-b", "pr")
        pr = commit(dev, {"models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 7\n"})
        git(dev, "checkout", "-q", "main")
        git(dev, "branch", "-q", "-D", "pr")
        git(dev, "update-ref", "refs/pull/7/head", pr)
        result, data = self.deploy("--from", "dev@refs/pull/7/head", "--select", "models/users")
        self.assertEqual(data["from"]["commit"], pr)
        self.assertIn("select 7", self.prod_file("models/users.yaml"))
        lines = commit_info(self.repos["prod"], "main")["message"].rstrip("\n").splitlines()
        self.assertEqual(lines[-2:], ["Ferry-From: dev@%s" % pr, "Ferry-Actor: alice@acme.com"])


class BareTargetTest(WriteCase):
    def test_deploy_into_a_bare_repository(self):
        dev, prod = deploy_trees()
        make_repo(self.tmp / "dev", dev)
        make_repo(self.tmp / "src-prod", prod)
        git(self.tmp, "clone", "-q", "--bare", str(self.tmp / "src-prod"), str(self.tmp / "prod.git"))
        write_config(self.tmp, {"dev": {"repo": "dev"}, "prod": {"repo": "prod.git", "branch": "main"}})
        self.repos = {"dev": self.tmp / "dev", "prod": self.tmp / "prod.git"}
        before = head(self.repos["prod"], "main")
        result, data = self.deploy("--select", "models/*", "--select", "syncs/*")
        after = head(self.repos["prod"], "main")
        self.assertEqual(commit_info(self.repos["prod"], after)["parents"], [before])
        self.assertEqual(changed_paths(self.repos["prod"], after),
                         ["links.yaml", "models/new-model.yaml", "models/users.yaml", "syncs/new-sync.yaml",
                          "syncs/users-crm.yaml"])
        self.assertValidates()
        result, data = self.deploy("--select", "models/*", "--select", "syncs/*")
        self.assertEqual(data["status"], "no-changes", result.describe())


class DirectionTest(WriteCase):
    def test_prod_to_dev(self):
        self.org()
        before = head(self.repos["dev"], "main")
        prod_before = head(self.repos["prod"], "main")
        result, data = self.deploy("--from", "prod", "--to", "dev")
        self.assertEqual(self.addresses(data), ["dev:models/users", "dev:syncs/users-crm"], result.describe())
        after = head(self.repos["dev"], "main")
        self.assertEqual(commit_info(self.repos["dev"], after)["parents"], [before])
        self.assertEqual(head(self.repos["prod"], "main"), prod_before)
        self.assertEqual(changed_paths(self.repos["dev"], after), ["models/users.yaml", "syncs/users-crm.yaml"])
        model = file_at(self.repos["dev"], "main", "models/users.yaml")
        self.assertIn("source: wh-dev", model)
        self.assertIn("select 1", model)
        sync = file_at(self.repos["dev"], "main", "syncs/users-crm.yaml")
        self.assertIn("destination: crm-sandbox", sync)
        self.assertIn("enabled: true", sync, "dev's own enabled is kept")
        self.assertIn("interval", sync, "dev's own schedule is kept")
        self.assertNotIn("oncall", sync, "dev's sync has no alerts; prod's are not copied")
        lines = commit_info(self.repos["dev"], after)["message"].rstrip("\n").splitlines()
        self.assertEqual(lines[-2], "Ferry-From: prod@%s" % prod_before)
        self.assertValidates()
        # And back: dev and prod now agree.
        result, data = self.plan("--from", "dev", "--to", "prod")
        self.assertEqual(data["status"], "no-changes", result.describe())


class MonorepoTest(WriteCase):
    def setUp(self):
        super().setUp()
        dev, prod = deploy_trees()
        files = {"README.md": "two workspaces\n"}
        files.update({"dev/" + p: c for p, c in dev.items()})
        files.update({"prod/" + p: c for p, c in prod.items()})
        make_repo(self.tmp / "mono", files)
        write_config(self.tmp, {"dev": {"repo": "mono", "path": "dev"}, "prod": {"repo": "mono", "path": "prod"}})
        self.repos = {"mono": self.tmp / "mono"}

    def test_commit_touches_only_the_target_folder(self):
        before = head(self.repos["mono"], "main")
        result, data = self.deploy("--select", "models/*", "--select", "syncs/*")
        self.assertEqual(data["from"]["commit"], before)
        self.assertEqual(data["to"]["commit"], before)
        after = head(self.repos["mono"], "main")
        self.assertEqual(commit_info(self.repos["mono"], after)["parents"], [before])
        self.assertEqual(changed_paths(self.repos["mono"], after),
                         ["prod/links.yaml", "prod/models/new-model.yaml", "prod/models/users.yaml",
                          "prod/syncs/new-sync.yaml", "prod/syncs/users-crm.yaml"])
        self.assertIsNone(file_at(self.repos["mono"], after, "links.yaml"))
        self.assertIsNone(file_at(self.repos["mono"], after, "models/users.yaml"))
        self.assertEqual(worktree_status(self.repos["mono"]), [])
        self.assertValidates()
        result, data = self.deploy("--select", "models/*", "--select", "syncs/*")
        self.assertEqual(data["status"], "no-changes", result.describe())
        self.assertEqual(head(self.repos["mono"], "main"), after)

    def test_monorepo_prod_to_dev(self):
        before = head(self.repos["mono"], "main")
        self.deploy("--from", "prod", "--to", "dev")
        after = head(self.repos["mono"], "main")
        self.assertEqual(changed_paths(self.repos["mono"], after), ["dev/models/users.yaml", "dev/syncs/users-crm.yaml"])
        self.assertEqual(commit_info(self.repos["mono"], after)["parents"], [before])


class BranchTest(WriteCase):
    def setUp(self):
        super().setUp()
        self.org()

    def test_branch_option_writes_a_new_branch(self):
        main = head(self.repos["prod"], "main")
        result, data = self.deploy("--branch", "ferry/deploy-1")
        new = head(self.repos["prod"], "refs/heads/ferry/deploy-1")
        self.assertEqual(head(self.repos["prod"], "main"), main, "prod's branch is left alone")
        self.assertEqual(commit_info(self.repos["prod"], new)["parents"], [main])
        self.assertEqual(changed_paths(self.repos["prod"], new), ["models/users.yaml", "syncs/users-crm.yaml"])
        self.assertEqual(data["written"]["branch"], "ferry/deploy-1")
        self.assertEqual(data["written"]["commit"], new)
        self.assertEqual(git(self.repos["prod"], "symbolic-ref", "HEAD"), "refs/heads/main")
        self.assertEqual(worktree_status(self.repos["prod"]), [])
        self.assertIn("select 1", (self.repos["prod"] / "models" / "users.yaml").read_text())
        # Reading prod still reads main: the same plan again.
        result, data = self.plan()
        self.assertEqual(data["status"], "ok")


class PushTest(WriteCase):
    def setUp(self):
        super().setUp()
        self.org()
        self.origin = self.tmp / "origin.git"
        git(self.tmp, "clone", "-q", "--bare", str(self.repos["prod"]), str(self.origin))
        git(self.repos["prod"], "remote", "add", "origin", str(self.origin))
        git(self.repos["prod"], "fetch", "-q", "origin")
        git(self.repos["prod"], "branch", "-q", "--set-upstream-to=origin/main", "main")
        self.repos["origin"] = self.origin

    def test_push_moves_the_remote_branch(self):
        result, data = self.deploy("--push")
        new = head(self.repos["prod"], "main")
        self.assertEqual(head(self.origin, "refs/heads/main"), new)
        self.assertEqual(data["written"], {"workspace": "prod", "branch": "main", "commit": new, "pushed": True})

    def test_push_with_branch(self):
        main = head(self.origin, "refs/heads/main")
        result, data = self.deploy("--branch", "deploy/users", "--push")
        new = head(self.repos["prod"], "refs/heads/deploy/users")
        self.assertEqual(head(self.origin, "refs/heads/deploy/users"), new)
        self.assertEqual(head(self.origin, "refs/heads/main"), main, "only the written branch is pushed")

    def test_no_push_without_the_option(self):
        main = head(self.origin, "refs/heads/main")
        self.deploy()
        self.assertEqual(head(self.origin, "refs/heads/main"), main)

    def diverge(self):
        other = self.tmp / "other"
        git(self.tmp, "clone", "-q", str(self.origin), str(other))
        theirs = commit(other, {"README.md": "someone else\n"}, "someone else's change")
        git(other, "push", "-q", "origin", "main")
        return theirs

    def test_push_rejected_text(self):
        theirs = self.diverge()
        result = self.reconcile("--push", dry_run=False)
        self.assertExit(result, 1)
        self.assertTextDiag(result, "push-rejected")
        self.assertEqual(head(self.origin, "refs/heads/main"), theirs, "the remote is untouched")
        self.assertFsck()

    def test_push_rejected_json(self):
        theirs = self.diverge()
        result, data = self.deploy("--push", code=1)
        self.assertJsonDiag(result, data, "push-rejected")
        self.assertEqual(head(self.origin, "refs/heads/main"), theirs)


if __name__ == "__main__":
    unittest.main()
