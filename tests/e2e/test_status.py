"""`ferry status [WORKSPACE...] [--against OTHER]` (SPEC 4): each
workspace's resources by kind, its pending drafts and its links; against
another workspace, each linked model and sync `in-sync` or `differs` (as a
default deployment would decide), what is only here, and stale links;
--detailed-exitcode for the nightly drift check."""

import json
import unittest

from harness import STALE_LINKS_YAML, DeployCase, commit, dedent, head

IN_SYNC_PROD = {
    # prod's model and sync as a deployment from dev would leave them: only
    # what prod owns (enabled, alerts, schedule) differs.
    "models/users.yaml": "name: Users\nsource: warehouse\ntype: sql\nsql: select 2\n",
    "syncs/users-crm.yaml": dedent(
        """
        name: Users to CRM
        model: users
        destination: crm
        enabled: false
        alerts: [oncall]
        schedule: { type: cron, expression: "0 6 * * *" }
        config:
          object: Contact
          mappings: [{ from: email, to: EmailAddress }]
        """
    ),
}
NOTHING_NEW = {"models/new-model.yaml": None, "syncs/new-sync.yaml": None}
DRAFT = dedent(
    """
    draft: { author: carol@acme.com, created: 2026-11-20T10:00:00Z, approval: requested }
    name: Users
    source: wh-dev
    type: sql
    sql: select 3
    """
)


class StatusCase(DeployCase):
    def status(self, *args, code=0):
        result, data = self.ferry_json("status", *args)
        self.assertExit(result, code)
        return result, data

    def states(self, data):
        return {(p["a"], p["b"]): p["state"] for p in data["pairs"]}


