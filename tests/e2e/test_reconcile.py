"""`ferry reconcile --dry-run`: the plan (SPEC 3.2, 4, 4.1, 5, 6).

Selection, every deployment rule and its diagnostic code, the rewriting of
references and of target-owned fields, the four output formats, exit codes,
`--out`, `--from S@REF`, and the sample organization. Every JSON plan is
checked against schemas/plan.schema.json. Nothing here writes: see
test_deploy.py for that."""

import json
import os
import re
import subprocess
import time
import unittest

from harness import (
    run_in_pty,
    STALE_LINKS_YAML,
    ANSI_ESCAPE,
    FERRY_BIN,
    SOURCE_DIR,
    DeployCase,
    commit,
    dedent,
    deploy_trees,
    commit_info,
    deploy_workspace_yaml,
    ferry_env,
    git,
    head,
    make_bare_repo_fast,
    parse_text_diagnostics,
    plan_schema_errors,
    write_config,
)

ALL_EMPTY_OPTIONS = {"select": [], "exclude": [], "all": False, "with_schedule": False, "include_dependencies": False,
                     "link": []}

DBT_MODEL = "name: LTV\nsource: wh-dev\ntype: dbt\ndbt: { model: ltv }\n"
ANNOTATION = re.compile(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$")


def annotations(stdout):
    out = []
    for line in stdout.splitlines():
        m = ANNOTATION.match(line)
        if m:
            out.append((m.group(1), m.group(2) or "", m.group(3)))
    return out


def link_pairs(data):
    """The plan's links as (kind, {a, b}) with the two addresses as a set
    (links have no direction)."""
    return sorted((l["kind"], tuple(sorted((l["a"], l["b"])))) for l in data["links"])


def summary_line(stdout):
    lines = [l for l in stdout.splitlines() if l.strip()]
    return lines[-1] if lines else ""


# --------------------------------------------------------------------------


class DefaultPlanTest(DeployCase):
    """No --select: every model and sync of dev already linked to prod."""

    def setUp(self):
        super().setUp()
        self.deploy_org()

    def test_json_plan_is_one_object_per_the_schema(self):
        result, data = self.plan()
        self.assertExit(result, 0)
        self.assertEqual(data["format_version"], 1)
        self.assertEqual(data["from"], {"workspace": "dev", "ref": "main", "commit": head(self.tmp / "dev", "main")})
        self.assertEqual(data["to"], {"workspace": "prod", "ref": "main", "commit": head(self.tmp / "prod", "main")})
        self.assertEqual(data["actor"], "alice@acme.com")
        self.assertEqual(data["options"], ALL_EMPTY_OPTIONS)
        self.assertEqual(data["status"], "ok")
        self.assertEqual(data["errors"], [])
        self.assertEqual(data["drafts_replaced"], [])
        self.assertEqual(data["links"], [], "everything deployed is linked already")
        self.assertNotIn("written", data, "a dry run writes nothing")

    def test_default_selects_linked_models_and_syncs_only(self):
        result, data = self.plan()
        # By kind, then id; the new, unlinked model and sync are not selected.
        self.assertEqual(self.addresses(data), ["prod:models/users", "prod:syncs/users-crm"], result.describe())
        for c in data["changes"]:
            self.assertEqual(c["action"], "update")
            self.assertEqual(c["mode"], "publish")
        self.assertEqual(self.change(data, "prod:models/users")["origin"], "dev:models/users")
        self.assertEqual(self.change(data, "prod:syncs/users-crm")["origin"], "dev:syncs/users-crm")

    def test_model_update_rewrites_the_source_and_diffs_the_sql(self):
        result, data = self.plan()
        model = self.change(data, "prod:models/users")
        self.assertEqual(model["after"], {"name": "Users", "source": "warehouse", "type": "sql", "sql": "select 2"})
        self.assertEqual(model["diff"], [{"op": "replace", "path": "/sql", "before": "select 1", "after": "select 2"}])

    def test_sync_update_rewrites_references_and_keeps_target_owned_fields(self):
        result, data = self.plan()
        sync = self.change(data, "prod:syncs/users-crm")
        after = sync["after"]
        self.assertEqual(after["model"], "users")
        self.assertEqual(after["destination"], "crm", "dev's crm-sandbox becomes prod's crm")
        self.assertIs(after["enabled"], False, "enabled is prod's (dev says true)")
        self.assertEqual(after["alerts"], ["oncall"], "alerts are prod's")
        self.assertEqual(after["schedule"], {"type": "cron", "expression": "0 6 * * *"}, "the schedule is prod's")
        self.assertEqual(after["config"], {"object": "Contact", "mappings": [{"from": "email", "to": "EmailAddress"}]})
        self.assertEqual(sync["diff"], [{"op": "replace", "path": "/config/mappings/0/to", "before": "Email",
                                         "after": "EmailAddress"}])

    def test_schedule_not_deployed_warning_on_update(self):
        result, data = self.plan()
        self.assertJsonDiag(result, data, "schedule-not-deployed", severity="warnings", address="dev:syncs/users-crm")
        self.assertEqual([w["code"] for w in data["warnings"]], ["schedule-not-deployed"], result.describe())

    def test_with_schedule_deploys_the_schedule_not_enabled_or_alerts(self):
        result, data = self.plan("--with-schedule")
        self.assertExit(result, 0)
        self.assertIs(data["options"]["with_schedule"], True)
        sync = self.change(data, "prod:syncs/users-crm")
        self.assertEqual(sync["after"]["schedule"], {"type": "interval", "every": "1h"})
        self.assertIs(sync["after"]["enabled"], False)
        self.assertEqual(sync["after"]["alerts"], ["oncall"])
        self.assertFalse(self.find_json(data, "schedule-not-deployed", "warnings"), result.describe())
        paths = sorted(d["path"] for d in sync["diff"])
        self.assertIn("/config/mappings/0/to", paths)
        self.assertTrue(any(p.startswith("/schedule") for p in paths), result.describe())
        self.assertFalse(any(p.startswith("/enabled") or p.startswith("/alerts") for p in paths), result.describe())

    def test_text_plan(self):
        result = self.reconcile()
        self.assertExit(result, 0)
        out = result.stdout
        self.assertRegex(out, r"(?m)^\s*~ update prod:models/users\b")
        self.assertRegex(out, r"(?m)^\s*~ update prod:syncs/users-crm\b")
        self.assertIn('sql: "select 1" -> "select 2"', out)
        self.assertIn('config.mappings[0].to: "Email" -> "EmailAddress"', out)
        self.assertNotIn("+ create", out)
        self.assertEqual(summary_line(out), "Plan: 0 to create, 2 to update.", result.describe())
        # The models come before the syncs.
        self.assertLess(out.index("prod:models/users"), out.index("prod:syncs/users-crm"))
        # Diagnostics on stderr, none on stdout; no colour in a pipe.
        self.assertTextDiag(result, "schedule-not-deployed", severity="warning")
        self.assertNotRegex(out, r"(?m)^(error|warning)\[")
        self.assertNotRegex(out + result.stderr, ANSI_ESCAPE)

    def test_text_no_ansi_with_no_color(self):
        result = self.reconcile(env={"NO_COLOR": "1"})
        self.assertExit(result, 0)
        self.assertNotRegex(result.stdout + result.stderr, ANSI_ESCAPE)

    def test_no_colour_on_a_terminal_with_no_color(self):
        env = ferry_env(self._env({"NO_COLOR": "1", "TERM": "xterm-256color"}))
        rc, output = run_in_pty(["reconcile", "--from", "dev", "--to", "prod", "--dry-run"], self.tmp, env)
        self.assertEqual(rc, 0, output)
        self.assertIn("~ update prod:models/users", output)
        self.assertNotRegex(output, ANSI_ESCAPE, repr(output))

    def test_plan_is_deterministic_and_cache_neutral(self):
        first = self.reconcile("--format", "json")
        second = self.reconcile("--format", "json")
        uncached = self.reconcile("--format", "json", env={"FERRY_NO_CACHE": "1"})
        text1 = self.reconcile()
        text2 = self.reconcile(env={"FERRY_NO_CACHE": "1"})
        self.assertEqual(first.stdout, second.stdout)
        self.assertEqual(first.stdout, uncached.stdout)
        self.assertEqual(text1.stdout, text2.stdout)
        self.assertEqual(text1.stderr, text2.stderr)

    def test_quiet_prints_nothing_but_errors(self):
        result = self.reconcile("-q")
        self.assertExit(result, 0)
        self.assertEqual(result.stdout, "", result.describe())
        self.assertEqual(result.stderr, "", "warnings are not printed with -q\n" + result.describe())

    def test_verbose_adds_to_stderr_only(self):
        plain = self.reconcile()
        verbose = self.reconcile("-v")
        self.assertExit(verbose, 0)
        self.assertEqual(verbose.stdout, plain.stdout, "-v never changes standard output")
        self.assertIn("warning[schedule-not-deployed]", verbose.stderr)

    def test_exclude_removes_from_the_default_selection(self):
        result, data = self.plan("--exclude", "syncs/users-crm")
        self.assertEqual(self.addresses(data), ["prod:models/users"], result.describe())
        self.assertEqual(data["options"]["exclude"], ["syncs/users-crm"])
        result, data = self.plan("--exclude", "models/*", "--exclude", "syncs/*")
        self.assertExit(result, 0)
        self.assertEqual(data["status"], "no-changes", result.describe())
        self.assertEqual(data["changes"], [])


class NoChangesTest(DeployCase):
    def setUp(self):
        super().setUp()
        # dev's linked model and sync are what prod has (references aside).
        self.deploy_org(dev_extra={
            "models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 1\n",
            "syncs/users-crm.yaml": dedent(
                """
                name: Users to CRM
                model: users
                destination: crm-sandbox
                enabled: true
                schedule: { type: cron, expression: "0 6 * * *" }
                config:
                  object: Contact
                  mappings: [{ from: email, to: Email }]
                """
            ),
        })

    def test_no_changes_json(self):
        result, data = self.plan()
        self.assertExit(result, 0)
        self.assertEqual(data["status"], "no-changes", result.describe())
        self.assertEqual(data["changes"], [])
        self.assertEqual(data["links"], [])
        self.assertEqual(data["errors"], [])
        self.assertEqual(data["warnings"], [], "enabled differs, but it belongs to prod\n" + result.describe())

    def test_no_changes_text(self):
        result = self.reconcile()
        self.assertExit(result, 0)
        self.assertEqual(summary_line(result.stdout), "No changes.", result.describe())
        self.assertNotIn("~ update", result.stdout)
        self.assertNotIn("+ create", result.stdout)

    def test_detailed_exitcode_no_changes_is_0(self):
        self.assertExit(self.reconcile("--detailed-exitcode"), 0)
        result, data = self.plan("--detailed-exitcode")
        self.assertExit(result, 0)

    def test_glob_matching_nothing_selects_nothing(self):
        # ... and says so (SPEC 6: empty-selection).
        result, data = self.plan("--select", "models/zz*")
        self.assertExit(result, 0)
        self.assertEqual(data["status"], "no-changes")
        self.assertEqual(data["errors"], [])
        self.assertEqual([w["code"] for w in data["warnings"]], ["empty-selection"])


class ExitCodeTest(DeployCase):
    def setUp(self):
        super().setUp()
        self.deploy_org(dev_extra={"models/orphan.yaml": "name: O\nsource: other\ntype: table\ntable: o\n",
                                   "sources/other.yaml": "name: Other\ntype: postgres\n"})

    def test_changes_exit_0_without_and_2_with_detailed_exitcode(self):
        self.assertExit(self.reconcile(), 0)
        self.assertExit(self.reconcile("--detailed-exitcode"), 2)
        result, data = self.plan("--detailed-exitcode")
        self.assertExit(result, 2)
        self.assertEqual(data["status"], "ok")
        for fmt in ("markdown", "github"):
            with self.subTest(format=fmt):
                self.assertExit(self.reconcile("--format", fmt, "--detailed-exitcode"), 2)
                self.assertExit(self.reconcile("--format", fmt), 0)

    def test_blocked_exits_1_with_or_without_detailed_exitcode(self):
        for extra in ([], ["--detailed-exitcode"]):
            with self.subTest(extra=extra):
                result, data = self.plan("--select", "models/orphan", *extra)
                self.assertExit(result, 1)
                self.assertEqual(data["status"], "blocked")
                text = self.reconcile("--select", "models/orphan", *extra)
                self.assertExit(text, 1)
                self.assertTextDiag(text, "source-not-linked")

    def test_quiet_blocked_prints_errors_only(self):
        self.deploy_org(dev_extra={"sources/other.yaml": "name: Other\ntype: snowflake\n",
                                   "models/m.yaml": "name: M\nsource: other\ntype: table\ntable: t\n"})
        result = self.reconcile("-q", "--select", "models/m", "--select", "syncs/users-crm")
        self.assertExit(result, 1)
        self.assertEqual(result.stdout, "", result.describe())
        diags = parse_text_diagnostics(result.stderr)
        self.assertEqual([d["code"] for d in diags], ["source-not-linked"], result.describe())
        self.assertNotIn("warning", result.stderr)


# --------------------------------------------------------------------------


class SelectionTest(DeployCase):
    def setUp(self):
        super().setUp()
        self.deploy_org(dev_extra={
            "models/new-two.yaml": "name: New two\nsource: wh-dev\ntype: table\ntable: two\n",
            "drafts/models/new-draft.yaml": "draft: { author: dan@acme.com, approval: none }\n"
                                            "name: Draft\nsource: wh-dev\ntype: table\ntable: d\n",
            "audiences/vip.yaml": "name: VIP\nmodel: users\nfilter: { plan: gold }\n",
        })

    def test_select_replaces_the_default(self):
        result, data = self.plan("--select", "models/new-model")
        self.assertExit(result, 0)
        self.assertEqual(self.addresses(data), ["prod:models/new-model"], result.describe())
        model = self.change(data, "prod:models/new-model")
        self.assertEqual(model["action"], "create")
        self.assertEqual(model["mode"], "publish")
        self.assertEqual(model["origin"], "dev:models/new-model")
        self.assertEqual(model["after"], {"name": "New", "source": "warehouse", "type": "table", "table": "new_table"})
        self.assertTrue(model["diff"], result.describe())
        self.assertEqual([d["op"] for d in model["diff"]], ["add"] * len(model["diff"]), result.describe())
        self.assertEqual(link_pairs(data), [("models", ("dev:models/new-model", "prod:models/new-model"))])
        self.assertEqual(data["options"]["select"], ["models/new-model"])

    def test_select_glob_matches_published_resources_only(self):
        result, data = self.plan("--select", "models/new*")
        self.assertExit(result, 0)
        self.assertEqual(self.addresses(data), ["prod:models/new-model", "prod:models/new-two"], result.describe())
        self.assertFalse(self.find_json(data, "draft-only"), result.describe())
        result, data = self.plan("--select", "models/new-?wo")
        self.assertEqual(self.addresses(data), ["prod:models/new-two"], result.describe())

    def test_select_adds_up_and_keeps_linked_ones_when_named(self):
        result, data = self.plan("--select", "models/*", "--select", "syncs/users-crm")
        self.assertEqual(
            self.addresses(data),
            ["prod:models/new-model", "prod:models/new-two", "prod:models/users", "prod:syncs/users-crm"],
            result.describe(),
        )

    def test_all_selects_every_model_and_sync(self):
        result, data = self.plan("--all")
        self.assertExit(result, 0)
        self.assertIs(data["options"]["all"], True)
        self.assertEqual(
            self.addresses(data),
            ["prod:models/new-model", "prod:models/new-two", "prod:models/users", "prod:syncs/new-sync",
             "prod:syncs/users-crm"],
            result.describe(),
        )
        self.assertFalse(self.find_json(data, "draft-only"), "--all skips draft-only resources\n" + result.describe())
        self.assertFalse(self.find_json(data, "not-deployable"), "--all never selects audiences\n" + result.describe())

    def test_exclude_wins_over_all_and_select(self):
        result, data = self.plan("--all", "--exclude", "models/new-two", "--exclude", "syncs/*")
        self.assertEqual(self.addresses(data), ["prod:models/new-model", "prod:models/users"], result.describe())
        result, data = self.plan("--select", "models/new-model", "--exclude", "models/new-model")
        self.assertExit(result, 0)
        self.assertEqual(data["status"], "no-changes", result.describe())
        self.assertEqual(data["changes"], [])
        self.assertEqual(data["links"], [])

    def test_unknown_resource(self):
        for fmt_json in (True, False):
            if fmt_json:
                result, data = self.plan("--select", "models/nope")
                self.assertExit(result, 1)
                self.assertEqual(data["status"], "blocked")
                self.assertJsonDiag(result, data, "unknown-resource", address="dev:models/nope")
            else:
                result = self.reconcile("--select", "models/nope")
                self.assertExit(result, 1)
                self.assertTextDiag(result, "unknown-resource")
        # With the other resources still selected: all or nothing.
        result, data = self.plan("--select", "models/nope", "--select", "models/new-model")
        self.assertExit(result, 1)
        self.assertEqual(data["status"], "blocked")

    def test_unknown_resource_for_an_exclude_is_not_an_error_of_the_plan(self):
        # --exclude only removes; naming nothing removes nothing.
        result, data = self.plan("--exclude", "models/zz*")
        self.assertExit(result, 0)
        self.assertEqual(self.addresses(data), ["prod:models/users", "prod:syncs/users-crm"])

    def test_draft_only(self):
        result, data = self.plan("--select", "models/new-draft")
        self.assertExit(result, 1)
        self.assertEqual(data["status"], "blocked")
        self.assertJsonDiag(result, data, "draft-only", address="dev:models/new-draft")
        text = self.reconcile("--select", "models/new-draft")
        self.assertExit(text, 1)
        self.assertTextDiag(text, "draft-only")

    def test_not_deployable(self):
        for pattern in ("sources/wh-dev", "destinations/*", "destinations/crm-sandbox", "audiences/vip", "audiences/*"):
            with self.subTest(pattern=pattern):
                result, data = self.plan("--select", pattern)
                self.assertExit(result, 1)
                self.assertEqual(data["status"], "blocked")
                self.assertJsonDiag(result, data, "not-deployable")
                self.assertEqual(data["changes"], [])
                text = self.reconcile("--select", pattern)
                self.assertExit(text, 1)
                self.assertTextDiag(text, "not-deployable")

    def test_invalid_patterns_are_usage_errors(self):
        for pattern in ("models", "widgets/x", "models/", "models/Upper", "models/[ab]", "models/../x",
                        "dev:models/users", "models/a/b", "*/users", ""):
            for option in ("--select", "--exclude"):
                with self.subTest(option=option, pattern=pattern):
                    result = self.reconcile(option, pattern)
                    self.assertExit(result, 64)
                    self.assertEqual(result.stdout, "", result.describe())

    def test_usage_errors(self):
        for args in (
            ["reconcile", "--to", "prod", "--dry-run"],
            ["reconcile", "--from", "dev", "--dry-run"],
            ["reconcile", "--from", "dev", "--to", "prod", "--dry-run", "--bogus"],
            ["reconcile", "--from", "dev", "--to", "prod", "--dry-run", "--format", "yaml"],
        ):
            with self.subTest(args=args):
                result = self.ferry(*args)
                self.assertExit(result, 64)

    def test_unknown_workspace(self):
        for args in (["--from", "nosuch", "--to", "prod"], ["--from", "dev", "--to", "nosuch"]):
            with self.subTest(args=args):
                result, data = self.ferry_json("reconcile", *args, "--dry-run")
                self.assertExit(result, 1)
                self.assertJsonDiag(result, data, "unknown-workspace")
                text = self.ferry("reconcile", *args, "--dry-run")
                self.assertExit(text, 1)
                self.assertTextDiag(text, "unknown-workspace")


class NoSilentEmptiesTest(DeployCase):
    """SPEC 4.1 and 6: what a selection leaves out, or matches nothing, is
    said; hints name what exists."""

    def setUp(self):
        super().setUp()
        self.deploy_org(dev_extra={"models/new-two.yaml": "name: New two\nsource: wh-dev\ntype: table\ntable: two\n"})

    def test_the_default_selection_says_what_it_leaves_out(self):
        result, data = self.plan()
        self.assertEqual(data["not_selected"], ["dev:models/new-model", "dev:models/new-two", "dev:syncs/new-sync"])
        text = self.ferry("reconcile", "--from", "dev", "--to", "prod", "--dry-run", cwd=self.tmp)
        self.assertIn("Not selected: 2 models, 1 sync of dev have no counterpart in prod; "
                      "--all or --select to deploy them\n", text.stdout)
        markdown = self.ferry("reconcile", "--from", "dev", "--to", "prod", "--dry-run", "--format", "markdown",
                              cwd=self.tmp)
        self.assertIn("Not selected: 2 models, 1 sync of dev have no counterpart in prod", markdown.stdout)
        for args in (("--all",), ("--select", "models/users")):
            result, data = self.plan(*args)
            self.assertEqual(data["not_selected"], [], args)
        result, data = self.plan("--exclude", "models/new-*")
        self.assertEqual(data["not_selected"], ["dev:syncs/new-sync"])

    def test_a_glob_that_matches_nothing_is_a_warning_with_a_did_you_mean(self):
        result, data = self.plan("--select", "models/nwe-*")
        self.assertExit(result, 0)
        w = self.assertJsonDiag(result, data, "empty-selection", severity="warnings",
                                message_contains="--select models/nwe-* matches no published model of dev")
        self.assertIn("did you mean models/new-", w["hint"])
        result, data = self.plan("--all", "--exclude", "syncs/zzz*")
        self.assertJsonDiag(result, data, "empty-selection", severity="warnings", message_contains="--exclude syncs/zzz*")

    def test_an_unknown_resource_hints_the_nearest_id(self):
        result, data = self.plan("--select", "models/new-modle")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "unknown-resource", hint_contains="did you mean --select models/new-model?")

    def test_a_misspelt_model_is_never_suggested_for_select(self):
        self.deploy_org(dev_extra={"syncs/typo.yaml": "name: Typo\nmodel: usres\ndestination: crm-sandbox\n"})
        result, data = self.plan("--select", "syncs/typo")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "dangling-reference")
        for d in data["errors"] + data["warnings"]:
            self.assertNotIn("models/usres", d.get("hint", ""), result.describe())


