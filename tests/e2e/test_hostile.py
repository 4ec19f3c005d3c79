"""Hostile inputs: what a careless or malicious user, file or plan may hand
ferry. Each is refused with a clear diagnostic and its code (or handled
safely), never crashes ferry, never writes outside the repository's own
git objects and refs, and never writes anything when refused.

Covered elsewhere, and not repeated here: `--select` patterns with `..`
(test_reconcile), `path: ../x` in ferry.yaml and a `repo` that is a plain
folder (test_validate), a missing branch or ref (test_git_reading), plans
edited by hand field by field (test_apply PlanMismatchTest), nesting deeper
than 64 levels in resources (test_validate), invalid UTF-8 and CRLF in
resources (test_validate), `"*"` granting more than view (test_validate
BroadGrantTest, test_cli), plaintext secrets in validate's output
(test_validate PlaintextSecretTest), thousands of resources (test_git_reading
ScaleTest)."""

import hashlib
import json
import os
import re
import subprocess
import unittest
import zlib

from harness import (
    DeployCase,
    FerryTestCase,
    deploy_trees,
    file_at,
    git,
    git_fsck,
    make_repo,
    valid_tree,
    workspace_yaml,
    worktree_status,
    write_config,
)

ALICE = "alice@acme.com"
SECRET = "s3cr3t-Hunter2-NEVER-PRINTED"
TOKEN = "ghp_TOKENthatMustNeverBePrinted42"


def all_files(folder):
    """Every file and folder under `folder`, git directories' contents left out."""
    out = set()
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != ".git" and not d.endswith(".git")]
        for name in dirs + files:
            out.add(os.path.relpath(os.path.join(root, name), folder))
    return out


class HostileCase(DeployCase):
    """Runs as alice (admin everywhere) over dev and prod of deploy_trees,
    both checked out, in self.tmp/org; a sibling folder self.tmp/outside
    must never receive anything."""

    def setUp(self):
        super().setUp()
        self.folder = self.tmp / "org"
        self.outside = self.tmp / "outside"
        self.outside.mkdir()
        (self.outside / "keep.txt").write_text("untouched\n")

    def org(self, dev_extra=None, prod_extra=None):
        self.deploy_org(dev_extra, prod_extra, folder=self.folder)
        self.repos = {"dev": self.folder / "dev", "prod": self.folder / "prod"}
        self.addCleanup(self.assertSound)

    def refs(self):
        return {name: git(repo, "for-each-ref", "--format=%(objectname) %(refname)") for name, repo in self.repos.items()}

    def snapshot(self):
        return self.refs(), all_files(self.tmp)

    def assertUntouched(self, before, context=""):
        """No ref moved or appeared, no file appeared or vanished anywhere
        (the git directories aside)."""
        refs, files = before
        self.assertEqual(self.refs(), refs, "no ref moved " + context)
        self.assertEqual(all_files(self.tmp), files, "no file written outside the git directories " + context)
        self.assertEqual((self.outside / "keep.txt").read_text(), "untouched\n")

    def assertSound(self):
        for name, repo in self.repos.items():
            rc, out = git_fsck(repo)
            self.assertEqual(rc, 0, "git fsck --strict in %s:\n%s" % (name, out))

    def refused(self, *args, codes=None, exit_codes=(1, 64)):
        """Runs args (text and JSON, from self.folder): refused with one of
        exit_codes, and when `codes` is given with one of those error codes
        in JSON; nothing written. Returns the JSON data (None for usage
        errors, which print no JSON)."""
        before = self.snapshot()
        text = self.ferry(*args, cwd=self.folder)
        self.assertIn(text.returncode, exit_codes, text.describe())
        self.assertTrue(text.stderr.strip(), "a refusal says why\n" + text.describe())
        data = None
        if text.returncode != 64:
            result, data = self.ferry_json(*args, cwd=self.folder)
            self.assertIn(result.returncode, exit_codes, result.describe())
            if codes:
                found = {e["code"] for e in data["errors"]}
                self.assertTrue(found & set(codes), "expected one of %s\n%s" % (codes, result.describe()))
        self.assertUntouched(before, "after ferry " + " ".join(map(str, args)))
        return data


