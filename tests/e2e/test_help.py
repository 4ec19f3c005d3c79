"""Help that teaches: examples in `ferry --help` and every command's help,
and a mistyped command answered with the one meant."""

import re
import unittest

from harness import FerryTestCase

COMMANDS = ("init", "validate", "links", "link", "unlink", "reconcile", "apply", "publish", "history", "status")


def listed_commands(help_text):
    """The command names of CLI11's SUBCOMMANDS section."""
    section = help_text.split("Subcommands:", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^  ([a-z]+)\s", section, re.M)


class HelpTest(FerryTestCase):
    def test_top_level_help_lists_commands_and_examples(self):
        result = self.ferry("--help")
        self.assertExit(result, 0)
        self.assertEqual(sorted(listed_commands(result.stdout)), sorted(COMMANDS))
        self.assertIn("Examples:", result.stdout)
        self.assertIn("ferry reconcile --from dev --to prod --dry-run", result.stdout)
        self.assertIn("ferry init", result.stdout)
        self.assertIn("64 usage error", result.stdout)

    def test_each_command_shows_examples(self):
        for name in COMMANDS:
            with self.subTest(command=name):
                result = self.ferry(name, "--help")
                self.assertExit(result, 0)
                self.assertRegex(result.stdout, r"\nExamples?:\n(  .*\n)*  (cd \S+ && )?ferry %s " % name)

    def test_a_mistyped_command_suggests_the_one_meant(self):
        result = self.ferry("valdate")
        self.assertExit(result, 64)
        self.assertIn("did you mean 'ferry validate'?", result.stderr)
        result = self.ferry("--format", "json", "reconcil", "--from", "dev")
        self.assertExit(result, 64)
        self.assertIn("did you mean 'ferry reconcile'?", result.stderr)
        result = self.ferry("xyzzy")
        self.assertExit(result, 64)
        self.assertIn("unknown command 'xyzzy'", result.stderr)
        self.assertIn("ferry --help", result.stderr)

    def test_no_command(self):
        result = self.ferry()
        self.assertExit(result, 64)
        self.assertIn("ferry --help", result.stderr)

    def test_a_command_missing_an_option_is_not_an_unknown_command(self):
        result = self.ferry("reconcile", "--from", "dev")
        self.assertExit(result, 64)
        self.assertIn("--to", result.stderr)
        self.assertNotIn("unknown command", result.stderr)


if __name__ == "__main__":
    unittest.main()