def run_answering(args, cwd, env, answer):
    """ferry on a terminal (input, output and error), `answer` typed when it
    asks (None: nothing). Returns (returncode, everything shown)."""
    return run_in_pty(args, cwd, ferry_env(env), answer=answer, stdin=True)


class ConfirmationTest(DeployCase):
    """SPEC 4: a writing reconcile on a terminal shows the plan and asks
    first; only y or yes goes on; --yes skips the question; without a
    terminal nothing is asked."""

    ARGS = ("reconcile", "--from", "dev", "--to", "prod")

    def setUp(self):
        super().setUp()
        self.deploy_org()
        self.prod = self.tmp / "prod"
        self.before = head(self.prod)

    def test_no_writes_nothing(self):
        for answer in ("n", "", "yess", "no"):
            with self.subTest(answer=answer):
                rc, shown = run_answering(self.ARGS, self.tmp, self.base_env, answer)
                self.assertEqual(rc, 1, shown)
                self.assertIn("~ update prod:models/users", shown)
                self.assertIn("Deploy these changes to prod? [y/N]", shown)
                self.assertIn("nothing was written", shown)
                self.assertEqual(head(self.prod), self.before)

    def test_yes_writes_what_was_shown(self):
        rc, shown = run_answering(self.ARGS, self.tmp, self.base_env, "y")
        self.assertEqual(rc, 0, shown)
        self.assertNotEqual(head(self.prod), self.before)
        self.assertIn("Committed %s to prod (main)." % head(self.prod)[:12], shown)
        self.assertEqual(shown.count("~ update prod:models/users"), 1, "the plan is shown once")

    def test_the_yes_option_and_scripts_are_not_asked(self):
        rc, shown = run_answering(self.ARGS + ("--yes",), self.tmp, self.base_env, None)
        self.assertEqual(rc, 0, shown)
        self.assertNotIn("[y/N]", shown)
        self.assertNotEqual(head(self.prod), self.before)

    def test_without_a_terminal_it_writes_as_before(self):
        result = self.reconcile(dry_run=False)
        self.assertExit(result, 0)
        self.assertNotIn("[y/N]", result.stdout + result.stderr)
        self.assertNotEqual(head(self.prod), self.before)