# --------------------------------------------------------------------------
# ids, workspace names and refs that try to leave the tree


ESCAPING_IDS = ["..", "../../outside/keep", "/etc/passwd", ".git", "a/../../b", "x/..", ""]


class EscapingAddressTest(HostileCase):
    def setUp(self):
        super().setUp()
        self.org()

    def test_ids_in_link_unlink_history_and_publish(self):
        for bad in ESCAPING_IDS:
            with self.subTest(id=bad):
                self.refused("link", "dev:sources/%s" % bad, "prod:sources/warehouse")
                self.refused("unlink", "dev:sources/wh-dev", "prod:sources/%s" % bad)
                self.refused("history", "prod:models/%s" % bad)
                self.refused("publish", "prod:models/%s" % bad)

    def test_kinds_and_workspaces_in_addresses(self):
        for address in ("../prod:sources/warehouse", "/tmp:sources/warehouse", ".git:sources/warehouse",
                        "prod:../sources/warehouse", "prod:.git/warehouse", "prod:sources", "prod@../..:models/users",
                        "prod:/etc/passwd"):
            with self.subTest(address=address):
                self.refused("link", "dev:sources/wh-dev", address)
                self.refused("history", address)

    def test_link_option(self):
        for bad in ESCAPING_IDS[:6]:
            with self.subTest(id=bad):
                self.refused("reconcile", "--from", "dev", "--to", "prod",
                             "--link", "dev:sources/%s=prod:sources/warehouse" % bad)
                self.refused("reconcile", "--from", "dev", "--to", "prod",
                             "--link", "dev:sources/wh-dev=prod:sources/%s" % bad)

    def test_workspace_names(self):
        for name in ("..", "../prod", "/etc", ".git", "prod/..", "dev/../prod"):
            with self.subTest(name=name):
                self.refused("validate", name, codes=["unknown-workspace"])
                self.refused("links", name, codes=["unknown-workspace"])
                self.refused("reconcile", "--from", name, "--to", "prod")
                self.refused("reconcile", "--from", "dev", "--to", name)

    def test_refs(self):
        for ref in ("../../outside", "refs/heads/../../../outside", "/etc/passwd", ".git", "main/../..",
                    "main:../x", "HEAD@{-1}"):
            with self.subTest(ref=ref):
                self.refused("validate", "dev@" + ref, codes=["git", "config"])
                self.refused("reconcile", "--from", "dev@" + ref, "--to", "prod", "--dry-run")
                self.refused("history", "prod@%s:models/users" % ref)

    def test_branch_option(self):
        for branch in ("../escape", "../../outside/escape", "/abs", ".git", "refs/heads/x/../y", "x/.git/y",
                       "main.lock", "x..y", "-x", "a b", "x~1", "x:y", "@", ""):
            with self.subTest(branch=branch):
                self.refused("reconcile", "--from", "dev", "--to", "prod", "--branch", branch)


class EscapingLinksFileTest(HostileCase):
    """links.yaml naming ids and workspaces outside the tree: schema errors
    located in the file; nothing of it is taken for a link or written."""

    def test_escaping_entries(self):
        bad_links = (
            "sources:\n"
            "  wh-dev: { prod: warehouse }\n"
            "  ../../outside/keep: { prod: warehouse }\n"
            "  .git: { \"../prod\": /etc/passwd }\n"
            "models:\n"
            "  users: { prod: \"../../../outside/x\" }\n"
        )
        self.org(dev_extra={"links.yaml": bad_links})
        result, data = self.ferry_json("validate", "dev", cwd=self.folder)
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "schema", file="links.yaml", line=6)
        # Keys that are not ids are named, each where it is written.
        self.assertJsonDiag(result, data, "schema", file="links.yaml", line=3, column=3,
                            message_contains="key '../../outside/keep' must be an id")
        self.assertJsonDiag(result, data, "schema", file="links.yaml", line=4, column=3,
                            message_contains="key '.git' must be an id")
        self.assertJsonDiag(result, data, "schema", file="links.yaml", line=4, column=11,
                            message_contains="key '../prod' must be an id")
        for warning in data["warnings"]:
            # A hint never proposes a command that would be refused.
            self.assertNotIn("unlink dev:sources/../", warning.get("hint", ""), result.describe())
        result, data = self.ferry_json("links", "dev", cwd=self.folder)
        for link in data.get("links", []):
            for address in (link["a"], link["b"]):
                self.assertNotIn("..", address)
                self.assertNotIn(".git", address)
        # A links.yaml with errors is not rewritten, and blocks deployments.
        self.refused("link", "dev:sources/wh-dev", "prod:sources/warehouse")
        self.refused("reconcile", "--from", "dev", "--to", "prod")