class AgainstTest(StatusCase):
    def test_json_shape_exact(self):
        self.deploy_org(
            dev_extra={"drafts/models/users.yaml": DRAFT},
            prod_extra={"models/users.yaml": IN_SYNC_PROD["models/users.yaml"]},
        )
        result, data = self.status("dev", "--against", "prod")
        self.assertEqual(
            data,
            {
                "workspaces": [
                    {
                        "workspace": "dev",
                        "commit": head(self.tmp / "dev"),
                        "counts": {"sources": 1, "destinations": 1, "models": 2, "syncs": 2, "audiences": 0},
                        "drafts": [{"address": "dev:models/users", "author": "carol@acme.com", "approval": "requested"}],
                        "links": {"prod": 4},
                    }
                ],
                "pairs": [
                    {"a": "dev:models/users", "b": "prod:models/users", "state": "in-sync"},
                    {"a": "dev:syncs/users-crm", "b": "prod:syncs/users-crm", "state": "differs"},
                ],
                "only_here": ["dev:models/new-model", "dev:syncs/new-sync"],
                "errors": [],
                "warnings": [],
            },
            result.describe(),
        )

    def test_text_is_a_table(self):
        self.deploy_org(
            dev_extra={"drafts/models/users.yaml": DRAFT},
            prod_extra={"models/users.yaml": IN_SYNC_PROD["models/users.yaml"]},
        )
        result = self.ferry("status", "dev", "--against", "prod")
        self.assertExit(result, 0)
        self.assertEqual(result.stderr, "")
        lines = result.stdout.splitlines()
        self.assertEqual(lines[0], "dev @ main (%s)" % head(self.tmp / "dev")[:12])
        self.assertEqual(lines[1], "  resources  1 source, 1 destination, 2 models, 2 syncs, 0 audiences")
        self.assertEqual(lines[2], "  drafts     dev:models/users by carol@acme.com, approval requested")
        self.assertEqual(lines[3], "  links      prod 4")
        self.assertEqual(lines[4], "")
        self.assertEqual(lines[5], "dev against prod @ main (%s)" % head(self.tmp / "prod")[:12])
        table = [line.split() for line in lines[6:-1]]
        self.assertEqual(
            table,
            [
                ["STATE", "A", "B"],
                ["in-sync", "dev:models/users", "prod:models/users"],
                ["differs", "dev:syncs/users-crm", "prod:syncs/users-crm"],
                ["only-here", "dev:models/new-model"],
                ["only-here", "dev:syncs/new-sync"],
            ],
        )
        self.assertEqual(lines[-1], "dev against prod: 1 in sync, 1 differs, 2 only here.")

    def test_what_prod_owns_is_not_drift(self):
        # enabled, alerts and the schedule are prod's own: a deployment keeps them.
        self.deploy_org(dev_extra=NOTHING_NEW, prod_extra=IN_SYNC_PROD)
        _, data = self.status("dev", "--against", "prod", "--detailed-exitcode")
        self.assertEqual(set(self.states(data).values()), {"in-sync"})
        self.assertEqual(data["only_here"], [])
        # ... and reconcile agrees: nothing to deploy.
        _, plan = self.plan()
        self.assertEqual(plan["status"], "no-changes")

    def test_states_agree_with_the_plan(self):
        self.deploy_org(dev_extra=NOTHING_NEW)
        _, data = self.status("dev", "--against", "prod")
        _, plan = self.plan()
        planned = {c["origin"] for c in plan["changes"]}
        for (a, _), state in self.states(data).items():
            self.assertEqual(state == "differs", a in planned, a)

    def test_detailed_exitcode(self):
        self.deploy_org(dev_extra=NOTHING_NEW, prod_extra=IN_SYNC_PROD)
        self.status("dev", "--against", "prod", "--detailed-exitcode", code=0)
        # A change in dev, committed: differs.
        commit(self.tmp / "dev", {"models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 4\n"})
        _, data = self.status("dev", "--against", "prod", "--detailed-exitcode", code=2)
        self.assertEqual(self.states(data)[("dev:models/users", "prod:models/users")], "differs")
        self.status("dev", "--against", "prod", code=0)
        # Back in step, and a new model: only here.
        commit(
            self.tmp / "dev",
            {
                "models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 2\n",
                "models/fresh.yaml": "name: Fresh\nsource: wh-dev\ntype: sql\nsql: select 5\n",
            },
        )
        _, data = self.status("dev", "--against", "prod", "--detailed-exitcode", code=2)
        self.assertEqual(set(self.states(data).values()), {"in-sync"})
        self.assertEqual(data["only_here"], ["dev:models/fresh"])

    def test_stale_link(self):
        links = STALE_LINKS_YAML
        self.deploy_org(
            dev_extra=dict(NOTHING_NEW, **{"links.yaml": links}),
            prod_extra=dict(IN_SYNC_PROD, **{"models/gone.yaml": "name: Gone\nsource: warehouse\ntype: sql\nsql: x\n"}),
        )
        result, data = self.status("dev", "--against", "prod", "--detailed-exitcode", code=2)
        stale = self.find_json(data, "stale-link", "warnings")
        self.assertEqual(len(stale), 1, result.describe())
        self.assertIn("dev:models/gone", stale[0]["message"])
        self.assertEqual(stale[0]["file"], "links.yaml")
        self.assertEqual(stale[0]["line"], 7)
        self.assertEqual(set(self.states(data).values()), {"in-sync"})
        self.assertEqual(data["workspaces"][0]["links"], {"prod": 4})
        text = self.ferry("status", "dev", "--against", "prod")
        self.assertTextDiag(text, "stale-link", severity="warning")
        self.assertIn("1 stale link.", text.stdout)

    def test_against_at_a_ref(self):
        self.deploy_org(dev_extra=NOTHING_NEW, prod_extra=IN_SYNC_PROD)
        old = head(self.tmp / "prod")
        commit(self.tmp / "prod", {"models/users.yaml": "name: Users\nsource: warehouse\ntype: sql\nsql: select 9\n"})
        _, data = self.status("dev", "--against", "prod", "--detailed-exitcode", code=2)
        _, data = self.status("dev", "--against", "prod@" + old, "--detailed-exitcode", code=0)
        _, data = self.status("dev@main", "--against", "prod@" + old, "--detailed-exitcode", code=0)


