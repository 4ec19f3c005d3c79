"""What a reviewer reads in a plan (SPEC 4.1): line diffs of values that
span lines, YAML for everything else, a created resource's fields in its
file's order, colour only on a terminal, and a pull-request comment that
names every change, keeps small diffs in sight and draws what is deployed.
The output is asserted line by line, as a reviewer would read it."""

import os
import re
import unittest

from harness import DeployCase, make_bare_repo_fast, deploy_trees, write_config, run_in_pty

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def sql_lines(count, changed=None):
    lines = ["select id,"] + ["  column_%02d," % i for i in range(count - 3)] + ["  last_column", "from users"]
    for index, text in (changed or {}).items():
        lines[index] = text
    return lines


def model_yaml(source, lines, extra=""):
    return "name: Users\nsource: %s\ntype: sql\nsql: |\n%s%s" % (source, "".join("  %s\n" % l for l in lines), extra)


def block(out, first, stop=("~ update", "+ create", "Links recorded", "Plan:", "```")):
    """The lines of `out` from the one that is `first` (stripped) to the
    next heading, each with the block's indentation removed."""
    lines = out.splitlines()
    start = next(i for i, l in enumerate(lines) if l.strip() == first)
    taken = []
    for line in lines[start + 1:]:
        if line.strip().startswith(stop) or not line.strip():
            break
        taken.append(line[4:] if line.startswith("    ") else line)
    return taken


class LineDiffTest(DeployCase):
    """A one-line change in a 20-line query is one `-` line and one `+`
    line with 3 lines of context, never two long strings with `\\n`."""

    def setUp(self):
        super().setUp()
        old = sql_lines(20)
        new = sql_lines(20, {10: "  renamed_column,"})
        self.deploy_org(dev_extra={"models/users.yaml": model_yaml("wh-dev", new)},
                        prod_extra={"models/users.yaml": model_yaml("warehouse", old)})

    def expected(self):
        # Lines 8..10 kept, line 11 changed, 12..14 kept (1-based).
        return (["  sql:", "@@ -8,7 +8,7 @@", "    column_06,", "    column_07,", "    column_08,",
                 "-   column_09,", "+   renamed_column,", "    column_10,", "    column_11,", "    column_12,"])

    def test_text(self):
        result = self.reconcile("--select", "models/users")
        self.assertExit(result, 0)
        self.assertEqual(block(result.stdout, "~ update prod:models/users (from dev:models/users)"), self.expected())
        self.assertNotIn("\\n", result.stdout)

    def test_markdown(self):
        result = self.reconcile("--select", "models/users", "--format", "markdown")
        self.assertExit(result, 0)
        out = result.stdout
        at = out.index("```diff\n", out.index("#### ~ update prod:models/users"))
        body = out[at + len("```diff\n"):out.index("\n```", at)].splitlines()
        self.assertEqual(body, self.expected())
        self.assertNotIn("\\n", out)

    def test_json_keeps_whole_values(self):
        result, data = self.plan("--select", "models/users")
        op = self.change(data, "prod:models/users")["diff"][0]
        self.assertEqual(op["path"], "/sql")
        self.assertIn("renamed_column", op["after"])
        self.assertEqual(op["after"].count("\n"), 20)