class DependenciesTest(DeployCase):
    def setUp(self):
        super().setUp()
        self.deploy_org()

    def test_model_not_linked(self):
        result, data = self.plan("--select", "syncs/new-sync")
        self.assertExit(result, 1)
        self.assertEqual(data["status"], "blocked")
        d = self.assertJsonDiag(result, data, "model-not-linked", address="dev:syncs/new-sync")
        self.assertTrue(d.get("hint"), result.describe())
        text = self.reconcile("--select", "syncs/new-sync")
        self.assertExit(text, 1)
        self.assertTextDiag(text, "model-not-linked")

    def test_model_created_by_the_same_deployment(self):
        result, data = self.plan("--select", "syncs/new-sync", "--select", "models/new-model")
        self.assertExit(result, 0)
        self.assertEqual(self.addresses(data), ["prod:models/new-model", "prod:syncs/new-sync"], result.describe())
        sync = self.change(data, "prod:syncs/new-sync")
        self.assertEqual(sync["action"], "create")
        self.assertEqual(sync["after"]["model"], "new-model")
        self.assertEqual(sync["after"]["destination"], "crm")
        self.assertEqual(
            link_pairs(data),
            [("models", ("dev:models/new-model", "prod:models/new-model")),
             ("syncs", ("dev:syncs/new-sync", "prod:syncs/new-sync"))],
        )

    def test_created_sync_is_disabled_manual_and_without_alerts(self):
        result, data = self.plan("--select", "syncs/new-sync", "--select", "models/new-model")
        after = self.change(data, "prod:syncs/new-sync")["after"]
        self.assertEqual(after, {
            "name": "New sync",
            "model": "new-model",
            "destination": "crm",
            "enabled": False,
            "schedule": {"type": "manual"},
            "config": {"object": "Lead"},
        })
        # No schedule-not-deployed on a create.
        self.assertFalse(self.find_json(data, "schedule-not-deployed", "warnings"), result.describe())
        text = self.reconcile("--select", "syncs/new-sync", "--select", "models/new-model")
        self.assertRegex(text.stdout, r"(?m)^\s*\+ create prod:models/new-model\b")
        self.assertRegex(text.stdout, r"(?m)^\s*\+ create prod:syncs/new-sync\b")
        self.assertEqual(summary_line(text.stdout), "Plan: 2 to create, 0 to update.", text.describe())
        self.assertIn("dev:syncs/new-sync", text.stdout)

    def test_created_sync_with_schedule_keeps_the_schedule_only(self):
        result, data = self.plan("--select", "syncs/new-sync", "--select", "models/new-model", "--with-schedule")
        after = self.change(data, "prod:syncs/new-sync")["after"]
        self.assertEqual(after["schedule"], {"type": "interval", "every": "1d"})
        self.assertIs(after["enabled"], False)
        self.assertNotIn("alerts", after)

    def test_created_sync_drops_source_alerts(self):
        self.deploy_org(dev_extra={
            "syncs/new-sync.yaml": "name: N\nmodel: new-model\ndestination: crm-sandbox\nenabled: true\n"
                                   "alerts: [oncall]\n"})
        result, data = self.plan("--select", "syncs/new-sync", "--select", "models/new-model", "--with-schedule")
        self.assertExit(result, 0)
        after = self.change(data, "prod:syncs/new-sync")["after"]
        self.assertNotIn("alerts", after)
        self.assertIs(after["enabled"], False)

    def test_include_dependencies_adds_the_model(self):
        result, data = self.plan("--select", "syncs/new-sync", "--include-dependencies")
        self.assertExit(result, 0)
        self.assertIs(data["options"]["include_dependencies"], True)
        self.assertEqual(self.addresses(data), ["prod:models/new-model", "prod:syncs/new-sync"], result.describe())

    def test_include_dependencies_respects_exclude(self):
        result, data = self.plan("--select", "syncs/new-sync", "--include-dependencies", "--exclude", "models/new-model")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "model-not-linked", address="dev:syncs/new-sync")

    def test_include_dependencies_does_not_redeploy_linked_models(self):
        result, data = self.plan("--select", "syncs/users-crm", "--include-dependencies")
        self.assertEqual(self.addresses(data), ["prod:syncs/users-crm"], result.describe())