class InventoryTest(StatusCase):
    def test_every_workspace_by_default(self):
        self.deploy_org()
        _, data = self.status()
        self.assertEqual([w["workspace"] for w in data["workspaces"]], ["dev", "prod"])
        self.assertEqual(data["workspaces"][0]["links"], {"prod": 4})
        self.assertEqual(data["workspaces"][1]["links"], {"dev": 4})
        self.assertEqual(data["workspaces"][1]["commit"], head(self.tmp / "prod"))
        self.assertEqual(data["workspaces"][1]["drafts"], [])
        self.assertEqual(data["pairs"], [])
        self.assertEqual(data["only_here"], [])
        text = self.ferry("status")
        self.assertExit(text, 0)
        self.assertIn("  drafts     none pending", text.stdout)
        self.assertEqual(text.stdout.splitlines()[-1], "2 workspaces, 0 drafts pending.")

    def test_every_other_workspace_against_one(self):
        self.deploy_org()
        _, data = self.status("--against", "prod")
        self.assertEqual([w["workspace"] for w in data["workspaces"]], ["dev", "prod"])
        self.assertEqual({a for a, _ in self.states(data)}, {"dev:models/users", "dev:syncs/users-crm"})

    def test_draft_with_no_approval_asked(self):
        draft = DRAFT.replace("approval: requested", "approval: none").replace("carol", "dan")
        self.deploy_org(dev_extra={"drafts/syncs/idea.yaml": draft.replace("source: wh-dev\ntype: sql\nsql: select 3\n",
                                                                            "model: users\ndestination: crm-sandbox\n")})
        _, data = self.status("dev")
        self.assertEqual(data["workspaces"][0]["drafts"],
                         [{"address": "dev:syncs/idea", "author": "dan@acme.com", "approval": "none"}])

    def test_formats(self):
        self.deploy_org()
        for fmt in ("markdown", "github"):
            with self.subTest(format=fmt):
                result = self.ferry("--format", fmt, "status", "dev", "--against", "prod", "--detailed-exitcode")
                self.assertExit(result, 2)
        md = self.ferry("--format", "markdown", "status", "dev", "--against", "prod")
        self.assertIn("dev against prod: 0 in sync, 2 differ, 2 only here.", md.stdout)


class RefusalTest(StatusCase):
    def test_unknown_workspace(self):
        self.deploy_org()
        for args in (["dve"], ["dev", "--against", "prdo"]):
            with self.subTest(args=args):
                result, data = self.status(*args, code=1)
                errors = self.find_json(data, "unknown-workspace")
                self.assertEqual(len(errors), 1, result.describe())
                self.assertIn("did you mean", errors[0]["hint"])
                self.assertEqual(data["workspaces"], [])
        text = self.ferry("status", "dve")
        self.assertExit(text, 1)
        self.assertTextDiag(text, "unknown-workspace")

    def test_a_ref_that_does_not_resolve(self):
        self.deploy_org()
        result, data = self.status("dev", "--against", "prod@no-such-ref", "--detailed-exitcode", code=1)
        self.assertTrue(self.find_json(data, "git"), result.describe())
        self.assertEqual(data["pairs"], [])

    def test_against_itself_compares_nothing(self):
        self.deploy_org()
        result, data = self.status("dev", "--against", "dev", "--detailed-exitcode")
        self.assertEqual([w["workspace"] for w in data["workspaces"]], ["dev"])
        self.assertEqual((data["pairs"], data["only_here"]), ([], []))
        self.assertEqual(self.ferry("status", "dev", "--against", "dev").stdout.splitlines()[-1],
                         "1 workspace, 0 drafts pending.")

    def test_usage_errors(self):
        self.deploy_org()
        for args in (["dev@"], ["@main"], ["dev", "--against"], ["dev", "--against", "prod@"], ["--bogus"],
                     ["dev@main", "dev@other"]):
            with self.subTest(args=args):
                self.assertExit(self.ferry("status", *args), 64)

    def test_hostile_text_is_escaped(self):
        author = "mallory\x1b]0;pwned\x07\x1b[2J@acme.com\nerror[fake]: injected"
        draft = "draft: %s\nname: Users\nsource: wh-dev\ntype: sql\nsql: select 3\n" % json.dumps(
            {"author": author, "approval": "requested"})
        self.deploy_org(dev_extra={"drafts/models/users.yaml": draft})
        _, data = self.status("dev")
        self.assertEqual(data["workspaces"][0]["drafts"][0]["author"], author)
        for fmt in ("text", "markdown", "github"):
            with self.subTest(format=fmt):
                result = self.ferry("--format", fmt, "status", "dev", "--against", "prod")
                self.assertExit(result, 0)
                self.assertNotIn("\x1b", result.stdout + result.stderr)
                self.assertNotIn("\x07", result.stdout + result.stderr)
                self.assertFalse([line for line in result.stdout.splitlines() if line.startswith("error[fake]")])
        text = self.ferry("status", "dev")
        self.assertIn(r"by mallory\x1b]0;pwned\x07\x1b[2J@acme.com\nerror[fake]: injected, approval requested",
                      text.stdout)


if __name__ == "__main__":
    unittest.main()