class EscapedOutputTest(HostileCase):
    """Text from a workspace is printed as text: a mapping key that closes
    the diff's fence and the collapsed section, fakes a summary and mentions
    a team must not hide the real change (mode: upsert -> delete) in the PR
    comment; escape sequences must not reach the terminal."""

    KEY = "0\n```\n</details>\n\n**No changes.** @acme/admins\n<!--"

    def hostile_org(self):
        sync = {"name": "Users to CRM \x1b]0;pwned\x07\x1b[2J", "model": "users", "destination": "crm-sandbox",
                "enabled": True, "schedule": {"type": "interval", "every": "1h"},
                "config": {"object": "Contact", "mode": "delete", self.KEY: 1,
                           "mappings": [{"from": "email", "to": "EmailAddress"}]}}
        # A destination type with no connector schema: the sync's config may
        # hold any key and mode (SPEC 2.7), hostile ones included.
        self.org(dev_extra={"syncs/users-crm.yaml": json.dumps(sync) + "\n",
                            "destinations/crm-sandbox.yaml": "name: CRM sandbox\ntype: custom-crm\n"},
                 prod_extra={"destinations/crm.yaml": "name: CRM\ntype: custom-crm\n"})

    def test_markdown_renders_only_what_ferry_meant(self):
        self.hostile_org()
        result = self.ferry("reconcile", "--from", "dev", "--to", "prod", "--dry-run", "--format", "markdown",
                            cwd=self.folder)
        self.assertExit(result, 0)
        html = subprocess.run(["cmark-gfm", "--extension", "table", "--extension", "autolink",
                               "--extension", "strikethrough", "--unsafe"],
                              input=result.stdout, capture_output=True, text=True, check=True).stdout
        self.assertEqual(html.count("</details>"), 1, html)
        self.assertNotIn("<strong>No changes.</strong>", html)
        # ferry's own first line, the plan's digest (SPEC 7), is the one HTML
        # comment: nothing from the workspace opens another.
        digest_line = re.match(r"<!-- ferry-plan-digest: sha256:[0-9a-f]{64} -->\n", html)
        self.assertIsNotNone(digest_line, html[:300])
        self.assertNotIn("<!--", html[digest_line.end():])
        # The real change is there, inside the diff's code block.
        block = html[html.index("<pre>"):html.rindex("</pre>")]
        self.assertIn("delete", block)
        self.assertIn("@acme/admins", block)  # as text, in a code block

    def test_text_and_github_show_escapes_never_obey_them(self):
        self.hostile_org()
        for fmt in ("text", "github", "markdown"):
            result = self.ferry("reconcile", "--from", "dev", "--to", "prod", "--dry-run", "--format", fmt,
                                cwd=self.folder)
            self.assertExit(result, 0)
            self.assertNotIn("\x1b", result.stdout + result.stderr, fmt)
            self.assertNotIn("\x07", result.stdout + result.stderr, fmt)
        text = self.ferry("reconcile", "--from", "dev", "--to", "prod", "--dry-run", cwd=self.folder)
        self.assertIn("\\u001b]0;pwned\\u0007", text.stdout)  # a value, as JSON escapes it
        # Every line of the plan is one of ferry's: the key's newlines are shown as \n.
        self.assertNotIn("\n</details>", text.stdout)
        self.assertIn("0\\n```\\n</details>", text.stdout)

    def test_commit_subjects_in_history_are_shown_as_text(self):
        self.org()
        prod = self.repos["prod"]
        git(prod, "commit", "--allow-empty", "-q", "-m", "fix \x1b[2J\x1b]0;pwned\x07 users")
        (prod / "models" / "users.yaml").write_text("name: Users\nsource: warehouse\ntype: sql\nsql: select 7\n")
        git(prod, "commit", "-q", "-am", "users \x1b[31mred\x1b[0m")
        result = self.ferry("history", "prod:models/users", cwd=self.folder)
        self.assertExit(result, 0)
        self.assertNotIn("\x1b", result.stdout)
        self.assertIn("users \\x1b[31mred", result.stdout)


