"""Finding and reading ferry.yaml (SPEC 2.1): --config, FERRY_CONFIG, the
current folder or the nearest parent, and `repo:` relative to the file."""

import unittest

from harness import FerryTestCase, make_repo, valid_tree, write_config

ORPHAN = "name: Orphan\nsource: nosuch\ntype: sql\nsql: select 1\n"


class FindConfigTest(FerryTestCase):
    def setUp(self):
        super().setUp()
        # tmp/org/ferry.yaml names tmp/org/repos/dev (a valid tree);
        # tmp/bad/ferry.yaml names tmp/bad/broken (a tree with an error).
        self.org = self.tmp / "org"
        make_repo(self.org / "repos" / "dev", valid_tree())
        self.good = write_config(self.org, {"dev": {"repo": "repos/dev"}})
        self.badorg = self.tmp / "bad"
        make_repo(self.badorg / "broken", valid_tree(extra={"models/orphan.yaml": ORPHAN}))
        self.bad = write_config(self.badorg, {"dev": {"repo": "broken"}})
        self.elsewhere = self.tmp / "elsewhere"
        self.elsewhere.mkdir()

    def test_config_option(self):
        self.assertValid("--config", str(self.good), cwd=self.elsewhere)
        self.assertInvalid("dangling-reference", "--config", str(self.bad), cwd=self.elsewhere)

    def test_config_option_before_subcommand(self):
        result = self.ferry("--config", str(self.good), "validate", cwd=self.elsewhere)
        self.assertExit(result, 0)
        result = self.ferry("--config", str(self.bad), "validate", cwd=self.elsewhere)
        self.assertExit(result, 1)

    def test_config_option_relative_path(self):
        result = self.ferry("validate", "--config", "../org/ferry.yaml", cwd=self.elsewhere)
        self.assertExit(result, 0)

    def test_config_option_any_file_name(self):
        renamed = self.org / "acme-org.yaml"
        renamed.write_bytes(self.good.read_bytes())
        self.assertValid("--config", str(renamed), cwd=self.elsewhere)

    def test_ferry_config_env(self):
        self.assertValid(cwd=self.elsewhere, env={"FERRY_CONFIG": str(self.good)})
        self.assertInvalid("dangling-reference", cwd=self.elsewhere, env={"FERRY_CONFIG": str(self.bad)})

    def test_config_option_wins_over_env(self):
        self.assertValid("--config", str(self.good), cwd=self.elsewhere, env={"FERRY_CONFIG": str(self.bad)})
        self.assertInvalid("dangling-reference", "--config", str(self.bad), cwd=self.elsewhere,
                           env={"FERRY_CONFIG": str(self.good)})

    def test_env_wins_over_current_folder(self):
        self.assertValid(cwd=self.badorg, env={"FERRY_CONFIG": str(self.good)})
        self.assertInvalid("dangling-reference", cwd=self.org, env={"FERRY_CONFIG": str(self.bad)})

    def test_current_folder(self):
        self.assertValid(cwd=self.org)
        self.assertInvalid("dangling-reference", cwd=self.badorg)

    def test_nearest_parent_folder(self):
        sub = self.org / "a" / "b" / "c"
        sub.mkdir(parents=True)
        self.assertValid(cwd=sub)
        # From inside the repository's work tree too.
        self.assertValid(cwd=self.org / "repos" / "dev" / "models")

    def test_nearest_parent_wins_over_farther(self):
        # tmp/bad/inner/ferry.yaml (valid) is nearer than tmp/bad/ferry.yaml.
        inner = self.badorg / "inner"
        make_repo(inner / "dev", valid_tree())
        write_config(inner, {"dev": {"repo": "dev"}})
        sub = inner / "x" / "y"
        sub.mkdir(parents=True)
        self.assertValid(cwd=sub)

    def test_missing_ferry_yaml(self):
        result, data = self.ferry_json("validate", cwd=self.elsewhere)
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "config")
        text = self.ferry("validate", cwd=self.elsewhere)
        self.assertExit(text, 1)
        self.assertTextDiag(text, "config")

    def test_missing_config_file_given(self):
        missing = self.tmp / "nope.yaml"
        for how in ("option", "env"):
            with self.subTest(how=how):
                if how == "option":
                    result, data = self.ferry_json("validate", "--config", str(missing), cwd=self.org)
                else:
                    result, data = self.ferry_json("validate", cwd=self.org, env={"FERRY_CONFIG": str(missing)})
                # An explicit file that is not there is an error, not a fallback
                # to the ferry.yaml of the current folder.
                self.assertExit(result, 1)
                self.assertJsonDiag(result, data, "config")

    def test_config_is_a_folder(self):
        result, data = self.ferry_json("validate", "--config", str(self.org), cwd=self.elsewhere)
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "config")

    def test_empty_ferry_yaml(self):
        write_config(self.elsewhere, "")
        result, data = self.ferry_json("validate", cwd=self.elsewhere)
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "config")

    def test_no_workspaces(self):
        write_config(self.elsewhere, "workspaces: {}\n")
        result, data = self.ferry_json("validate", cwd=self.elsewhere)
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "config")

    def test_workspace_without_repo(self):
        write_config(self.elsewhere, "workspaces:\n  dev:\n    branch: main\n")
        result, data = self.ferry_json("validate", cwd=self.elsewhere)
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "config", file="ferry.yaml", message_contains="repo")

    def test_bad_workspace_name(self):
        make_repo(self.elsewhere / "dev", valid_tree())
        write_config(self.elsewhere, "workspaces:\n  Dev:\n    repo: dev\n")
        result, data = self.ferry_json("validate", cwd=self.elsewhere)
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "config", file="ferry.yaml")


