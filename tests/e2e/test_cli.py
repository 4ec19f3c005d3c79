"""The command line (SPEC 4, 5): usage errors, help, global options, colour,
and the github annotation format."""

import json
import re
import subprocess
import unittest

from harness import (
    run_in_pty,
    ANSI_ESCAPE,
    FERRY_BIN,
    FerryTestCase,
    ferry_env,
    parse_text_diagnostics,
    valid_tree,
    workspace_yaml,
)

ORPHAN = "name: Orphan\nsource: nosuch\ntype: sql\nsql: select 1\n"
ANNOTATION = re.compile(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$")


def parse_annotations(stdout):
    """[(kind, {property: value}, message)] for each workflow command line."""
    out = []
    for line in stdout.splitlines():
        m = ANNOTATION.match(line)
        if not m:
            continue
        props = {}
        for part in (m.group(2) or "").split(","):
            if "=" in part:
                k, v = part.split("=", 1)
                props[k.strip()] = v.replace("%2C", ",").replace("%3A", ":").replace("%25", "%")
        out.append((m.group(1), props, m.group(3)))
    return out


class UsageTest(FerryTestCase):
    def setUp(self):
        super().setUp()
        self.single()

    def test_unknown_command(self):
        result = self.ferry("frobnicate")
        self.assertExit(result, 64)
        self.assertTrue(result.stderr.strip(), result.describe())

    def test_no_command_is_a_usage_error(self):
        result = self.ferry()
        self.assertExit(result, 64)

    def test_bad_option(self):
        for args in (("validate", "--bogus"), ("--bogus", "validate"), ("validate", "-Z")):
            with self.subTest(args=args):
                self.assertExit(self.ferry(*args), 64)

    def test_option_missing_its_value(self):
        self.assertExit(self.ferry("validate", "--format"), 64)
        self.assertExit(self.ferry("validate", "--config"), 64)

    def test_format_xml(self):
        self.assertExit(self.ferry("validate", "--format", "xml"), 64)
        self.assertExit(self.ferry("--format", "xml", "validate"), 64)

    def test_usage_error_explained_on_stderr(self):
        # A usage error is reported on stderr, whatever the format asked.
        result = self.ferry("validate", "--bogus", "--format", "json")
        self.assertExit(result, 64)
        self.assertTrue(result.stderr.strip(), result.describe())

    def test_help(self):
        result = self.ferry("--help")
        self.assertExit(result, 0)
        self.assertIn("validate", result.stdout, result.describe())
        short = self.ferry("-h")
        self.assertExit(short, 0)
        self.assertIn("validate", short.stdout)

    def test_help_outside_any_organization(self):
        # Help needs no ferry.yaml.
        empty = self.tmp / "empty"
        empty.mkdir()
        result = self.ferry("--help", cwd=empty)
        self.assertExit(result, 0)
        result = self.ferry("validate", "--help", cwd=empty)
        self.assertExit(result, 0)

    def test_validate_help(self):
        result = self.ferry("validate", "--help")
        self.assertExit(result, 0)
        self.assertIn("validate", result.stdout, result.describe())


class GlobalOptionsTest(FerryTestCase):
    def test_format_after_subcommand(self):
        self.single()
        result = self.ferry("validate", "--format", "json")
        self.assertExit(result, 0)
        data = json.loads(result.stdout)
        self.assertEqual(data["errors"], [])
        before = self.ferry("--format", "json", "validate")
        self.assertExit(before, 0)
        self.assertEqual(json.loads(before.stdout), data)

    def test_format_equals_form(self):
        self.single()
        result = self.ferry("validate", "--format=json")
        self.assertExit(result, 0)
        json.loads(result.stdout)

    def test_global_options_after_subcommand(self):
        self.single()
        config = self.tmp / "ferry.yaml"
        elsewhere = self.tmp / "elsewhere"
        elsewhere.mkdir()
        for args in (
            ("validate", "--config", str(config)),
            ("validate", "-q", "--config", str(config)),
            ("validate", "--quiet", "--config", str(config)),
            ("validate", "-v", "--config", str(config)),
            ("validate", "--verbose", "--config", str(config)),
            ("validate", "--actor", "alice@acme.com", "--config", str(config)),
            ("validate", "dev", "--config", str(config), "--format", "json"),
        ):
            with self.subTest(args=args):
                result = self.ferry(*args, cwd=elsewhere)
                self.assertExit(result, 0)

    def test_verbose_never_changes_stdout(self):
        self.single({"models/orphan.yaml": ORPHAN})
        plain = self.ferry("validate", "--format", "json")
        verbose = self.ferry("validate", "--format", "json", "-v")
        self.assertExit(plain, 1)
        self.assertExit(verbose, 1)
        self.assertEqual(plain.stdout, verbose.stdout, verbose.describe())
        text_plain = self.ferry("validate")
        text_verbose = self.ferry("validate", "--verbose")
        self.assertEqual(text_plain.stdout, text_verbose.stdout, text_verbose.describe())

    def test_text_diagnostics_on_stderr(self):
        self.single({"models/orphan.yaml": ORPHAN})
        result = self.ferry("validate")
        self.assertExit(result, 1)
        diags = parse_text_diagnostics(result.stderr)
        self.assertTrue(any(d["code"] == "dangling-reference" and d["severity"] == "error" for d in diags),
                        result.describe())
        self.assertRegex(result.stderr, r"(?m)^error\[dangling-reference\]: \S")
        self.assertRegex(result.stderr, r"(?m)^\s*--> \S*models/orphan\.yaml:2:\d+\s*$")
        self.assertNotIn("error[", result.stdout)

    def test_markdown_format(self):
        self.single({"models/orphan.yaml": ORPHAN})
        result = self.ferry("validate", "--format", "markdown")
        self.assertExit(result, 1)
        self.assertIn("dangling-reference", result.stdout, result.describe())
        self.assertLessEqual(len(result.stdout), 65536)


class ColourTest(FerryTestCase):
    def setUp(self):
        super().setUp()
        self.single(
            {
                "models/orphan.yaml": ORPHAN,
                "workspace.yaml": workspace_yaml(members={"alice@acme.com": "admin", "*": "editor"}),
            }
        )

    def test_no_ansi_when_not_a_terminal(self):
        for fmt in ("text", "json", "markdown", "github"):
            with self.subTest(format=fmt):
                result = self.ferry("validate", "--format", fmt)
                self.assertExit(result, 1)
                self.assertNotRegex(result.stdout, ANSI_ESCAPE, result.describe())
                self.assertNotRegex(result.stderr, ANSI_ESCAPE, result.describe())

    def test_no_ansi_with_no_color_even_on_a_terminal(self):
        env = ferry_env({"NO_COLOR": "1", "TERM": "xterm-256color"})
        rc, output = run_in_pty(["validate"], self.tmp, env)
        self.assertEqual(rc, 1, output)
        self.assertIn("dangling-reference", output)
        self.assertNotRegex(output, ANSI_ESCAPE, repr(output))

    def test_no_ansi_with_no_color_and_plain_text_pipe(self):
        result = self.ferry("validate", env={"NO_COLOR": "1"})
        self.assertExit(result, 1)
        self.assertNotRegex(result.stdout + result.stderr, ANSI_ESCAPE)


class GithubFormatTest(FerryTestCase):
    def bad_tree(self, errors, warnings):
        extra = {}
        for i in range(1, errors + 1):
            # yaml-syntax at line 4, column 6 of each file.
            extra["models/bad%02d.yaml" % i] = "name: Bad\nsource: warehouse\ntype: sql\nsql: @x%d\n" % i
        if warnings:
            # Links to resources of prod that do not exist: each one stale.
            lines = ["sources:"] + ["  s%02d: { prod: g%02d }" % (i, i) for i in range(1, warnings + 1)]
            extra["links.yaml"] = "\n".join(lines) + "\n"
        self.make_org({"dev": valid_tree(extra=extra), "prod": valid_tree()})

    def test_annotations_with_file_and_line(self):
        self.bad_tree(1, 0)
        result = self.ferry("validate", "--format", "github")
        self.assertExit(result, 1)
        annotations = parse_annotations(result.stdout)
        errors = [a for a in annotations if a[0] == "error"]
        self.assertEqual(len(errors), 1, result.describe())
        kind, props, message = errors[0]
        self.assertTrue(props.get("file", "").endswith("models/bad01.yaml"), result.describe())
        self.assertEqual(props.get("line"), "4", result.describe())
        self.assertIn("yaml-syntax", message + props.get("title", ""), result.describe())
        self.assertNotRegex(result.stdout, ANSI_ESCAPE)

    def test_warning_annotation(self):
        self.single({"workspace.yaml": workspace_yaml(members={"alice@acme.com": "admin", "*": "editor"})})
        result = self.ferry("validate", "--format", "github")
        self.assertExit(result, 0)
        annotations = parse_annotations(result.stdout)
        self.assertEqual([a[0] for a in annotations], ["warning"], result.describe())
        kind, props, message = annotations[0]
        self.assertTrue(props.get("file", "").endswith("workspace.yaml"), result.describe())
        self.assertEqual(props.get("line"), "5", result.describe())
        self.assertIn("broad-grant", message + props.get("title", ""))

    def test_at_most_ten_of_each_kind_errors_first(self):
        self.bad_tree(12, 12)
        result = self.ferry("validate", "--format", "github")
        self.assertExit(result, 1)
        annotations = parse_annotations(result.stdout)
        kinds = [a[0] for a in annotations]
        self.assertEqual(kinds.count("error"), 10, result.describe())
        self.assertEqual(kinds.count("warning"), 10, result.describe())
        # Errors before warnings.
        self.assertEqual(kinds, ["error"] * 10 + ["warning"] * 10, result.describe())
        # The 10th of each kind says how many more there are (2).
        tenth_error = annotations[9][2]
        tenth_warning = annotations[19][2]
        for tenth in (tenth_error, tenth_warning):
            self.assertRegex(tenth, r"\b2\b", result.describe())
            self.assertIn("more", tenth.lower(), result.describe())
        for kind, props, message in annotations[:9]:
            self.assertNotIn("more", message.lower().replace("more than", ""), result.describe())
        for kind, props, message in annotations[:10]:
            self.assertRegex(props.get("file", ""), r"models/bad\d\d\.yaml$", result.describe())
            self.assertEqual(props.get("line"), "4", result.describe())

    def test_exactly_ten_needs_no_note(self):
        self.bad_tree(10, 0)
        result = self.ferry("validate", "--format", "github")
        self.assertExit(result, 1)
        annotations = parse_annotations(result.stdout)
        self.assertEqual(len(annotations), 10, result.describe())
        self.assertNotIn(" more", annotations[9][2], result.describe())

    def test_eleven_errors_tenth_says_one_more(self):
        self.bad_tree(11, 0)
        result = self.ferry("validate", "--format", "github")
        self.assertExit(result, 1)
        annotations = parse_annotations(result.stdout)
        self.assertEqual(len(annotations), 10, result.describe())
        self.assertRegex(annotations[9][2], r"\b1\b.*more|more.*\b1\b", result.describe())


if __name__ == "__main__":
    unittest.main()