class EscapingPlanFileTest(HostileCase):
    """A plan whose addresses or claims point outside the tree is refused as
    plan-mismatch: apply writes only what it plans itself."""

    def test_edited_addresses_and_claims(self):
        self.org()
        path = self.folder / "plan.json"
        result, saved = self.plan("--out", path, cwd=self.folder)
        self.assertExit(result, 0)
        edits = {
            "change address": lambda p: p["changes"][0].update(address="prod:models/../../../outside/pwned"),
            "change address absolute": lambda p: p["changes"][0].update(address="/tmp/pwned"),
            "origin": lambda p: p["changes"][0].update(origin="dev:models/../../x"),
            "to.workspace": lambda p: p["to"].update(workspace="../prod"),
            "from.workspace": lambda p: p["from"].update(workspace="/etc"),
            "to.ref": lambda p: p["to"].update(ref="../../outside"),
            "from.commit": lambda p: p["from"].update(commit="../../outside"),
            "select": lambda p: p["options"].update(select=["models/../../x"]),
            "link": lambda p: p["options"].update(link=["dev:sources/../x=prod:sources/warehouse"]),
            "links entry": lambda p: p["links"].append({"kind": "sources", "a": "dev:sources/wh-dev",
                                                        "b": "prod:sources/../../outside"}),
            "draft replaced": lambda p: p["drafts_replaced"].append("prod:models/../../../x"),
            "after with a path": lambda p: p["changes"][0]["after"].update(file="../../outside/pwned"),
        }
        for name, edit in edits.items():
            with self.subTest(edit=name):
                plan = json.loads(json.dumps(saved))
                edit(plan)
                edited = self.folder / "edited.json"
                edited.write_text(json.dumps(plan))
                # A workspace ferry.yaml does not name is said as such.
                self.refused("apply", edited, codes=["plan-mismatch", "unknown-workspace"])
                edited.unlink()

    def test_deeply_nested_plan_file(self):
        self.org()
        for depth in (1000, 100000):
            with self.subTest(depth=depth):
                for where in ("format_version", "changes"):
                    text = '{"format_version": 1, "%s": %s%s}' % (where, "[" * depth, "]" * depth)
                    if where == "format_version":
                        text = '{"format_version": %s%s}' % ("[" * depth, "]" * depth)
                    path = self.folder / "deep.json"
                    path.write_text(text)
                    self.refused("apply", path, codes=["plan-mismatch"])
                    path.unlink()

    def test_oversized_plan_file_is_refused_before_it_is_read(self):
        self.org()
        path = self.folder / "huge.json"
        with open(path, "wb") as f:
            f.write(b'{"format_version": 1, "pad": "')
            f.write(b"x" * (65 << 20))
            f.write(b'"}')
        data = self.refused("apply", path, codes=["plan-mismatch"])
        self.assertIn("at most 64 MiB", data["errors"][0]["message"])
        result = self.ferry("apply", path, cwd=self.folder)
        self.assertLess(result.seconds, 2, result.describe())