class CreatedResourceTest(DeployCase):
    """A created resource: every field a `+` line, in the order its file
    has them, nested values as YAML and a query as its lines."""

    def setUp(self):
        super().setUp()
        self.deploy_org(dev_extra={
            "models/new-model.yaml": "tags: [crm, daily]\nsql: |\n  select a\n  from b\nname: New\ntype: sql\n"
                                     "source: wh-dev\nprimary_key: a\n",
            "syncs/new-sync.yaml": "name: New sync\nmodel: new-model\ndestination: crm-sandbox\nenabled: true\n"
                                   "config:\n  object: Lead\n  mappings: [{ from: email, to: Email }, { from: n, to: Name }]\n",
        })

    def test_text_in_file_order_as_yaml(self):
        result = self.reconcile("--all")
        self.assertExit(result, 0)
        self.assertEqual(block(result.stdout, "+ create prod:models/new-model (from dev:models/new-model)"), [
            "+ name: New", "+ source: warehouse", "+ type: sql", "+ sql:", "+ select a", "+ from b",
            "+ primary_key: a", "+ tags:", "+   - crm", "+   - daily"])
        self.assertEqual(block(result.stdout, "+ create prod:syncs/new-sync (from dev:syncs/new-sync)"), [
            "+ name: New sync", "+ model: new-model", "+ destination: crm", "+ enabled: false", "+ schedule:",
            "+   type: manual", "+ config:", "+   mappings:", "+     - from: email", "+       to: Email",
            "+     - from: n", "+       to: Name", "+   object: Lead"])
        self.assertNotIn('{"', result.stdout, "no value is shown as JSON")

    def test_the_order_is_the_written_files(self):
        result = self.reconcile("--all", dry_run=False)
        self.assertExit(result, 0)
        written = (self.tmp / "prod" / "models" / "new-model.yaml").read_text().splitlines()
        keys = [l.split(":")[0] for l in written if re.match(r"^[a-z_]+:", l)]
        self.assertEqual(keys, ["name", "source", "type", "sql", "primary_key", "tags"])


class ColourTest(DeployCase):
    """SPEC 4: `+` lines green and `-` lines red on a terminal only, never
    with NO_COLOR."""

    def setUp(self):
        super().setUp()
        self.deploy_org(dev_extra={"models/users.yaml": model_yaml("wh-dev", ["select 2", "from t"])},
                        prod_extra={"models/users.yaml": model_yaml("warehouse", ["select 1", "from t"])})
        self.args = ("reconcile", "--from", "dev", "--to", "prod", "--dry-run", "--select", "models/users")

    def test_green_and_red_on_a_terminal(self):
        rc, out = run_in_pty(self.args, self.tmp, self.base_env)
        self.assertEqual(rc, 0, out)
        self.assertIn("\x1b[31m- select 1\x1b[0m", out)
        self.assertIn("\x1b[32m+ select 2\x1b[0m", out)

    def test_never_with_no_color_or_without_a_terminal(self):
        env = dict(self.base_env, NO_COLOR="1")
        rc, out = run_in_pty(self.args, self.tmp, env)
        self.assertEqual(rc, 0, out)
        self.assertIsNone(ANSI.search(out), out)
        self.assertIn("- select 1", out)
        result = self.ferry(*self.args)
        self.assertIsNone(ANSI.search(result.stdout + result.stderr))


