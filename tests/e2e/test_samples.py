"""The sample organization (samples/make-repos.sh) validates cleanly."""

import subprocess
import unittest

from harness import SOURCE_DIR, FerryTestCase, ferry_env, parse_text_diagnostics, workspace_names


class SamplesTest(FerryTestCase):
    def setUp(self):
        super().setUp()
        self.org = self.tmp / "acme"
        script = SOURCE_DIR / "samples" / "make-repos.sh"
        self.assertTrue(script.is_file(), "missing %s" % script)
        proc = subprocess.run(
            ["bash", str(script), str(self.org)],
            env=ferry_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
        self.assertEqual(proc.returncode, 0, "make-repos.sh failed:\n%s%s" % (proc.stdout, proc.stderr))
        self.assertTrue((self.org / "ferry.yaml").is_file())

    def test_samples_validate(self):
        result = self.ferry("validate", cwd=self.org)
        self.assertExit(result, 0)
        self.assertFalse(
            [d for d in parse_text_diagnostics(result.stderr) if d["severity"] == "error"], result.describe()
        )

    def test_samples_json_lists_three_workspaces(self):
        result, data = self.ferry_json("validate", cwd=self.org)
        self.assertExit(result, 0)
        self.assertEqual(data["errors"], [], result.describe())
        self.assertEqual(sorted(workspace_names(data)), ["dev", "prod", "staging"], result.describe())

    def test_samples_each_workspace(self):
        for name in ("dev", "staging", "prod"):
            with self.subTest(workspace=name):
                result, data = self.ferry_json("validate", name, cwd=self.org)
                self.assertExit(result, 0)
                self.assertEqual(data["errors"], [], result.describe())
                self.assertEqual(workspace_names(data), [name], result.describe())

    def test_samples_at_main(self):
        result, data = self.ferry_json("validate", "dev@main", "staging@main", "prod@main", cwd=self.org)
        self.assertExit(result, 0)
        self.assertEqual(data["errors"], [], result.describe())

    def test_samples_quiet_prints_nothing(self):
        result = self.ferry("validate", "-q", cwd=self.org)
        self.assertExit(result, 0)
        self.assertEqual(result.stdout, "", result.describe())
        self.assertEqual(result.stderr, "", result.describe())

    def test_samples_from_a_subfolder(self):
        result = self.ferry("validate", cwd=self.org / "acme-dev" / "models")
        self.assertExit(result, 0)


if __name__ == "__main__":
    unittest.main()