class RepeatedDiagnosticsTest(HostileCase):
    """500,000 stale links made 110 MB of warnings: repeated diagnostics
    are grouped in every format, the first 100 of a code and a count."""

    def test_many_stale_links_make_a_page_of_output(self):
        lines = ["sources:"] + ["  s%06d: { prod: p%06d }" % (i, i) for i in range(200000)]
        self.org(dev_extra={"links.yaml": "\n".join(lines) + "\n"})
        result, data = self.ferry_json("validate", cwd=self.folder, timeout=120)
        self.assertExit(result, 0)
        stale = [w for w in data["warnings"] if w["code"] == "stale-link"]
        self.assertEqual(len(stale), 101, result.describe(2000))
        self.assertEqual(stale[-1]["message"], "199,900 more stale-link warnings like these are not shown; 200,000 in all.")
        self.assertLess(len(result.stdout), 100_000)
        for fmt in ("text", "markdown", "github"):
            out = self.ferry("--format", fmt, "validate", cwd=self.folder, timeout=120)
            self.assertExit(out, 0)
            self.assertLess(len(out.stdout) + len(out.stderr), 100_000, fmt)


# --------------------------------------------------------------------------
# ferry.yaml


class ConfigPathsTest(FerryTestCase):
    """`repo:` may name any folder (the SPEC's own example is
    `../acme-dev`: repositories beside the organization's folder are the
    usual layout, and ferry.yaml is where that is said explicitly). `path:`,
    a folder inside the repository, may not leave it."""

    def setUp(self):
        super().setUp()
        make_repo(self.tmp / "repos" / "dev", valid_tree())

    def config(self, entry):
        write_config(self.tmp / "org", {"dev": entry})

    def assertConfigError(self, line=None):
        result, data = self.ferry_json("validate", cwd=self.tmp / "org")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "config", file="ferry.yaml", line=line)
        text = self.ferry("validate", cwd=self.tmp / "org")
        self.assertExit(text, 1)
        self.assertTextDiag(text, "config", file="ferry.yaml")

    def test_repo_outside_the_organization_folder_is_allowed(self):
        self.config({"repo": "../repos/dev"})
        self.assertValid(cwd=self.tmp / "org")
        self.config({"repo": str(self.tmp / "repos" / "dev")})
        self.assertValid(cwd=self.tmp / "org")

    def test_path_escaping_the_repository(self):
        for path in ("..", "../dev", "sub/../..", "./../x", "/etc", "/", ".git", "sub/.git/objects", "a/../../b"):
            with self.subTest(path=path):
                self.config({"repo": "../repos/dev", "path": path})
                self.assertConfigError(line=4)

    def test_path_staying_inside_is_fine(self):
        for path in (".", "./", "./."):
            with self.subTest(path=path):
                self.config({"repo": "../repos/dev", "path": path})
                self.assertValid(cwd=self.tmp / "org")

    def test_repo_that_is_not_a_repository(self):
        (self.tmp / "repos" / "file").write_text("not a repository\n")
        (self.tmp / "repos" / "dev" / "sub").mkdir()
        for repo in ("../repos/file", "../repos/nowhere", "../repos/dev/sub", "../repos/dev/.git/objects",
                     "/dev/null", "../repos"):
            with self.subTest(repo=repo):
                self.config({"repo": repo})
                self.assertConfigError()

    def test_branch_that_does_not_exist_or_is_not_a_branch(self):
        for branch in ("nosuch", "../main", "refs/heads/../../x", "main.lock"):
            with self.subTest(branch=branch):
                self.config({"repo": "../repos/dev", "branch": branch})
                result, data = self.ferry_json("validate", cwd=self.tmp / "org")
                self.assertExit(result, 1)
                self.assertTrue({e["code"] for e in data["errors"]} & {"git", "config"}, result.describe())

    def test_hostile_ferry_yaml_text(self):
        texts = {
            "deep": "workspaces: " + "[" * 10000 + "]" * 10000 + "\n",
            "deep block": "workspaces:\n" + "".join("  " * i + "k%d:\n" % i for i in range(200)),
            "invalid utf-8": b"workspaces:\n  dev:\n    repo: \xff\xfe\n",
            "alias bomb": "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                          "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                          "workspaces: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
            "nul": "workspaces:\n  dev:\n    repo: \"../repos/dev\x00/etc\"\n",
        }
        for name, text in texts.items():
            with self.subTest(text=name):
                write_config(self.tmp / "org", text)
                self.assertConfigError()

    def test_crlf_ferry_yaml(self):
        write_config(self.tmp / "org", "workspaces:\r\n  dev:\r\n    repo: ../repos/dev\r\n    branch: main\r\n")
        self.assertValid(cwd=self.tmp / "org")