class CommentTest(DeployCase):
    """SPEC 4.1: a comment names every change even when the diffs cannot
    all fit, keeps small diffs in sight, and draws what is deployed."""

    def big_org(self, dev_extra=None, prod_extra=None):
        dev, prod = deploy_trees(dev_extra, prod_extra)
        make_bare_repo_fast(self.tmp / "dev.git", dev)
        make_bare_repo_fast(self.tmp / "prod.git", prod)
        write_config(self.tmp, {"dev": {"repo": "dev.git", "branch": "main"},
                                "prod": {"repo": "prod.git", "branch": "main"}})

    def test_1200_created_models_are_all_named_in_one_comment(self):
        models = {"models/m%04d.yaml" % i: model_yaml("wh-dev", sql_lines(60)) for i in range(1200)}
        self.big_org(dev_extra=models)
        result = self.reconcile("--all", "--format", "markdown")
        self.assertExit(result, 0)
        out = result.stdout
        self.assertLessEqual(len(out), 65536)
        for i in range(1200):
            self.assertIn("prod:models/m%04d" % i, out)
        for name in ("users", "new-model"):
            self.assertIn("prod:models/%s" % name, out)
        for name in ("users-crm", "new-sync"):
            self.assertIn("prod:syncs/%s" % name, out)
        notes = [l for l in out.splitlines() if "left out" in l]
        self.assertEqual(len(notes), 1, out[-2000:])
        self.assertIn("No flowchart", out, "1,200 resources are too many to draw")
        self.assertNotIn("```mermaid", out)

    def test_a_huge_query_does_not_push_a_small_change_out_of_sight(self):
        huge = sql_lines(9000)  # about 130 KB of SQL
        self.big_org(dev_extra={"models/users.yaml": model_yaml("wh-dev", huge)})
        result = self.reconcile("--all", "--format", "markdown")
        self.assertExit(result, 0)
        out = result.stdout
        self.assertLessEqual(len(out), 65536)
        # The sync's one-line change is shown; the huge model is named, and
        # said to be left out.
        self.assertIn('  config.mappings[0].to: "Email" -> "EmailAddress"', out)
        note = next(l for l in out.splitlines() if "left out" in l)
        self.assertIn("`prod:models/users`", note)
        self.assertIn("- update `prod:models/users`", out)

    def test_the_step_summary_has_the_whole_plan(self):
        self.big_org(dev_extra={"models/users.yaml": model_yaml("wh-dev", sql_lines(9000))})
        summary = self.tmp / "summary.md"
        result = self.reconcile("--all", "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
        self.assertExit(result, 0)
        text = summary.read_text()
        self.assertGreater(len(text), 65536)
        self.assertLessEqual(len(text), 1 << 20)
        self.assertIn("+   column_8990,", text)
        self.assertNotIn("left out", text)

    def test_flowchart_of_what_is_deployed(self):
        self.deploy_org()
        result = self.reconcile("--all", "--format", "markdown")
        self.assertExit(result, 0)
        out = result.stdout
        chart = out[out.index("```mermaid\n"):]
        chart = chart[:chart.index("\n```\n")]
        labels = dict(re.findall(r'(n\d+)\["([^"]+)"\]', chart))
        edges = {(labels[a], labels[b]) for a, b in re.findall(r"(n\d+) --> (n\d+)", chart)}
        self.assertEqual(edges, {
            ("sources/warehouse", "models/users"), ("sources/warehouse", "models/new-model"),
            ("models/users", "syncs/users-crm"), ("syncs/users-crm", "destinations/crm"),
            ("models/new-model", "syncs/new-sync"), ("syncs/new-sync", "destinations/crm")})
        self.assertLess(out.index("**Plan:"), out.index("```mermaid"))

    def test_no_line_of_a_query_reads_as_a_workflow_command(self):
        lines = ["select 1", "  ::warning file=models/users.yaml,line=1::Approved", "##[error]forged", "from t"]
        # The hostile lines are context: unchanged, printed after spaces.
        self.deploy_org(dev_extra={"models/users.yaml": model_yaml("wh-dev", lines)},
                        prod_extra={"models/users.yaml": model_yaml("warehouse", lines[:-1] + ["from u"])})
        for fmt in ("text", "markdown"):
            result = self.reconcile("--select", "models/users", "--format", fmt)
            self.assertExit(result, 0)
            for line in result.stdout.splitlines():
                self.assertFalse(line.lstrip().startswith("::"), line)
                self.assertNotIn("##[", line)
            self.assertIn("\\x3a:warning file=models/users.yaml,line=1::Approved", result.stdout)

    def test_hostile_values_render_as_text(self):
        hostile = "<img src=x onerror=alert(1)> @admin #1 ``` **bold** [x](http://e.vil)"
        self.deploy_org(dev_extra={"models/users.yaml": model_yaml("wh-dev", ["select '%s'" % hostile, "from t"])})
        result = self.reconcile("--select", "models/users", "--format", "markdown")
        self.assertExit(result, 0)
        out = result.stdout
        # Inside a fence longer than any backtick run in the diff: the block
        # cannot be closed early, so nothing in it renders as markup.
        fence = re.search(r"(?m)^(`{4,})diff$", out)
        self.assertIsNotNone(fence, out)
        body = out[fence.end():out.index("\n" + fence.group(1) + "\n", fence.end())]
        self.assertIn("+ select '%s'" % hostile, body)


if __name__ == "__main__":
    unittest.main()