class LinkRulesTest(DeployCase):
    def test_source_not_linked(self):
        self.deploy_org(dev_extra={"sources/other.yaml": "name: Other\ntype: snowflake\n",
                                   "models/m.yaml": "name: M\nsource: other\ntype: table\ntable: t\n"})
        result, data = self.plan("--select", "models/m")
        self.assertExit(result, 1)
        self.assertEqual(data["status"], "blocked")
        d = self.assertJsonDiag(result, data, "source-not-linked", address="dev:models/m")
        self.assertIn("dev:sources/other", d.get("hint", ""), result.describe())

    def test_link_option_links_while_deploying(self):
        self.deploy_org(
            dev_extra={"sources/other.yaml": "name: Other\ntype: snowflake\n",
                       "models/m.yaml": "name: M\nsource: other\ntype: table\ntable: t\n"},
            prod_extra={"sources/other-prod.yaml": "name: Other prod\ntype: snowflake\n"},
        )
        link = "dev:sources/other=prod:sources/other-prod"
        result, data = self.plan("--select", "models/m", "--link", link)
        self.assertExit(result, 0)
        self.assertEqual(data["status"], "ok")
        self.assertEqual(data["options"]["link"], [link])
        self.assertEqual(self.change(data, "prod:models/m")["after"]["source"], "other-prod")
        self.assertEqual(
            link_pairs(data),
            [("models", ("dev:models/m", "prod:models/m")), ("sources", ("dev:sources/other", "prod:sources/other-prod"))],
            result.describe(),
        )
        text = self.reconcile("--select", "models/m", "--link", link)
        self.assertExit(text, 0)
        self.assertIn("dev:sources/other", text.stdout)
        self.assertIn("prod:sources/other-prod", text.stdout)

    def test_link_option_for_a_destination(self):
        self.deploy_org(
            dev_extra={"destinations/hub.yaml": "name: Hub\ntype: hubspot\n",
                       "syncs/to-hub.yaml": "name: To hub\nmodel: users\ndestination: hub\n"},
            prod_extra={"destinations/hub-prod.yaml": "name: Hub\ntype: hubspot\n"},
        )
        result, data = self.plan("--select", "syncs/to-hub")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "destination-not-linked", address="dev:syncs/to-hub")
        result, data = self.plan("--select", "syncs/to-hub", "--link", "dev:destinations/hub=prod:destinations/hub-prod")
        self.assertExit(result, 0)
        after = self.change(data, "prod:syncs/to-hub")["after"]
        self.assertEqual(after["destination"], "hub-prod")
        self.assertEqual(after["model"], "users")
        self.assertIn(("destinations", ("dev:destinations/hub", "prod:destinations/hub-prod")), link_pairs(data))

    def test_link_option_is_checked_by_every_link_rule(self):
        self.deploy_org(
            dev_extra={"sources/other.yaml": "name: Other\ntype: snowflake\n",
                       "models/m.yaml": "name: M\nsource: other\ntype: table\ntable: t\n"},
            prod_extra={"sources/pg.yaml": "name: PG\ntype: postgres\n"},
        )
        cases = [
            ("dev:sources/other=prod:sources/pg", "type-mismatch"),
            ("dev:sources/other=prod:sources/warehouse", "already-linked"),  # warehouse is wh-dev's
            ("dev:sources/other=prod:sources/nope", "unknown-resource"),
            ("dev:models/users=prod:models/users", "link-kind-not-allowed"),
        ]
        for link, code in cases:
            with self.subTest(link=link):
                result, data = self.plan("--select", "models/m", "--link", link)
                self.assertExit(result, 1)
                self.assertEqual(data["status"], "blocked")
                self.assertJsonDiag(result, data, code)
                text = self.reconcile("--select", "models/m", "--link", link)
                self.assertExit(text, 1)
                self.assertTextDiag(text, code)

    def test_link_option_needs_edit_in_both_workspaces(self):
        self.deploy_org(
            dev_extra={"sources/other.yaml": "name: Other\ntype: snowflake\n",
                       "models/m.yaml": "name: M\nsource: other\ntype: table\ntable: t\n"},
            prod_extra={"sources/other-prod.yaml": "name: Other prod\ntype: snowflake\n"},
        )
        # dan may draft models and syncs in prod, but not edit its sources.
        result, data = self.plan("--select", "models/m", "--link", "dev:sources/other=prod:sources/other-prod",
                                 env={"FERRY_ACTOR": "dan@acme.com"})
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "permission-denied")

    def test_link_option_must_go_from_source_to_target(self):
        self.deploy_org(prod_extra={"sources/other-prod.yaml": "name: Other prod\ntype: snowflake\n"})
        # A in S and B in T (SPEC 3.2); whether the reverse is a usage error
        # (64) or a refused link (1) the SPEC leaves open: never accepted.
        result = self.reconcile("--link", "prod:sources/other-prod=dev:sources/wh-dev")
        self.assertIn(result.returncode, (1, 64), result.describe())

    def test_type_mismatch_of_a_linked_source(self):
        self.deploy_org(prod_extra={"sources/warehouse.yaml": "name: WH\ntype: bigquery\n"})
        result, data = self.plan()
        self.assertExit(result, 1)
        self.assertEqual(data["status"], "blocked")
        self.assertJsonDiag(result, data, "type-mismatch", address="dev:models/users")

    def test_type_mismatch_of_a_linked_destination(self):
        self.deploy_org(prod_extra={"destinations/crm.yaml": "name: CRM\ntype: hubspot\n"})
        result, data = self.plan("--select", "syncs/users-crm")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "type-mismatch", address="dev:syncs/users-crm")

    def test_destination_not_linked(self):
        self.deploy_org(dev_extra={"destinations/hub.yaml": "name: Hub\ntype: hubspot\n",
                                   "syncs/to-hub.yaml": "name: To hub\nmodel: users\ndestination: hub\n"})
        result, data = self.plan("--select", "syncs/to-hub")
        self.assertExit(result, 1)
        d = self.assertJsonDiag(result, data, "destination-not-linked", address="dev:syncs/to-hub")
        self.assertIn("dev:destinations/hub", d.get("hint", ""))

    def test_links_recorded_in_the_target_only_count_too(self):
        # The union of both links.yaml files: here prod's says it all.
        self.deploy_org(
            dev_extra={"links.yaml": None},
            prod_extra={"links.yaml": dedent(
                """
                sources:
                  warehouse: { dev: wh-dev }
                destinations:
                  crm: { dev: crm-sandbox }
                models:
                  users: { dev: users }
                syncs:
                  users-crm: { dev: users-crm }
                """
            )},
        )
        result, data = self.plan()
        self.assertExit(result, 0)
        self.assertEqual(self.addresses(data), ["prod:models/users", "prod:syncs/users-crm"], result.describe())

    def test_link_to_a_different_id(self):
        # A model linked to a counterpart with another id is updated there.
        self.deploy_org(
            dev_extra={"links.yaml": dedent(
                """
                sources:
                  wh-dev: { prod: warehouse }
                destinations:
                  crm-sandbox: { prod: crm }
                models:
                  users: { prod: users-prod }
                """
            )},
            prod_extra={"models/users.yaml": None,
                        "syncs/users-crm.yaml": None,
                        "models/users-prod.yaml": "name: Users\nsource: warehouse\ntype: sql\nsql: select 1\n"},
        )
        result, data = self.plan("--select", "models/users", "--select", "syncs/users-crm")
        self.assertExit(result, 0)
        model = self.change(data, "prod:models/users-prod")
        self.assertEqual(model["origin"], "dev:models/users")
        self.assertEqual(model["action"], "update")
        sync = self.change(data, "prod:syncs/users-crm")
        self.assertEqual(sync["action"], "create")
        self.assertEqual(sync["after"]["model"], "users-prod")