# --------------------------------------------------------------------------
# Odd bytes in files and arguments


class OddBytesTest(HostileCase):
    def test_crlf_workspace_deploys_canonical_lf_files(self):
        dev, _ = deploy_trees()
        crlf = {path: text.replace("\n", "\r\n") for path, text in dev.items()}
        self.org(dev_extra=crlf, prod_extra={"workspace.yaml": deploy_trees()[1]["workspace.yaml"].replace("\n", "\r\n")})
        result, data = self.plan("--all", cwd=self.folder, dry_run=False)
        self.assertExit(result, 0)
        for path in ("models/users.yaml", "models/new-model.yaml", "syncs/new-sync.yaml", "links.yaml"):
            text = file_at(self.repos["prod"], "main", path)
            self.assertNotIn("\r", text, path)
        self.assertValid(cwd=self.folder)
        result, data = self.plan("--all", cwd=self.folder, dry_run=False)
        self.assertEqual(data["status"], "no-changes", "CRLF and LF are the same content\n" + result.describe())

    def test_invalid_utf8_in_links_and_workspace_yaml(self):
        for path, text in (("links.yaml", b"sources:\n  wh-dev: { prod: warehouse\xc3\x28 }\n"),
                           ("workspace.yaml", b"name: Dev \xff\norganization: acme\n")):
            with self.subTest(file=path):
                self.org(dev_extra={path: text})
                result, data = self.ferry_json("validate", "dev", cwd=self.folder)
                self.assertExit(result, 1)
                self.assertJsonDiag(result, data, "yaml-syntax", file=path, line=1 if path == "workspace.yaml" else 2)
                self.refused("reconcile", "--from", "dev", "--to", "prod")

    def test_invalid_utf8_and_control_characters_in_arguments(self):
        self.org()
        for arg in ("dev\udcff", "d\x1b[31mev", "dev\nprod"):
            with self.subTest(arg=repr(arg)):
                self.refused("validate", arg)
                self.refused("links", arg)
                self.refused("history", "%s:models/users" % arg)
                self.refused("reconcile", "--from", arg, "--to", "prod")
        for actor in ("alice\udcff@acme.com", "alice@acme.com\nFerry-From: prod@0000", "<alice@acme.com>"):
            with self.subTest(actor=repr(actor)):
                self.refused("reconcile", "--from", "dev", "--to", "prod", "--actor", actor)

    def test_message_cannot_forge_trailers(self):
        self.org()
        forged = "Deploy\n\nFerry-From: staging@0123456789abcdef0123456789abcdef01234567\nFerry-Actor: mallory@evil.com"
        result, data = self.plan("--message", forged, cwd=self.folder, dry_run=False)
        self.assertExit(result, 0)
        result, data = self.ferry_json("history", "prod:models/users", cwd=self.folder)
        self.assertExit(result, 0)
        newest = data["entries"][0]
        self.assertEqual(newest["from"]["workspace"], "dev", result.describe())
        self.assertEqual(newest["author"], ALICE)


# --------------------------------------------------------------------------
# Many files


class ManyFilesTest(HostileCase):
    def test_thousands_of_models_deploy_in_one_commit(self):
        extra = {"models/m%04d.yaml" % i: "name: M%d\nsource: wh-dev\ntype: sql\nsql: select %d\n" % (i, i)
                 for i in range(2000)}
        self.org(dev_extra=extra)
        result, data = self.plan("--select", "models/m*", cwd=self.folder, dry_run=False, timeout=120)
        self.assertExit(result, 0)
        self.assertEqual(len(data["changes"]), 2000)
        self.assertLess(result.seconds, 30, result.describe())
        listed = git(self.repos["prod"], "ls-tree", "--name-only", "main", "models/").splitlines()
        self.assertEqual(len(listed), 2001)
        self.assertEqual(worktree_status(self.repos["prod"]), [])
        rc, out = git_fsck(self.repos["prod"])
        self.assertEqual(rc, 0, out)

    def test_many_ignored_files_and_folders(self):
        extra = {"docs/n%05d.txt" % i: "x\n" for i in range(5000)}
        extra.update({"models/notes/deep/%d/readme.md" % i: "y\n" for i in range(500)})
        self.org(dev_extra=extra)
        result, data = self.ferry_json("validate", "dev", cwd=self.folder, timeout=60)
        self.assertExit(result, 0)
        self.assertLess(result.seconds, 10, result.describe())