class RepoPathTest(FerryTestCase):
    def test_repo_relative_to_ferry_yaml_folder(self):
        make_repo(self.tmp / "repos" / "acme-dev", valid_tree())
        config = write_config(self.tmp / "org", {"dev": {"repo": "../repos/acme-dev"}})
        elsewhere = self.tmp / "elsewhere" / "deeper"
        elsewhere.mkdir(parents=True)
        self.assertValid("--config", str(config), cwd=elsewhere)
        self.assertValid(cwd=elsewhere, env={"FERRY_CONFIG": str(config)})
        # From a subfolder of the file's folder: still relative to the file.
        sub = self.tmp / "org" / "sub"
        sub.mkdir()
        self.assertValid(cwd=sub)

    def test_repo_relative_with_relative_config_option(self):
        make_repo(self.tmp / "repos" / "acme-dev", valid_tree())
        write_config(self.tmp / "org", {"dev": {"repo": "../repos/acme-dev"}})
        elsewhere = self.tmp / "elsewhere"
        elsewhere.mkdir()
        self.assertValid("--config", "../org/ferry.yaml", cwd=elsewhere)

    def test_repo_not_resolved_against_current_folder(self):
        # A repository named like `repo:` next to the current folder must not
        # be picked up instead of the one beside ferry.yaml.
        make_repo(self.tmp / "org" / "dev", valid_tree())
        config = write_config(self.tmp / "org", {"dev": {"repo": "dev"}})
        elsewhere = self.tmp / "elsewhere"
        make_repo(elsewhere / "dev", valid_tree(extra={"models/orphan.yaml": ORPHAN}))
        self.assertValid("--config", str(config), cwd=elsewhere)

    def test_absolute_repo_path(self):
        make_repo(self.tmp / "repos" / "dev", valid_tree())
        config = write_config(self.tmp / "org", {"dev": {"repo": str(self.tmp / "repos" / "dev")}})
        self.assertValid("--config", str(config), cwd=self.tmp)


if __name__ == "__main__":
    unittest.main()