class LinkFileTest(DeployCase):
    def test_stale_link_is_a_warning_only(self):
        links = STALE_LINKS_YAML
        self.deploy_org(dev_extra={"links.yaml": links})
        result, data = self.plan()
        self.assertExit(result, 0)
        self.assertEqual(data["status"], "ok")
        self.assertTrue(self.find_json(data, "stale-link", "warnings"), result.describe())
        self.assertEqual(self.addresses(data), ["prod:models/users", "prod:syncs/users-crm"])

    def test_link_conflict_blocks(self):
        # dev says wh-dev <-> warehouse, prod says warehouse <-> other.
        self.deploy_org(dev_extra={"sources/other.yaml": "name: Other\ntype: snowflake\n"},
                        prod_extra={"links.yaml": "sources:\n  warehouse: { dev: other }\n"})
        result, data = self.plan()
        self.assertExit(result, 1)
        self.assertEqual(data["status"], "blocked")
        self.assertJsonDiag(result, data, "link-conflict")


class TargetOwnedFieldsTest(DeployCase):
    def test_fields_the_target_lacks_stay_absent_on_update(self):
        self.deploy_org(prod_extra={"syncs/users-crm.yaml": dedent(
            """
            name: Users to CRM
            model: users
            destination: crm
            config:
              object: Contact
              mappings: [{ from: email, to: Email }]
            """
        )})
        result, data = self.plan("--select", "syncs/users-crm")
        self.assertExit(result, 0)
        after = self.change(data, "prod:syncs/users-crm")["after"]
        self.assertNotIn("enabled", after, "prod's sync has no enabled (false): kept")
        self.assertNotIn("alerts", after)
        self.assertNotIn("schedule", after, "prod's sync has no schedule (manual): kept")
        self.assertJsonDiag(result, data, "schedule-not-deployed", severity="warnings", address="dev:syncs/users-crm")
        result, data = self.plan("--select", "syncs/users-crm", "--with-schedule")
        after = self.change(data, "prod:syncs/users-crm")["after"]
        self.assertEqual(after["schedule"], {"type": "interval", "every": "1h"})
        self.assertNotIn("enabled", after)

    def test_a_missing_schedule_is_manual(self):
        # dev's sync has no schedule, prod's says manual: the same schedule.
        self.deploy_org(
            dev_extra={"syncs/users-crm.yaml": "name: Users to CRM\nmodel: users\ndestination: crm-sandbox\n"
                                               "config: { object: Contact, mappings: [{ from: email, to: X }] }\n"},
            prod_extra={"syncs/users-crm.yaml": "name: Users to CRM\nmodel: users\ndestination: crm\n"
                                                "schedule: { type: manual }\n"
                                                "config: { object: Contact, mappings: [{ from: email, to: Y }] }\n"},
        )
        result, data = self.plan("--select", "syncs/users-crm")
        self.assertExit(result, 0)
        self.assertFalse(self.find_json(data, "schedule-not-deployed", "warnings"), result.describe())
        self.assertEqual(self.change(data, "prod:syncs/users-crm")["after"]["schedule"], {"type": "manual"})


class DiffTest(DeployCase):
    def test_json_pointer_paths(self):
        # A destination type with no connector schema, so that the sync's
        # config may hold any key (SPEC 2.7).
        self.deploy_org(
            dev_extra={"destinations/crm-sandbox.yaml": "name: CRM sandbox\ntype: custom-crm\n",
                       "syncs/users-crm.yaml": dedent(
                """
                name: Users to CRM
                model: users
                destination: crm-sandbox
                config:
                  object: Contact
                  "field/name": 2
                  "tilde~key": new
                  mappings: [{ from: email, to: Email }]
                """
            )},
            prod_extra={"destinations/crm.yaml": "name: CRM\ntype: custom-crm\n",
                        "syncs/users-crm.yaml": dedent(
                """
                name: Users to CRM
                model: users
                destination: crm
                config:
                  object: Contact
                  "field/name": 1
                  mappings: [{ from: email, to: Email }, { from: plan, to: Plan }]
                """
            )},
        )
        result, data = self.plan("--select", "syncs/users-crm")
        self.assertExit(result, 0)
        diff = self.change(data, "prod:syncs/users-crm")["diff"]
        by_path = {d["path"]: d for d in diff}
        self.assertEqual(by_path.get("/config/field~1name"),
                         {"op": "replace", "path": "/config/field~1name", "before": 1, "after": 2}, diff)
        self.assertEqual(by_path.get("/config/tilde~0key"),
                         {"op": "add", "path": "/config/tilde~0key", "before": None, "after": "new"}, diff)
        self.assertEqual(by_path.get("/config/mappings/1"),
                         {"op": "remove", "path": "/config/mappings/1", "before": {"from": "plan", "to": "Plan"},
                          "after": None}, diff)
        self.assertEqual(len(diff), 3, diff)


class ExtensionTest(DeployCase):
    def test_dbt_model_needs_the_extension_in_the_target(self):
        self.deploy_org(dev_extra={"models/ltv.yaml": DBT_MODEL},
                        prod_extra={"workspace.yaml": deploy_workspace_yaml().replace(
                            "extensions:\n  dbt: { repository: git@github.com:acme/dbt.git }\n", "")})
        result, data = self.plan("--select", "models/ltv")
        self.assertExit(result, 1)
        d = self.assertJsonDiag(result, data, "missing-extension", address="dev:models/ltv")
        self.assertIn("dbt", d["message"])
        self.assertTrue(d.get("hint"))

    def test_dbt_model_deploys_when_the_target_has_it(self):
        self.deploy_org(dev_extra={"models/ltv.yaml": DBT_MODEL})
        result, data = self.plan("--select", "models/ltv")
        self.assertExit(result, 0)
        self.assertEqual(self.change(data, "prod:models/ltv")["after"]["dbt"], {"model": "ltv"})

    def test_extension_schedules_checked_only_when_deployed(self):
        for schedule, ext in (("{ type: dbt-cloud, job: 42 }", "dbt-cloud"), ("{ type: fivetran, connector: c1 }",
                                                                               "fivetran")):
            with self.subTest(schedule=ext):
                folder = self.tmp / ext
                dev_ws = deploy_workspace_yaml(extra="  %s: { account: acme }\n" % ext)
                self.assertIn("extensions:\n  dbt:", dev_ws)
                sync = ("name: Users to CRM\nmodel: users\ndestination: crm-sandbox\nenabled: true\n"
                        "schedule: %s\nconfig: { object: Contact, mappings: [{ from: email, to: Email }] }\n" % schedule)
                dev, prod = deploy_trees({"workspace.yaml": dev_ws, "syncs/users-crm.yaml": sync})
                self.make_org({"dev": dev, "prod": prod}, folder=folder)
                result, data = self.plan("--select", "syncs/users-crm", cwd=folder)
                self.assertExit(result, 0)
                self.assertFalse(self.find_json(data, "missing-extension"), result.describe())
                self.assertJsonDiag(result, data, "schedule-not-deployed", severity="warnings")
                result, data = self.plan("--select", "syncs/users-crm", "--with-schedule", cwd=folder)
                self.assertExit(result, 1)
                d = self.assertJsonDiag(result, data, "missing-extension", address="dev:syncs/users-crm")
                self.assertIn(ext, d["message"])
                self.assertTrue(d.get("hint"))


class TargetExistsTest(DeployCase):
    def test_unlinked_model_with_the_same_id(self):
        self.deploy_org(prod_extra={"models/new-model.yaml": "name: Mine\nsource: warehouse\ntype: table\ntable: x\n"})
        result, data = self.plan("--select", "models/new-model")
        self.assertExit(result, 1)
        self.assertEqual(data["status"], "blocked")
        d = self.assertJsonDiag(result, data, "target-exists")
        self.assertIn("new-model", d["message"])
        self.assertTrue(d.get("hint"))

    def test_unlinked_sync_with_the_same_id(self):
        self.deploy_org(prod_extra={"syncs/new-sync.yaml": "name: Mine\nmodel: users\ndestination: crm\n"})
        result, data = self.plan("--select", "syncs/new-sync", "--include-dependencies")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "target-exists")

    def test_a_draft_only_target_with_the_same_id(self):
        self.deploy_org(prod_extra={"drafts/models/new-model.yaml": "draft: { author: bob@acme.com, approval: none }\n"
                                                                    "name: Mine\nsource: warehouse\ntype: table\n"
                                                                    "table: x\n"})
        # A model of prod that ferry did not link, if only a draft: never
        # deployed onto.
        result, data = self.plan("--select", "models/new-model")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "target-exists")