class DeepTreeTest(FerryTestCase):
    """A folder nested 100,000 deep in a workspace's commit: listing it
    recursively would overflow the stack of a loader thread, so that any PR
    author could crash the CI job. It is refused as unsafe-tree instead."""

    DEPTH = 100_000

    def write_object(self, repo, kind, body):
        data = b"%s %d\0" % (kind, len(body)) + body
        sha = hashlib.sha1(data).hexdigest()
        path = repo / ".git" / "objects" / sha[:2] / sha[2:]
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(zlib.compress(data, 1))
        return sha

    def tree(self, repo, entries):
        body = b"".join(b"%s %s\0" % (mode, name) + bytes.fromhex(sha) for mode, name, sha in entries)
        return self.write_object(repo, b"tree", body)

    def test_a_folder_nested_100000_deep_is_unsafe_tree_not_a_crash(self):
        repo = self.tmp / "dev"
        make_repo(repo, valid_tree())
        nested = self.tree(repo, [(b"100644", b"x.yaml", self.write_object(repo, b"blob", b"x: 1\n"))])
        for _ in range(self.DEPTH):
            nested = self.tree(repo, [(b"40000", b"a", nested)])
        listing = git(repo, "ls-tree", "HEAD").splitlines()
        entries = [(line.split()[0].encode(), line.split("\t")[1].encode(), line.split()[2]) for line in listing]
        entries.append((b"40000", b"nest", nested))
        top = self.tree(repo, sorted(entries, key=lambda e: e[1] + (b"/" if e[0] == b"40000" else b"")))
        commit = git(repo, "commit-tree", top, "-p", "HEAD", "-m", "deep").strip()
        git(repo, "update-ref", "refs/heads/main", commit)
        write_config(self.tmp, {"dev": {"repo": "dev"}})
        for args in (("validate", "dev"), ("validate", "dev@" + commit)):
            result, data = self.ferry_json(*args, cwd=self.tmp, timeout=120)
            self.assertExit(result, 1)
            self.assertJsonDiag(result, data, "unsafe-tree", file="nest")


# --------------------------------------------------------------------------
# Grants and secrets


class BroadAdminGrantTest(HostileCase):
    def test_star_admin_is_a_warning_and_is_honoured(self):
        members = workspace_yaml(members={"alice@acme.com": "admin", "*": "admin"})
        self.org(dev_extra={"workspace.yaml": members}, prod_extra={"workspace.yaml": members})
        for name in ("dev", "prod"):
            result, data = self.ferry_json("validate", name, cwd=self.folder)
            self.assertExit(result, 0)
            self.assertJsonDiag(result, data, "broad-grant", severity="warnings", file="workspace.yaml", line=5,
                                address=name)
        # A warning, not a refusal: anyone may deploy there, as granted.
        result, data = self.plan("--select", "models/users", cwd=self.folder, env={"FERRY_ACTOR": "stranger@else.com"})
        self.assertExit(result, 0)
        self.assertEqual(data["errors"], [], result.describe())


class SecretsByValueNeverShownTest(HostileCase):
    """SPEC 2.4: a credential written out in a model (found by its value)
    blocks the deployment and reaches no output, plan file or commit."""

    JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJmZXJyeS10ZXN0In0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"

    def test_a_model_with_a_token_in_its_sql(self):
        self.org(dev_extra={"models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\n"
                                                 "sql: select * from api('Bearer %s')\n" % self.JWT})
        plan = self.folder / "plan.json"
        for fmt in ("text", "json", "markdown", "github"):
            with self.subTest(format=fmt):
                result = self.ferry("reconcile", "--from", "dev", "--to", "prod", "--all", "--dry-run", "--out", plan,
                                    "--format", fmt, "-v", cwd=self.folder)
                self.assertExit(result, 1)
                self.assertIn("plaintext-secret", result.stdout + result.stderr)
                for text in (result.stdout, result.stderr, plan.read_text()):
                    self.assertNotIn(self.JWT[:30], text, result.describe())
        before = self.snapshot()
        result = self.ferry("reconcile", "--from", "dev", "--to", "prod", "--all", cwd=self.folder)
        self.assertExit(result, 1)
        self.assertUntouched(before)


