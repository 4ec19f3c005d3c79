"""`cmake --install` of the existing build into a temporary prefix: the
binary, the schemas, the man page and the documentation land where
GNUInstallDirs says, and the installed binary runs. The man page names every
command and option that `--help` shows."""

import os
import re
import shutil
import subprocess
import unittest
from pathlib import Path

from harness import FERRY_BIN, SOURCE_DIR, FerryTestCase, ferry_env

BUILD_DIR = Path(os.environ.get("FERRY_BUILD_DIR") or Path(FERRY_BIN).resolve().parent)
SCHEMAS = sorted(p.name for p in (SOURCE_DIR / "schemas").glob("*.schema.json")) + [
    "draft-model.schema.json",
    "draft-sync.schema.json",
    "connectors",  # connectors/KIND/TYPE.schema.json, as in schemas/
]
CONNECTOR_SCHEMAS = sorted(str(p.relative_to(SOURCE_DIR / "schemas"))
                           for p in (SOURCE_DIR / "schemas" / "connectors").rglob("*.schema.json"))


def help_text(*args):
    proc = subprocess.run([FERRY_BIN, *args, "--help"], env=ferry_env(), stdout=subprocess.PIPE, text=True)
    assert proc.returncode == 0, proc
    return proc.stdout


def commands():
    section = help_text().split("Subcommands:", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^  ([a-z]+)\s", section, re.M)


def long_options(text):
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", text)) - {"--help"}


@unittest.skipUnless(shutil.which("cmake") and (BUILD_DIR / "cmake_install.cmake").is_file(),
                     "needs cmake and the build folder (FERRY_BUILD_DIR)")
class InstallTest(FerryTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        import tempfile

        cls.prefix = Path(tempfile.mkdtemp(prefix="ferry-e2e-install-"))
        cls.install = subprocess.run(["cmake", "--install", str(BUILD_DIR), "--prefix", str(cls.prefix)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.prefix, ignore_errors=True)
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.assertEqual(self.install.returncode, 0, self.install.stdout)

    def test_files_land_in_the_usual_places(self):
        binary = self.prefix / "bin" / "ferry"
        self.assertTrue(binary.is_file() and os.access(binary, os.X_OK))
        installed = sorted(p.name for p in (self.prefix / "share" / "ferry" / "schemas").iterdir())
        self.assertEqual(installed, sorted(SCHEMAS))
        schemas = self.prefix / "share" / "ferry" / "schemas"
        self.assertEqual(sorted(str(p.relative_to(schemas)) for p in (schemas / "connectors").rglob("*")
                                if p.is_file()), CONNECTOR_SCHEMAS)
        for name in SCHEMAS + CONNECTOR_SCHEMAS:
            if not name.startswith("draft-") and name != "connectors":
                self.assertEqual((self.prefix / "share/ferry/schemas" / name).read_bytes(),
                                 (SOURCE_DIR / "schemas" / name).read_bytes())
        self.assertTrue((self.prefix / "share" / "man" / "man1" / "ferry.1").is_file())
        doc = self.prefix / "share" / "doc" / "ferry"
        self.assertTrue((doc / "README.md").is_file())
        self.assertTrue((doc / "samples" / "make-repos.sh").is_file())

    def test_the_installed_binary_runs(self):
        binary = str(self.prefix / "bin" / "ferry")
        version = subprocess.run([binary, "--version"], env=ferry_env(), stdout=subprocess.PIPE, text=True)
        self.assertEqual(version.returncode, 0)
        self.assertRegex(version.stdout, r"^ferry \d+\.\d+\.\d+\n$")
        usage = subprocess.run([binary, "--help"], env=ferry_env(), stdout=subprocess.PIPE, text=True)
        self.assertEqual(usage.returncode, 0)
        self.assertIn("Examples:", usage.stdout)

    def test_the_man_page_names_every_command_and_option(self):
        page = (self.prefix / "share" / "man" / "man1" / "ferry.1").read_text()
        self.assertNotRegex(page, r"@[A-Z_]+@", "every @VARIABLE@ is filled in")
        version = subprocess.run([FERRY_BIN, "--version"], stdout=subprocess.PIPE, text=True).stdout.split()[-1]
        self.assertIn('"ferry %s"' % version, page)
        text = page.replace("\\-", "-")
        for name in commands():
            with self.subTest(command=name):
                self.assertRegex(text, r"\.SS \"ferry %s\b" % name)
                for option in sorted(long_options(help_text(name))):
                    self.assertIn(option, text, "%s %s is not in the man page" % (name, option))
        for option in sorted(long_options(help_text())):
            self.assertIn(option, text)

    @unittest.skipUnless(shutil.which("man"), "needs man")
    def test_man_renders_it_without_warnings(self):
        page = self.prefix / "share" / "man" / "man1" / "ferry.1"
        proc = subprocess.run(["man", "--warnings", "-l", str(page)], env=dict(ferry_env(), MANPAGER="cat", MANWIDTH="80"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr.strip(), "")
        self.assertIn("ferry init", proc.stdout)


if __name__ == "__main__":
    unittest.main()