class DraftTest(DeployCase):
    def test_unpublished_draft_in_source_is_not_deployed(self):
        self.deploy_org(dev_extra={"drafts/models/users.yaml": "draft: { author: dan@acme.com, approval: requested }\n"
                                                               "name: Users\nsource: wh-dev\ntype: sql\nsql: select 3\n"})
        result, data = self.plan()
        self.assertExit(result, 0)
        self.assertJsonDiag(result, data, "unpublished-draft", severity="warnings", address="dev:models/users")
        self.assertEqual(self.change(data, "prod:models/users")["after"]["sql"], "select 2")
        text = self.reconcile()
        self.assertTextDiag(text, "unpublished-draft", severity="warning")

    def test_unpublished_draft_warns_even_when_the_published_version_is_deployed_already(self):
        self.deploy_org(dev_extra={
            "models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 1\n",
            "drafts/models/users.yaml": "draft: { author: dan@acme.com, approval: requested }\n"
                                        "name: Users\nsource: wh-dev\ntype: sql\nsql: select 3\n"})
        result, data = self.plan("--select", "models/users")
        self.assertExit(result, 0)
        self.assertEqual(data["status"], "no-changes")
        self.assertJsonDiag(result, data, "unpublished-draft", severity="warnings", address="dev:models/users")

    def test_target_draft_replaced(self):
        self.deploy_org(prod_extra={"drafts/models/users.yaml": "draft: { author: bob@acme.com, approval: none }\n"
                                                                "name: Users\nsource: warehouse\ntype: sql\n"
                                                                "sql: select 9\n"})
        result, data = self.plan()
        self.assertExit(result, 0)
        self.assertEqual(data["drafts_replaced"], ["prod:models/users"])
        self.assertJsonDiag(result, data, "target-draft-replaced", severity="warnings")
        text = self.reconcile()
        self.assertTextDiag(text, "target-draft-replaced", severity="warning")
        # The text plan lists the drafts replaced.
        self.assertRegex(text.stdout, r"(?i)drafts? replaced")
        self.assertRegex(text.stdout.split("~ update prod:syncs/users-crm")[-1], r"prod:models/users")

    def test_lands_as_draft_when_the_target_requires_approval(self):
        self.deploy_org(prod_extra={"workspace.yaml": deploy_workspace_yaml(extra="approvals:\n  syncs: true\n")})
        result, data = self.plan()
        self.assertExit(result, 0)
        self.assertEqual(data["status"], "ok")
        self.assertEqual(self.change(data, "prod:syncs/users-crm")["mode"], "draft")
        self.assertEqual(self.change(data, "prod:models/users")["mode"], "publish")
        self.assertJsonDiag(result, data, "lands-as-draft", severity="warnings")
        text = self.reconcile()
        self.assertExit(text, 0)
        self.assertTextDiag(text, "lands-as-draft", severity="warning")

    def test_lands_as_draft_when_the_actor_may_only_draft(self):
        self.deploy_org()
        result, data = self.plan("--actor", "dan@acme.com")
        self.assertExit(result, 0)
        self.assertEqual(data["actor"], "dan@acme.com")
        self.assertEqual([c["mode"] for c in data["changes"]], ["draft", "draft"], result.describe())
        self.assertTrue(self.find_json(data, "lands-as-draft", "warnings"), result.describe())

    def test_draft_creation_records_its_link_at_once(self):
        self.deploy_org()
        result, data = self.plan("--select", "models/new-model", env={"FERRY_ACTOR": "dan@acme.com"})
        self.assertExit(result, 0)
        model = self.change(data, "prod:models/new-model")
        self.assertEqual(model["action"], "create")
        self.assertEqual(model["mode"], "draft")
        self.assertEqual(link_pairs(data), [("models", ("dev:models/new-model", "prod:models/new-model"))])


class PermissionTest(DeployCase):
    def test_viewer_of_the_target_is_refused(self):
        self.deploy_org()
        result, data = self.plan(env={"FERRY_ACTOR": "vic@acme.com"})
        self.assertExit(result, 1)
        self.assertEqual(data["status"], "blocked")
        self.assertEqual(data["actor"], "vic@acme.com")
        d = self.assertJsonDiag(result, data, "permission-denied")
        self.assertTrue(d.get("hint"))
        text = self.reconcile("--actor", "vic@acme.com")
        self.assertExit(text, 1)
        self.assertTextDiag(text, "permission-denied")

    def test_no_view_in_the_source_is_refused(self):
        self.deploy_org(
            dev_extra={"workspace.yaml": deploy_workspace_yaml(members={"bob@acme.com": "admin"})},
        )
        result, data = self.plan()
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "permission-denied")

    def test_a_github_account_is_an_actor_of_its_own(self):
        # SPEC 1: in CI the actor is github:LOGIN, granted by a members key of that form.
        members = dict(__import__("harness").DEPLOY_MEMBERS)
        members['"github:alice-a"'] = "admin"
        ws = deploy_workspace_yaml(members=members)
        self.deploy_org(dev_extra={"workspace.yaml": ws}, prod_extra={"workspace.yaml": ws})
        result, data = self.plan("--actor", "github:Alice-A")
        self.assertExit(result, 0)
        self.assertEqual(data["status"], "ok")
        written = self.reconcile("--actor", "github:alice-a", dry_run=False)
        self.assertExit(written, 0)
        info = commit_info(self.tmp / "prod")
        self.assertEqual((info["author_name"], info["author_email"]), ("alice-a", "alice-a@users.noreply.github.com"))
        self.assertIn("Ferry-Actor: github:alice-a", info["message"])
        # The account is not the email, and no email is the account.
        result, data = self.plan("--actor", "github:mallory")
        self.assertJsonDiag(result, data, "permission-denied")

    def test_stranger_is_refused(self):
        self.deploy_org()
        result, data = self.plan("--actor", "mallory@evil.example")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "permission-denied")

    def test_per_kind_levels(self):
        # erin may edit models in prod but only view syncs there.
        members = dict(__import__("harness").DEPLOY_MEMBERS)
        members["erin@acme.com"] = "{ models: edit, syncs: view }"
        self.deploy_org(prod_extra={"workspace.yaml": deploy_workspace_yaml(members=members)},
                        dev_extra={"workspace.yaml": deploy_workspace_yaml(members=members)})
        result, data = self.plan("--select", "models/users", env={"FERRY_ACTOR": "erin@acme.com"})
        self.assertExit(result, 0)
        self.assertEqual(self.change(data, "prod:models/users")["mode"], "publish")
        result, data = self.plan(env={"FERRY_ACTOR": "erin@acme.com"})
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "permission-denied")


class ErrorsTest(DeployCase):
    def test_every_error_has_a_hint_and_an_address(self):
        self.deploy_org(
            dev_extra={"sources/other.yaml": "name: Other\ntype: snowflake\n",
                       "models/m.yaml": "name: M\nsource: other\ntype: table\ntable: t\n",
                       "models/ltv.yaml": DBT_MODEL,
                       "destinations/hub.yaml": "name: Hub\ntype: hubspot\n",
                       "syncs/to-hub.yaml": "name: To hub\nmodel: users\ndestination: hub\n",
                       "drafts/models/d.yaml": "draft: { author: dan@acme.com }\nname: D\nsource: wh-dev\ntype: table\n"
                                               "table: d\n"},
            prod_extra={"workspace.yaml": deploy_workspace_yaml().replace(
                "extensions:\n  dbt: { repository: git@github.com:acme/dbt.git }\n", ""),
                "models/new-model.yaml": "name: Mine\nsource: warehouse\ntype: table\ntable: x\n"},
        )
        result, data = self.plan("--select", "models/m", "--select", "models/ltv", "--select", "syncs/to-hub",
                                 "--select", "syncs/new-sync", "--select", "models/new-model", "--select", "models/d")
        self.assertExit(result, 1)
        codes = sorted({e["code"] for e in data["errors"]})
        for code in ("source-not-linked", "missing-extension", "destination-not-linked", "target-exists", "draft-only"):
            self.assertIn(code, codes, result.describe())
        for e in data["errors"]:
            self.assertTrue(e.get("hint"), "error without a hint: %s" % json.dumps(e))
            self.assertTrue(e.get("address"), "error without an address: %s" % json.dumps(e))
        # Text: the same codes on stderr, the summary on stdout, nothing to create.
        text = self.reconcile("--select", "models/m", "--select", "models/ltv", "--select", "syncs/to-hub",
                              "--select", "syncs/new-sync", "--select", "models/new-model", "--select", "models/d")
        self.assertExit(text, 1)
        text_codes = sorted({d["code"] for d in parse_text_diagnostics(text.stderr) if d["severity"] == "error"})
        self.assertEqual(text_codes, codes, text.describe())
        self.assertEqual(text.stderr.count("hint"), len(data["errors"]) + sum(1 for w in data["warnings"] if w.get("hint")),
                         text.describe())

    def test_selection_and_link_errors_have_hints_too(self):
        self.deploy_org(
            dev_extra={"audiences/vip.yaml": "name: VIP\nmodel: users\nfilter: { plan: gold }\n",
                       "sources/other.yaml": "name: Other\ntype: snowflake\n"},
            prod_extra={"sources/pg.yaml": "name: PG\ntype: postgres\n"},
        )
        missing = []
        for args in (["--select", "models/nope"], ["--select", "audiences/vip"], ["--select", "sources/wh-dev"],
                     ["--link", "dev:sources/other=prod:sources/pg"]):
            result, data = self.plan(*args)
            self.assertExit(result, 1)
            self.assertTrue(data["errors"], result.describe())
            missing += [(args, e["code"]) for e in data["errors"] if not e.get("hint")]
        self.assertEqual(missing, [], "SPEC 4.1: each error is {code, message, address, hint}")

    def test_load_errors_in_a_deployed_resource_block(self):
        self.deploy_org(dev_extra={"models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\n"})  # no sql
        result, data = self.plan()
        self.assertExit(result, 1)
        self.assertEqual(data["status"], "blocked")
        self.assertTrue(data["errors"], result.describe())