class SecretsNeverShownTest(HostileCase):
    """A literal secret (plaintext-secret) in a source or destination is
    never printed, logged or saved, whatever the command, format or
    verbosity; nor is a token ferry is given for pushing."""

    def setUp(self):
        super().setUp()
        literal = "name: WH dev\ntype: snowflake\nconfig:\n  account: acme\n  password: %s\n  nested: [{ api_key: %s }]\n"
        self.org(dev_extra={"sources/wh-dev.yaml": literal % (SECRET, SECRET),
                            "destinations/crm-sandbox.yaml": "name: CRM sandbox\ntype: salesforce\n"
                                                             "access_token: %s\n" % SECRET})

    def assertNotShown(self, result, *extra_texts):
        for text in (result.stdout, result.stderr) + extra_texts:
            self.assertNotIn(SECRET, text, result.describe())
            self.assertNotIn(TOKEN, text, result.describe())

    def test_every_command_and_format(self):
        plan = self.folder / "plan.json"
        summary = self.folder / "summary.md"
        commands = [
            ("validate",), ("validate", "dev"), ("links",), ("links", "dev"),
            ("link", "dev:sources/wh-dev", "prod"), ("link", "dev:sources/wh-dev", "prod:sources/warehouse"),
            ("reconcile", "--from", "dev", "--to", "prod", "--all", "--dry-run", "--out", plan),
            ("reconcile", "--from", "prod", "--to", "dev", "--all", "--dry-run"),
            ("history", "dev:sources/wh-dev"),
        ]
        for args in commands:
            for fmt in ("text", "json", "markdown", "github"):
                # -v prints all that is printed without it, and more.
                with self.subTest(args=args, format=fmt):
                    result = self.ferry(*args, "--format", fmt, "-v", cwd=self.folder,
                                        env={"GITHUB_STEP_SUMMARY": summary})
                    saved = plan.read_text() if plan.exists() else ""
                    shown = summary.read_text() if summary.exists() else ""
                    self.assertNotShown(result, saved, shown)
        # A deployment's commit carries the selected models and syncs only.
        result = self.ferry("reconcile", "--from", "dev", "--to", "prod", "--all", "-v", cwd=self.folder)
        self.assertNotShown(result)
        log = git(self.repos["prod"], "log", "-p", "--all")
        self.assertNotIn(SECRET, log)

    def test_push_token_never_shown(self):
        # A remote that refuses the connection: the error names the remote,
        # never the credentials in its URL or from the environment.
        git(self.repos["prod"], "remote", "add", "origin", "https://x-access-token:%s@127.0.0.1:9/acme/prod.git" % TOKEN)
        for fmt in ("text", "json", "markdown", "github"):
            with self.subTest(format=fmt):
                result = self.ferry("reconcile", "--from", "dev", "--to", "prod", "--push", "-v", "--format", fmt,
                                    cwd=self.folder, env={"FERRY_GIT_TOKEN": TOKEN, "GITHUB_TOKEN": TOKEN})
                self.assertEqual(result.returncode, 1, result.describe())
                self.assertNotShown(result)
        git(self.repos["prod"], "remote", "set-url", "origin", "https://127.0.0.1:9/acme/prod.git")
        result = self.ferry("reconcile", "--from", "dev", "--to", "prod", "--push", "-v", cwd=self.folder,
                            env={"FERRY_GIT_TOKEN": TOKEN})
        self.assertEqual(result.returncode, 1, result.describe())
        self.assertNotShown(result)


if __name__ == "__main__":
    unittest.main()