# --------------------------------------------------------------------------


class OutTest(DeployCase):
    def setUp(self):
        super().setUp()
        self.deploy_org()

    def test_out_saves_the_json_plan(self):
        out = self.tmp / "PLAN.json"
        text = self.reconcile("--out", str(out))
        self.assertExit(text, 0)
        self.assertIn("~ update prod:models/users", text.stdout, "stdout keeps the chosen format")
        saved = json.loads(out.read_text())
        self.assertEqual(plan_schema_errors(saved), [])
        result, data = self.plan()
        self.assertEqual(saved, data)

    def test_out_saves_a_blocked_plan_too(self):
        out = self.tmp / "blocked.json"
        result = self.reconcile("--select", "syncs/new-sync", "--out", str(out))
        self.assertExit(result, 1)
        saved = json.loads(out.read_text())
        self.assertEqual(plan_schema_errors(saved), [])
        self.assertEqual(saved["status"], "blocked")
        self.assertTrue([e for e in saved["errors"] if e["code"] == "model-not-linked"])


class FromRefTest(DeployCase):
    def setUp(self):
        super().setUp()
        self.deploy_org()
        self.dev = self.tmp / "dev"
        self.main_commit = head(self.dev, "main")

    def test_from_a_branch(self):
        git(self.dev, "checkout", "-q", "-b", "feature")
        feature = commit(self.dev, {"models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 42\n"})
        git(self.dev, "checkout", "-q", "main")
        result, data = self.plan("--from", "dev@feature")
        self.assertExit(result, 0)
        self.assertEqual(data["from"]["workspace"], "dev")
        self.assertEqual(data["from"]["commit"], feature)
        self.assertTrue(data["from"]["ref"].endswith("feature"), result.describe())
        self.assertEqual(self.change(data, "prod:models/users")["after"]["sql"], "select 42")
        # Without @REF: main.
        result, data = self.plan()
        self.assertEqual(data["from"]["commit"], self.main_commit)
        self.assertEqual(self.change(data, "prod:models/users")["after"]["sql"], "select 2")

    def test_from_a_pull_request_ref(self):
        git(self.dev, "checkout", "-q", "-b", "pr")
        pr = commit(self.dev, {"models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 7\n"})
        git(self.dev, "checkout", "-q", "main")
        git(self.dev, "branch", "-D", "pr")
        git(self.dev, "update-ref", "refs/pull/7/head", pr)
        result, data = self.plan("--from", "dev@refs/pull/7/head")
        self.assertExit(result, 0)
        self.assertEqual(data["from"]["commit"], pr)
        self.assertEqual(data["from"]["ref"], "refs/pull/7/head")
        self.assertEqual(self.change(data, "prod:models/users")["after"]["sql"], "select 7")
        text = self.reconcile("--from", "dev@refs/pull/7/head")
        self.assertExit(text, 0)
        self.assertIn('"select 1" -> "select 7"', text.stdout)

    def test_from_a_tag_and_a_commit(self):
        old = self.main_commit
        commit(self.dev, {"models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 5\n"})
        git(self.dev, "tag", "v1", old)
        git(self.dev, "tag", "-a", "-m", "release", "v1-annotated", old)
        for ref in ("v1", "v1-annotated", old):
            with self.subTest(ref=ref):
                result, data = self.plan("--from", "dev@" + ref)
                self.assertExit(result, 0)
                self.assertEqual(data["from"]["commit"], old)
                self.assertEqual(self.change(data, "prod:models/users")["after"]["sql"], "select 2")
        result, data = self.plan()
        self.assertEqual(self.change(data, "prod:models/users")["after"]["sql"], "select 5")

    def test_unknown_ref_is_an_error(self):
        result, data = self.ferry_json("reconcile", "--from", "dev@no-such-branch", "--to", "prod", "--dry-run")
        self.assertExit(result, 1)
        self.assertTrue(data["errors"], result.describe())

    def test_to_takes_no_ref(self):
        result = self.reconcile("--from", "dev", "--to", "prod@main")
        self.assertExit(result, 64)

    def test_uncommitted_files_are_never_read(self):
        (self.dev / "models" / "users.yaml").write_text("name: Users\nsource: wh-dev\ntype: sql\nsql: select 99\n")
        result, data = self.plan()
        self.assertEqual(self.change(data, "prod:models/users")["after"]["sql"], "select 2")


# --------------------------------------------------------------------------


class MarkdownTest(DeployCase):
    def test_summary_and_errors_first_outside_details(self):
        self.deploy_org()
        result = self.reconcile("--select", "syncs/new-sync", "--select", "models/users", "--format", "markdown")
        self.assertExit(result, 1)
        out = result.stdout
        self.assertIn("model-not-linked", out)
        first_details = out.find("<details")
        if first_details >= 0:
            self.assertLess(out.index("model-not-linked"), first_details, out)
        self.assertRegex(out, r"blocked|error", out)
        self.assertLessEqual(len(out), 65536)

    def test_ok_plan(self):
        self.deploy_org()
        result = self.reconcile("--format", "markdown")
        self.assertExit(result, 0)
        out = result.stdout
        self.assertIn("Plan: 0 to create, 2 to update.", out)
        self.assertIn("prod:models/users", out)
        self.assertIn("prod:syncs/users-crm", out)
        self.assertIn("EmailAddress", out)
        self.assertIn("schedule-not-deployed", out)
        details = out.find("<details")
        self.assertLess(out.index("Plan: 0 to create, 2 to update."), details if details >= 0 else len(out))
        self.assertNotRegex(out + result.stderr, ANSI_ESCAPE)

    def test_no_changes(self):
        self.deploy_org()
        result = self.reconcile("--format", "markdown", "--select", "models/zz*")
        self.assertExit(result, 0)
        self.assertIn("No changes.", result.stdout)


def numbered_models(count, source="wh-dev", prefix="m"):
    return {"models/%s%04d.yaml" % (prefix, i): "name: Model %d\nsource: %s\ntype: table\ntable: t%d\n" % (i, source, i)
            for i in range(count)}


class LargePlanTest(DeployCase):
    """3,000 models at once: the markdown stays within a comment (65,536
    characters), the diffs cut with a note saying how many were left out."""

    COUNT = 3000

    def big_org(self, dev_extra=None, prod_extra=None):
        # Bare repositories made with fast-import: thousands of files quickly.
        dev, prod = deploy_trees(dev_extra, prod_extra)
        make_bare_repo_fast(self.tmp / "dev.git", dev)
        make_bare_repo_fast(self.tmp / "prod.git", prod)
        write_config(self.tmp, {"dev": {"repo": "dev.git", "branch": "main"}, "prod": {"repo": "prod.git", "branch": "main"}})

    def left_out(self, out):
        lines = [l for l in out.splitlines() if "left out" in l]
        self.assertEqual(len(lines), 1, "one note says how many diffs were left out\n" + out[-3000:])
        numbers = [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", lines[0])]
        return numbers, lines[0]

    def test_markdown_diffs_cut_with_a_note(self):
        # 150 models with long SQL: about 200,000 characters of diffs, while
        # the summary, links and warnings fit easily.
        sql = "select " + ", ".join("column_%03d" % i for i in range(90)) + " from t"
        models = {"models/big%03d.yaml" % i: "name: Big %d\nsource: wh-dev\ntype: sql\nsql: %s%d\n" % (i, sql, i)
                  for i in range(150)}
        self.big_org(dev_extra=models)
        result = self.reconcile("--all", "--format", "markdown")
        self.assertExit(result, 0)
        out = result.stdout
        self.assertLessEqual(len(out), 65536, "markdown longer than a comment may be (%d characters)" % len(out))
        self.assertGreater(len(out), 30000, "the room is used")
        summary = "Plan: 152 to create, 2 to update."
        self.assertIn(summary, out)
        self.assertIn("<details", out)
        self.assertLess(out.index(summary), out.index("<details"))
        self.assertIn("schedule-not-deployed", out[:out.index("<details")], "warnings are not hidden")
        shown = len(re.findall(r"(?m)^.*(?:create|update) prod:(?:models|syncs)/", out[out.index("<details"):]))
        numbers, note = self.left_out(out)
        self.assertGreater(shown, 0)
        self.assertIn(154 - shown, numbers, "the note says how many were left out (%d of 154 shown): %s" % (shown, note))

    def test_markdown_of_a_huge_plan_is_cut_with_a_note(self):
        self.big_org(dev_extra=numbered_models(self.COUNT))
        result = self.reconcile("--all", "--format", "markdown")
        self.assertExit(result, 0)
        out = result.stdout
        self.assertLessEqual(len(out), 65536, "markdown longer than a comment may be (%d characters)" % len(out))
        summary = "Plan: %d to create, 2 to update." % (self.COUNT + 2)
        self.assertIn(summary, out)
        self.assertLess(out.index(summary), out.find("<details") if "<details" in out else len(out))
        shown = len(re.findall(r"(?m)^.*(?:create|update) prod:(?:models|syncs)/", out.split(summary, 1)[1]))
        numbers, note = self.left_out(out)
        total = self.COUNT + 4  # the numbered models, new-model, new-sync, users, users-crm
        self.assertIn(total - shown, numbers, "the note says how many were left out (%d of %d shown): %s"
                      % (shown, total, note))
        self.assertGreater(shown, 0)
        # The JSON plan has them all.
        result, data = self.plan("--all")
        self.assertEqual(len(data["changes"]), total)

    def test_markdown_of_a_huge_blocked_plan_stays_within_a_comment(self):
        # 3,000 models on an unlinked source: 3,000 errors.
        extra = numbered_models(self.COUNT, source="other")
        extra["sources/other.yaml"] = "name: Other\ntype: snowflake\n"
        self.big_org(dev_extra=extra)
        result = self.reconcile("--all", "--format", "markdown")
        self.assertExit(result, 1)
        out = result.stdout
        self.assertLessEqual(len(out), 65536, "markdown longer than a comment may be (%d characters)" % len(out))
        self.assertIn("source-not-linked", out)
        self.assertRegex(out[:2000], r"(?i)blocked|error")

    def test_markdown_with_thousands_of_warnings_stays_within_a_comment(self):
        # Every created model lands as a draft: one warning each.
        self.big_org(dev_extra=numbered_models(self.COUNT),
                     prod_extra={"workspace.yaml": deploy_workspace_yaml(extra="approvals:\n  models: true\n")})
        result = self.reconcile("--all", "--format", "markdown")
        self.assertExit(result, 0)
        self.assertLessEqual(len(result.stdout), 65536,
                             "markdown longer than a comment may be (%d characters)" % len(result.stdout))
        self.assertIn("Plan: %d to create, 2 to update." % (self.COUNT + 2), result.stdout)


class GithubTest(DeployCase):
    def test_warning_annotations_and_step_summary(self):
        self.deploy_org()
        summary = self.tmp / "summary.md"
        summary.write_text("# earlier step\n")
        result = self.reconcile("--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
        self.assertExit(result, 0)
        ann = annotations(result.stdout)
        self.assertEqual([a[0] for a in ann], ["warning"], result.describe())
        self.assertIn("schedule-not-deployed", ann[0][1] + ann[0][2])
        text = summary.read_text()
        self.assertTrue(text.startswith("# earlier step\n"), "appended, not overwritten")
        markdown = self.reconcile("--format", "markdown").stdout
        self.assertIn(markdown.strip(), text)
        self.assertNotRegex(result.stdout, ANSI_ESCAPE)

    def test_no_step_summary_without_the_variable(self):
        self.deploy_org()
        result = self.reconcile("--format", "github")
        self.assertExit(result, 0)
        self.assertEqual(list(self.tmp.glob("*.md")), [])

    def test_errors_first_at_most_ten_of_each(self):
        # 12 models on an unlinked source (12 errors) and 12 pending drafts of
        # linked models (12 unpublished-draft warnings).
        extra = numbered_models(12, source="other", prefix="bad")
        extra["sources/other.yaml"] = "name: Other\ntype: snowflake\n"
        links = ["sources:", "  wh-dev: { prod: warehouse }", "destinations:", "  crm-sandbox: { prod: crm }",
                 "syncs:", "  users-crm: { prod: users-crm }", "models:", "  users: { prod: users }"]
        for i in range(12):
            extra["models/ok%02d.yaml" % i] = "name: OK\nsource: wh-dev\ntype: table\ntable: ok\n"
            extra["drafts/models/ok%02d.yaml" % i] = ("draft: { author: dan@acme.com }\n"
                                                      "name: OK\nsource: wh-dev\ntype: table\ntable: ok2\n")
            links.append("  ok%02d: { prod: ok%02d }" % (i, i))
        extra["links.yaml"] = "\n".join(links) + "\n"
        prod_extra = {"models/ok%02d.yaml" % i: "name: OK\nsource: warehouse\ntype: table\ntable: ok\n"
                      for i in range(12)}
        self.deploy_org(dev_extra=extra, prod_extra=prod_extra)
        summary = self.tmp / "summary.md"
        result = self.reconcile("--select", "models/*", "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
        self.assertExit(result, 1)
        ann = annotations(result.stdout)
        kinds = [a[0] for a in ann]
        self.assertEqual(kinds, ["error"] * 10 + ["warning"] * 10, result.describe())
        for tenth in (ann[9][2], ann[19][2]):
            self.assertRegex(tenth, r"\b2\b", result.describe())
            self.assertIn("more", tenth.lower())
        self.assertTrue(summary.is_file(), "the markdown plan is appended to GITHUB_STEP_SUMMARY")
        self.assertIn("source-not-linked", summary.read_text())


# --------------------------------------------------------------------------


class SamplesTest(DeployCase):
    ACTOR = "alice@acme.com"

    def setUp(self):
        super().setUp()
        self.org = self.tmp / "acme"
        proc = subprocess.run(["bash", str(SOURCE_DIR / "samples" / "make-repos.sh"), "--force", str(self.org)],
                              env=ferry_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.config = str(self.org / "ferry.yaml")

    def test_samples_all_dry_run(self):
        heads = {n: head(self.org / ("acme-" + n), "main") for n in ("dev", "staging", "prod")}
        result = self.ferry("--config", self.config, "reconcile", "--from", "dev", "--to", "prod", "--all", "--dry-run",
                            cwd=self.tmp)
        self.assertExit(result, 0)
        self.assertRegex(result.stdout, r"(?m)^\s*\+ create prod:")
        self.assertRegex(result.stdout, r"(?m)^\s*~ update prod:")
        self.assertRegex(summary_line(result.stdout), r"^Plan: [1-9]\d* to create, [1-9]\d* to update\.$")
        self.assertTrue([d for d in parse_text_diagnostics(result.stderr) if d["severity"] == "warning"],
                        result.describe())
        self.assertFalse([d for d in parse_text_diagnostics(result.stderr) if d["severity"] == "error"],
                         result.describe())
        self.assertEqual({n: head(self.org / ("acme-" + n), "main") for n in heads}, heads, "a dry run writes nothing")

    def test_samples_all_dry_run_json(self):
        result, data = self.plan("--config", self.config, "--all", cwd=self.tmp)
        self.assertExit(result, 0)
        self.assertEqual(data["status"], "ok")
        actions = {c["action"] for c in data["changes"]}
        self.assertEqual(actions, {"create", "update"})
        self.assertTrue(data["warnings"])
        # users-to-salesforce: Email -> EmailAddress in the update.
        sync = self.change(data, "prod:syncs/users-to-salesforce")
        self.assertIn({"op": "replace", "path": "/config/mappings/0/to", "before": "Email", "after": "EmailAddress"},
                      sync["diff"])
        self.assertEqual(sync["mode"], "draft", "prod requires approval for syncs")

    def test_samples_viewer_is_refused(self):
        result = self.ferry("--config", self.config, "reconcile", "--from", "dev", "--to", "prod", "--dry-run",
                            "--actor", "dave@acme.com", cwd=self.tmp)
        self.assertExit(result, 1)
        self.assertTextDiag(result, "permission-denied")

    def test_samples_other_formats(self):
        for fmt in ("markdown", "github"):
            with self.subTest(format=fmt):
                result = self.ferry("--config", self.config, "reconcile", "--from", "dev", "--to", "prod", "--all",
                                    "--dry-run", "--format", fmt, cwd=self.tmp)
                self.assertExit(result, 0)
                self.assertIn("to create", result.stdout)


if __name__ == "__main__":
    unittest.main()
