"""Shared helpers for ferry's end-to-end tests.

Every test runs the real binary ($FERRY_BIN) against real git repositories
made in a fresh temporary folder. The folder is removed when the test passes
and kept (its path printed on stderr) when it fails, so a failure can be
replayed by hand. Set E2E_KEEP_TMP=1 to keep every folder.

Only the Python standard library is used.
"""

import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
from pathlib import Path

SOURCE_DIR = Path(os.environ.get("FERRY_SOURCE_DIR") or Path(__file__).resolve().parents[2])
FERRY_BIN = os.environ.get("FERRY_BIN") or str(SOURCE_DIR / "build" / "ferry")

# Fixed identity and dates: no global git configuration is needed, and the
# same test always makes the same commits.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ferry Tests",
    "GIT_AUTHOR_EMAIL": "tests@acme.com",
    "GIT_COMMITTER_NAME": "Ferry Tests",
    "GIT_COMMITTER_EMAIL": "tests@acme.com",
    "GIT_AUTHOR_DATE": "2026-11-01T09:00:00Z",
    "GIT_COMMITTER_DATE": "2026-11-01T09:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
}
GIT_OPTS = [
    "-c", "user.name=Ferry Tests",
    "-c", "user.email=tests@acme.com",
    "-c", "commit.gpgsign=false",
    "-c", "tag.gpgsign=false",
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.autocrlf=false",
    "-c", "core.symlinks=true",
    "-c", "init.defaultBranch=main",
    "-c", "protocol.file.allow=always",
]

# Where a workspace keeps the schemas its files name (`ferry init` writes
# them), inside the workspace's folder.
SCHEMA_FOLDER = ".ferry/schemas"


def schema_prefix(schema_file):
    """The path from a file that names schema_file to the workspace's top:
    a draft is two folders down, a resource one, links.yaml and
    workspace.yaml at the top."""
    if schema_file.startswith("draft-"):
        return "../../"
    if schema_file in ("links.schema.json", "workspace.schema.json"):
        return ""
    return "../"


def schema_line(schema_file):
    """The first line of every YAML file ferry writes (for editors): the
    same bytes whoever writes it, a path relative to the file."""
    return "# yaml-language-server: $schema=%s%s/%s\n" % (schema_prefix(schema_file), SCHEMA_FOLDER, schema_file)


ANSI_ESCAPE = re.compile(r"\x1b\[")
DIAG_HEADER = re.compile(r"^(error|warning)\[([A-Za-z0-9_-]+)\]: (.*)$")
DIAG_WHERE = re.compile(r"^\s*-->\s*(.+?)(?::(\d+):(\d+))?\s*$")


# --------------------------------------------------------------------------
# git


def git(cwd, *args, input=None, check=True):
    """Runs git in cwd with a fixed identity; returns stdout (stripped)."""
    env = dict(os.environ)
    env.update(GIT_ENV)
    proc = subprocess.run(
        ["git", *GIT_OPTS, *args],
        cwd=str(cwd),
        env=env,
        input=input,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if check and proc.returncode != 0:
        raise RuntimeError(
            "git %s failed in %s (exit %d):\n%s%s" % (" ".join(args), cwd, proc.returncode, proc.stdout, proc.stderr)
        )
    return proc.stdout.strip()


def write_files(root, files):
    """Writes {relative path: content} under root. Content is bytes (written
    as is) or str (UTF-8, no newline translation). None deletes the file."""
    root = Path(root)
    for rel, content in files.items():
        path = root / rel
        if content is None:
            if path.is_symlink() or path.exists():
                path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink():
            path.unlink()
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)


def commit(repo, files=None, message="change", symlinks=None):
    """Writes files (see write_files) and symlinks ({path: target}) into the
    work tree of repo, stages everything and commits. Returns the commit id."""
    repo = Path(repo)
    if files:
        write_files(repo, files)
    for rel, target in (symlinks or {}).items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.exists():
            path.unlink()
        os.symlink(target, path)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def make_repo(path, files=None, branch="main", message="initial commit", symlinks=None):
    """Creates a git repository at path on `branch` and commits files (a dict
    {path: content}) into it. Returns the repository's path."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    git(path, "-c", "init.defaultBranch=%s" % branch, "init", "-q")
    git(path, "symbolic-ref", "HEAD", "refs/heads/%s" % branch)
    if files is not None or symlinks:
        commit(path, files or {}, message, symlinks)
    return path


def head(repo, rev="HEAD"):
    return git(repo, "rev-parse", rev)


# --------------------------------------------------------------------------
# Workspace trees


def dedent(text):
    return textwrap.dedent(text).lstrip("\n")


def workspace_yaml(organization="acme", members=None, extra=""):
    """workspace.yaml text: organization, members ({email: role text};
    default alice@acme.com as admin), the `oncall` alert the valid tree's
    sync names, and `extra` lines appended as they are."""
    members = members if members is not None else {"alice@acme.com": "admin"}
    lines = ["name: Test workspace", "organization: %s" % organization]
    if members:
        lines.append("members:")
        lines += ["  %s: %s" % (json.dumps(who) if who == "*" else who, role) for who, role in members.items()]
    lines += ["alerts:", "  oncall: { type: pagerduty, service: PXXXXXX }"]
    return "\n".join(lines) + "\n" + extra


def valid_tree(organization="acme", extra=None):
    """A minimal valid workspace tree: workspace.yaml (organization acme, an
    admin member), one source, one destination, one model and one sync.
    `extra` ({path: content or None}) adds, replaces or removes files."""
    tree = {
        "workspace.yaml": workspace_yaml(organization),
        "sources/warehouse.yaml": dedent(
            """
            name: Warehouse
            type: snowflake
            config:
              account: acme
              database: ANALYTICS
              password: { secret: SNOWFLAKE_PW }
            """
        ),
        "destinations/crm.yaml": dedent(
            """
            name: CRM
            type: salesforce
            config:
              instance: acme.my.salesforce.com
              access_token: { secret: SALESFORCE_TOKEN }
            """
        ),
        "models/active-users.yaml": dedent(
            """
            name: Active users
            source: warehouse
            type: sql
            sql: select * from users where active
            primary_key: user_id
            """
        ),
        "syncs/users-to-crm.yaml": dedent(
            """
            name: Users to CRM
            model: active-users
            destination: crm
            enabled: true
            schedule: { type: interval, every: 1h }
            alerts: [oncall]
            config:
              object: Contact
              mode: upsert
              mappings: [{ from: email, to: Email }]
            """
        ),
    }
    return with_extra(tree, extra)


def with_extra(tree, extra):
    """tree changed by extra ({path: content, or None to remove})."""
    for rel, content in (extra or {}).items():
        if content is None:
            tree.pop(rel, None)
        else:
            tree[rel] = content
    return tree


def wait_all(procs, seconds, what):
    """Waits for every process of a concurrent run; returns
    [(returncode, stdout, stderr)], or raises AssertionError (killing the
    rest) when they are not all done within `seconds`."""
    outcomes = []
    deadline = time.monotonic() + seconds
    for p in procs:
        try:
            out, err = p.communicate(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise AssertionError("a concurrent %s did not finish within %d s" % (what, seconds))
        outcomes.append((p.returncode, out.decode(), err.decode()))
    return outcomes


def config_text(workspaces):
    """ferry.yaml text for {name: {repo, branch?, path?}} (or {name: repo})."""
    lines = ["workspaces:"]
    for name, entry in workspaces.items():
        if isinstance(entry, (str, Path)):
            entry = {"repo": str(entry)}
        lines.append("  %s:" % name)
        for key in ("repo", "branch", "path"):
            if key in entry:
                lines.append("    %s: %s" % (key, json.dumps(str(entry[key]))))
    return "\n".join(lines) + "\n"


def write_config(folder, workspaces_or_text, name="ferry.yaml"):
    """Writes ferry.yaml into folder, from text or a dict (see config_text)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text = workspaces_or_text if isinstance(workspaces_or_text, (str, bytes)) else config_text(workspaces_or_text)
    path = folder / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


# --------------------------------------------------------------------------
# Running ferry


def ferry_env(env=None):
    """The inherited environment without FERRY_* and NO_COLOR, plus env
    (a value of None removes a variable)."""
    out = {k: v for k, v in os.environ.items() if not k.startswith("FERRY_") and k != "NO_COLOR"}
    # The suite runs once with ferry's cache and once without (SPEC 4).
    if os.environ.get("FERRY_TEST_NO_CACHE") == "1":
        out["FERRY_NO_CACHE"] = "1"
    out.pop("GITHUB_STEP_SUMMARY", None)
    out.pop("SOURCE_DATE_EPOCH", None)
    for k, v in (env or {}).items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = str(v)
    return out


def run_in_pty(args, cwd, env, answer=None, stdin=False):
    """Runs ferry with stdout and stderr on a pseudo-terminal, and standard
    input too when `stdin` or an `answer` is given: `answer` is typed when
    ferry asks `[y/N]`. Returns (returncode, everything shown)."""
    import pty
    import select

    master, slave = pty.openpty()
    on_terminal = stdin or answer is not None
    proc = subprocess.Popen([FERRY_BIN, *map(str, args)], cwd=str(cwd), env=env,
                            stdin=slave if on_terminal else subprocess.DEVNULL, stdout=slave, stderr=slave)
    # The slave stays open here until the end: once the last slave closes,
    # Linux may answer EIO on the master before the kernel has handed over
    # the child's last writes, and the end of the output would be lost.
    shown = b""
    deadline = time.monotonic() + 30
    exited_at = None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            data = os.read(master, 65536)
            shown += data
            exited_at = None
            if answer is not None and b"[y/N]" in shown:
                os.write(master, answer.encode() + b"\n")
                answer = None
            continue
        if proc.poll() is None:
            continue
        # Exited and quiet for a while: everything it wrote has been read.
        exited_at = exited_at or time.monotonic()
        if time.monotonic() - exited_at > 0.3:
            break
    os.close(slave)
    os.close(master)
    rc = proc.wait(timeout=30)
    return rc, shown.decode("utf-8", errors="replace")


class Result:
    """What one ferry run did. Unpacks as (returncode, stdout, stderr)."""

    def __init__(self, args, returncode, stdout, stderr, seconds):
        self.args = args
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds

    def __iter__(self):
        return iter((self.returncode, self.stdout, self.stderr))

    def describe(self, limit=4000):
        def cut(s):
            return s if len(s) <= limit else s[:limit] + "\n... (%d more characters)" % (len(s) - limit)

        return "ferry %s\n-> exit %s in %.2fs\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
            " ".join(self.args),
            self.returncode,
            self.seconds,
            cut(self.stdout),
            cut(self.stderr),
        )


def run(*args, cwd=None, env=None, timeout=60, input=None):
    """Runs ferry with args; returns a Result (returncode, stdout, stderr)."""
    args = [str(a) for a in args]
    start = time.monotonic()
    proc = subprocess.run(
        [FERRY_BIN, *args],
        cwd=str(cwd) if cwd is not None else None,
        env=ferry_env(env),
        input=input,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=timeout,
    )
    seconds = time.monotonic() - start
    out = proc.stdout.decode("utf-8", errors="replace")
    err = proc.stderr.decode("utf-8", errors="replace")
    return Result(args, proc.returncode, out, err, seconds)


def run_json(*args, cwd=None, env=None, timeout=60):
    """Runs ferry with `--format json` added; returns (Result, parsed stdout).
    Fails (AssertionError) when stdout is not exactly one JSON object."""
    result = run(*args, "--format", "json", cwd=cwd, env=env, timeout=timeout)
    try:
        data = json.loads(result.stdout)
    except ValueError as e:
        raise AssertionError("stdout is not one JSON document (%s)\n%s" % (e, result.describe()))
    if not isinstance(data, dict):
        raise AssertionError("stdout is JSON but not an object\n" + result.describe())
    return result, data


def parse_text_diagnostics(stderr):
    """Parses text-mode diagnostics: `error[CODE]: message` lines, each
    optionally followed by `--> file[:line:column]`. Returns a list of dicts
    {severity, code, message, file, line, column} (missing parts None)."""
    out = []
    for line in stderr.splitlines():
        m = DIAG_HEADER.match(line)
        if m:
            out.append(
                {"severity": m.group(1), "code": m.group(2), "message": m.group(3), "file": None, "line": None, "column": None}
            )
            continue
        w = DIAG_WHERE.match(line)
        if w and out and out[-1]["file"] is None:
            out[-1]["file"] = w.group(1)
            out[-1]["line"] = int(w.group(2)) if w.group(2) else None
            out[-1]["column"] = int(w.group(3)) if w.group(3) else None
    return out


def workspace_names(data):
    """The workspace names of a validate JSON result's `workspaces` list
    (entries may be names or objects naming one)."""
    names = []
    for w in data.get("workspaces", []):
        if isinstance(w, str):
            names.append(w)
        elif isinstance(w, dict):
            names.append(w.get("workspace", w.get("name")))
    return names


def crashed(result):
    """True when ferry died of a signal or printed a crash/internal error."""
    text = result.stderr + result.stdout
    return (
        result.returncode < 0
        or result.returncode > 125
        or "terminate called" in text
        or "Segmentation fault" in text
        or "AddressSanitizer" in text
        or "runtime error:" in text
        or "error[internal]" in text
    )


# --------------------------------------------------------------------------
# Base test case


class FerryTestCase(unittest.TestCase):
    """Gives each test a fresh temp dir (self.tmp), removed when the test
    passes and kept (path printed) when it fails, plus helpers."""

    maxDiff = None

    def setUp(self):
        super().setUp()
        if not Path(FERRY_BIN).is_file():
            self.fail("ferry binary not found at %s (set FERRY_BIN)" % FERRY_BIN)
        self.tmp = Path(tempfile.mkdtemp(prefix="ferry-e2e-%s-" % self._testMethodName[:40])).resolve()
        self.addCleanup(self._remove_tmp)

    def _remove_tmp(self):
        outcome = getattr(self, "_outcome", None)
        passed = bool(outcome is not None and getattr(outcome, "success", False))
        if passed and not os.environ.get("E2E_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            print("\n[kept temp dir for %s: %s]" % (self.id(), self.tmp), file=sys.stderr)

    # ---- building organizations

    def make_org(self, trees, configs=None, folder=None):
        """Creates one repository per workspace ({name: tree dict}) under
        folder (default self.tmp) as folder/<name>, and folder/ferry.yaml
        naming them (configs[name] adds branch/path). Returns folder."""
        folder = Path(folder or self.tmp)
        workspaces = {}
        for name, tree in trees.items():
            make_repo(folder / name, tree)
            entry = {"repo": name}
            entry.update((configs or {}).get(name, {}))
            workspaces[name] = entry
        write_config(folder, workspaces)
        return folder

    def single(self, extra=None, name="dev"):
        """An organization of one workspace `name`: a valid tree changed by
        extra. Returns the repository's path."""
        self.make_org({name: valid_tree(extra=extra)})
        return self.tmp / name

    # ---- running

    def ferry(self, *args, cwd=None, env=None, timeout=60):
        result = run(*args, cwd=cwd or self.tmp, env=env, timeout=timeout)
        self.assertFalse(crashed(result), "ferry crashed\n" + result.describe())
        return result

    def ferry_json(self, *args, cwd=None, env=None, timeout=60):
        result, data = run_json(*args, cwd=cwd or self.tmp, env=env, timeout=timeout)
        self.assertFalse(crashed(result), "ferry crashed\n" + result.describe())
        self.assertIsInstance(data.get("errors"), list, "JSON result has no `errors` array\n" + result.describe())
        self.assertIsInstance(data.get("warnings"), list, "JSON result has no `warnings` array\n" + result.describe())
        for entry in data["errors"] + data["warnings"]:
            self.check_json_diagnostic(entry, result)
        return result, data

    # ---- assertions

    def check_json_diagnostic(self, entry, result):
        """SPEC 4.1: {code, message, address, workspace, file, line, column,
        hint}, absent fields omitted, lines and columns counted from 1; a
        location names its workspace (`workspace` beside `file`) but for
        files outside any, such as ferry.yaml."""
        ctx = "\n" + json.dumps(entry) + "\n" + result.describe()
        self.assertIsInstance(entry, dict, ctx)
        self.assertIsInstance(entry.get("code"), str, ctx)
        self.assertRegex(entry["code"], r"^[a-z][a-z-]*$", ctx)
        self.assertIsInstance(entry.get("message"), str, ctx)
        self.assertTrue(entry["message"], ctx)
        self.assertTrue(set(entry) <= {"code", "message", "address", "workspace", "file", "line", "column", "hint"}, ctx)
        if "workspace" in entry:
            self.assertIn("file", entry, ctx)
        for key in ("address", "workspace", "file", "hint"):
            if key in entry:
                self.assertIsInstance(entry[key], str, ctx)
        for key in ("line", "column"):
            if key in entry:
                self.assertIsInstance(entry[key], int, ctx)
                self.assertGreaterEqual(entry[key], 1, ctx)

    def assertExit(self, result, code):
        self.assertEqual(result.returncode, code, "unexpected exit code\n" + result.describe())

    def find_json(self, data, code, severity="errors"):
        return [d for d in data.get(severity, []) if d.get("code") == code]

    def assertJsonDiag(self, result, data, code, severity="errors", file=None, line=None, column=None, address=None,
                       message_contains=(), hint_contains=()):
        """Asserts a diagnostic with this code (and, when given, file ending
        with `file`, line, column, address, message and hint fragments) is
        among data[severity]. Returns it."""
        found = self.find_json(data, code, severity)
        ctx = "\n" + result.describe()
        self.assertTrue(found, "no %s with code %r%s" % (severity, code, ctx))
        matches = []
        for d in found:
            if file is not None and not str(d.get("file", "")).endswith(file):
                continue
            if line is not None and d.get("line") != line:
                continue
            if column is not None and d.get("column") != column:
                continue
            if address is not None and d.get("address") != address:
                continue
            if any(frag not in d.get("message", "") for frag in _tuple(message_contains)):
                continue
            if any(frag not in d.get("hint", "") for frag in _tuple(hint_contains)):
                continue
            matches.append(d)
        self.assertTrue(
            matches,
            "no %s %r with file=%r line=%r column=%r address=%r message~%r hint~%r; found: %s%s"
            % (severity, code, file, line, column, address, message_contains, hint_contains, json.dumps(found, indent=1), ctx),
        )
        return matches[0]

    def assertTextDiag(self, result, code, severity="error", file=None, line=None, column=None):
        """Asserts stderr holds `severity[code]: message` with `--> file:line:column`
        (file checked as a suffix) when given. Returns the parsed diagnostic."""
        diags = parse_text_diagnostics(result.stderr)
        found = [d for d in diags if d["code"] == code and d["severity"] == severity]
        ctx = "\n" + result.describe()
        self.assertTrue(found, "no %s[%s] on stderr%s" % (severity, code, ctx))
        matches = [
            d
            for d in found
            if (file is None or (d["file"] or "").endswith(file))
            and (line is None or d["line"] == line)
            and (column is None or d["column"] == column)
        ]
        self.assertTrue(matches, "no %s[%s] --> %s:%s:%s on stderr; found %r%s" % (severity, code, file, line, column, found, ctx))
        self.assertNotRegex(result.stdout, r"(?m)^(error|warning)\[", "diagnostics must go to stderr, not stdout" + ctx)
        return matches[0]

    def assertValid(self, *args, cwd=None, env=None):
        """Runs `validate args` in JSON and text; both must succeed cleanly."""
        result, data = self.ferry_json("validate", *args, cwd=cwd, env=env)
        self.assertExit(result, 0)
        self.assertEqual(data["errors"], [], result.describe())
        text = self.ferry("validate", *args, cwd=cwd, env=env)
        self.assertExit(text, 0)
        self.assertFalse([d for d in parse_text_diagnostics(text.stderr) if d["severity"] == "error"], text.describe())
        return result, data

    def assertInvalid(self, code, *args, cwd=None, env=None, **where):
        """Runs `validate args` in JSON and text: exit 1 and the error `code`
        in both (with the location given in where: file, line, column, and
        address / message_contains / hint_contains for JSON). Returns
        (json result, data, text result)."""
        result, data = self.ferry_json("validate", *args, cwd=cwd, env=env)
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, code, **where)
        text = self.ferry("validate", *args, cwd=cwd, env=env)
        self.assertExit(text, 1)
        self.assertTextDiag(text, code, file=where.get("file"), line=where.get("line"), column=where.get("column"))
        return result, data, text


def _tuple(x):
    if isinstance(x, str):
        return (x,)
    return tuple(x)


# --------------------------------------------------------------------------
# Writing commands (link, unlink, ...): repositories after a write


def isolated_env(home, env=None):
    """env for a ferry run that sees no global git configuration: HOME and
    XDG_CONFIG_HOME point into `home` (created empty), so a user.email or
    user.name of the machine's ~/.gitconfig cannot stand in for the actor or
    the committer. `env` adds variables (see ferry_env)."""
    home = Path(home)
    (home / ".config").mkdir(parents=True, exist_ok=True)
    out = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "GIT_CONFIG_NOSYSTEM": "1"}
    out.update(env or {})
    return out


def git_fsck(repo):
    """Runs `git fsck --strict` in repo; returns (exit code, output)."""
    env = dict(os.environ)
    env.update(GIT_ENV)
    proc = subprocess.run(
        ["git", *GIT_OPTS, "fsck", "--strict", "--no-progress"],
        cwd=str(repo),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return proc.returncode, proc.stdout


def file_at(repo, rev, path):
    """The text of path at rev in repo, or None when it is absent there."""
    env = dict(os.environ)
    env.update(GIT_ENV)
    proc = subprocess.run(
        ["git", *GIT_OPTS, "cat-file", "blob", "%s:%s" % (rev, path)],
        cwd=str(repo),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("utf-8")


def tree_listing(repo, rev="HEAD"):
    """{path: (mode, object id)} of every file in rev's tree."""
    out = {}
    for line in git(repo, "ls-tree", "-r", "--full-tree", rev).splitlines():
        meta, path = line.split("\t", 1)
        mode, _type, oid = meta.split()
        out[path] = (mode, oid)
    return out


def changed_paths(repo, rev):
    """The paths rev changes relative to its first parent."""
    text = git(repo, "diff-tree", "--no-commit-id", "--name-only", "-r", "--root", rev)
    return sorted(text.splitlines())


def worktree_status(repo):
    """`git status --porcelain` of a non-bare repository (untracked files
    included), as a list of lines."""
    env = dict(os.environ)
    env.update(GIT_ENV)
    proc = subprocess.run(
        ["git", *GIT_OPTS, "status", "--porcelain", "--untracked-files=all"],
        cwd=str(repo),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    return [l for l in proc.stdout.splitlines() if l.strip()]


# --------------------------------------------------------------------------
# Deployments (ferry reconcile): two linked workspaces and the plan schema

PLAN_SCHEMA_PATH = SOURCE_DIR / "schemas" / "plan.schema.json"

DEPLOY_MEMBERS = {
    "alice@acme.com": "admin",
    "bob@acme.com": "editor",
    "dan@acme.com": "{ models: draft, syncs: draft }",
    "vic@acme.com": "viewer",
}


# ferry.yaml of a monorepo holding dev, staging and prod under workspaces/,
# as the action's tests check it out.
MONOREPO_FERRY_YAML = """\
workspaces:
  dev:
    repo: .
    branch: main
    path: workspaces/dev
  staging:
    repo: .
    branch: main
    path: workspaces/staging
  prod:
    repo: .
    branch: main
    path: workspaces/prod
"""

# dev's links.yaml of deploy_trees: the pairs linked before any deployment.
DEPLOY_LINKS_YAML = """\
sources:
  wh-dev: { prod: warehouse }
destinations:
  crm-sandbox: { prod: crm }
models:
  users: { prod: users }
syncs:
  users-crm: { prod: users-crm }
"""
# The same with a model link whose prod side is gone.
STALE_LINKS_YAML = DEPLOY_LINKS_YAML.replace("  users: { prod: users }\n",
                                             "  users: { prod: users }\n  gone: { prod: gone }\n")


def deploy_workspace_yaml(members=None, extra=""):
    """workspace.yaml for deployment tests: DEPLOY_MEMBERS (alice admin, bob
    editor, dan draft on models and syncs, vic viewer), the `oncall` alert
    and the `dbt` extension, then `extra` lines."""
    return workspace_yaml(
        members=members if members is not None else DEPLOY_MEMBERS,
        extra="extensions:\n  dbt: { repository: git@github.com:acme/dbt.git }\n" + extra,
    )


def many_models(count, source="wh-dev"):
    """{path: content} of `count` small models m000, m001, ... on `source`
    (dev's source in deploy_trees): a write of that many files."""
    return {"models/m%03d.yaml" % i: "name: M%d\nsource: %s\ntype: sql\nsql: select %d\n" % (i, source, i)
            for i in range(count)}


def deploy_trees(dev_extra=None, prod_extra=None):
    """({dev tree}, {prod tree}): dev's source wh-dev and destination
    crm-sandbox are linked to prod's warehouse and crm; model `users` and
    sync `users-crm` were deployed before (linked, same ids) and have changed
    in dev since (sql, one mapping). dev also has a new model `new-model` and
    a new sync `new-sync` on it, never deployed. The links are in dev's
    links.yaml only. `dev_extra` / `prod_extra` ({path: content or None})
    add, replace or remove files."""
    dev = {
        "workspace.yaml": deploy_workspace_yaml(),
        "sources/wh-dev.yaml": "name: WH dev\ntype: snowflake\n",
        "destinations/crm-sandbox.yaml": "name: CRM sandbox\ntype: salesforce\n",
        "models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 2\n",
        "models/new-model.yaml": "name: New\nsource: wh-dev\ntype: table\ntable: new_table\n",
        "syncs/users-crm.yaml": dedent(
            """
            name: Users to CRM
            model: users
            destination: crm-sandbox
            enabled: true
            schedule: { type: interval, every: 1h }
            config:
              object: Contact
              mappings: [{ from: email, to: EmailAddress }]
            """
        ),
        "syncs/new-sync.yaml": dedent(
            """
            name: New sync
            model: new-model
            destination: crm-sandbox
            enabled: true
            schedule: { type: interval, every: 1d }
            config: { object: Lead }
            """
        ),
        "links.yaml": DEPLOY_LINKS_YAML,
    }
    prod = {
        "workspace.yaml": deploy_workspace_yaml(),
        "sources/warehouse.yaml": "name: WH\ntype: snowflake\n",
        "destinations/crm.yaml": "name: CRM\ntype: salesforce\n",
        "models/users.yaml": "name: Users\nsource: warehouse\ntype: sql\nsql: select 1\n",
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
              mappings: [{ from: email, to: Email }]
            """
        ),
    }
    for tree, extra in ((dev, dev_extra), (prod, prod_extra)):
        for rel, content in (extra or {}).items():
            if content is None:
                tree.pop(rel, None)
            else:
                tree[rel] = content
    return dev, prod


def plan_schema_errors(data):
    """The messages of every violation of schemas/plan.schema.json by data
    (uses the `jsonschema` module)."""
    import jsonschema  # not in the standard library: only plan tests need it

    schema = json.loads(PLAN_SCHEMA_PATH.read_text())
    validator = jsonschema.Draft7Validator(schema)
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path), e.message) for e in validator.iter_errors(data)]


def commit_info(repo, rev="HEAD"):
    """{author_name, author_email, author_time, committer_time, message,
    parents} of a commit."""
    sep = "\x1f"
    text = git(repo, "log", "-1", "--format=%an" + sep + "%ae" + sep + "%at" + sep + "%ct" + sep + "%P" + sep + "%B", rev)
    name, email, atime, ctime, parents, message = text.split(sep, 5)
    return {
        "author_name": name,
        "author_email": email,
        "author_time": int(atime),
        "committer_time": int(ctime),
        "parents": parents.split(),
        "message": message,
    }


_ORG_TEMPLATES = {}


def _remove_org_templates():
    for template in _ORG_TEMPLATES.values():
        shutil.rmtree(template.parent, ignore_errors=True)


atexit.register(_remove_org_templates)


class IsolatedEnvCase(FerryTestCase):
    """Runs ferry with `self.base_env` (set in setUp, e.g. by isolated_env)
    under whatever a test adds."""

    def _env(self, env):
        merged = dict(self.base_env)
        merged.update(env or {})
        return merged

    def ferry(self, *args, cwd=None, env=None, timeout=60):
        return super().ferry(*args, cwd=cwd, env=self._env(env), timeout=timeout)

    def ferry_json(self, *args, cwd=None, env=None, timeout=60):
        return super().ferry_json(*args, cwd=cwd, env=self._env(env), timeout=timeout)


class DeployCase(IsolatedEnvCase):
    """Runs ferry as alice@acme.com (FERRY_ACTOR) with no global git
    configuration, and checks every JSON plan against the plan schema."""

    ACTOR = "alice@acme.com"

    def setUp(self):
        super().setUp()
        self.base_env = isolated_env(self.tmp / "home", {"FERRY_ACTOR": self.ACTOR})


    def deploy_org(self, dev_extra=None, prod_extra=None, configs=None, folder=None):
        """dev and prod from deploy_trees (repositories folder/dev and
        folder/prod, folder/ferry.yaml); returns the folder. The same trees
        are made once per test run and copied after that."""
        dev, prod = deploy_trees(dev_extra, prod_extra)
        folder = Path(folder or self.tmp)
        key = json.dumps([dev, prod, configs], sort_keys=True, default=str)
        template = _ORG_TEMPLATES.get(key)
        if template is None:
            template = Path(tempfile.mkdtemp(prefix="ferry-e2e-template-")) / "org"
            self.make_org({"dev": dev, "prod": prod}, configs, folder=template)
            _ORG_TEMPLATES[key] = template
        for name in ("dev", "prod"):
            if (folder / name).exists():
                shutil.rmtree(folder / name)
            shutil.copytree(template / name, folder / name, symlinks=True)
        shutil.copy2(template / "ferry.yaml", folder / "ferry.yaml")
        return folder

    def assertPlanSchema(self, data, result=None):
        problems = plan_schema_errors(data)
        self.assertEqual(problems, [], "the plan does not match schemas/plan.schema.json\n" +
                         (result.describe() if result else json.dumps(data, indent=1)[:4000]))

    def plan(self, *args, cwd=None, env=None, dry_run=True, timeout=60):
        """`reconcile --from dev --to prod` (by default) with args, in JSON;
        the plan is checked against the schema. Returns (result, plan)."""
        base = ["reconcile"]
        if "--from" not in args:
            base += ["--from", "dev"]
        if "--to" not in args:
            base += ["--to", "prod"]
        if dry_run:
            base.append("--dry-run")
        result, data = self.ferry_json(*base, *args, cwd=cwd, env=env, timeout=timeout)
        self.assertPlanSchema(data, result)
        return result, data

    def reconcile(self, *args, cwd=None, env=None, dry_run=True, timeout=60):
        """The same in text form. Returns the Result."""
        base = ["reconcile"]
        if "--from" not in args:
            base += ["--from", "dev"]
        if "--to" not in args:
            base += ["--to", "prod"]
        if dry_run:
            base.append("--dry-run")
        return self.ferry(*base, *args, cwd=cwd, env=env, timeout=timeout)

    def change(self, data, address):
        found = [c for c in data.get("changes", []) if c.get("address") == address]
        self.assertEqual(len(found), 1, "expected one change of %s in %s" % (address, json.dumps(data.get("changes"), indent=1)))
        return found[0]

    def addresses(self, data):
        return [c["address"] for c in data.get("changes", [])]


_REPO_TEMPLATES = {}
_REPO_TEMPLATE_DIR = None


def make_repo_cached(path, files, branch="main"):
    """make_repo(path, files, branch), faster when the same files were made
    into a repository before in this process: that repository is copied
    (same commit ids, as make_repo's commits are deterministic). The copies'
    originals live in one temp folder removed at exit."""
    global _REPO_TEMPLATE_DIR
    import atexit
    import hashlib

    key = hashlib.sha256(
        json.dumps([branch, sorted((k, v if isinstance(v, str) else v.hex()) for k, v in files.items())]).encode()
    ).hexdigest()
    template = _REPO_TEMPLATES.get(key)
    if template is None or not template.is_dir():
        if _REPO_TEMPLATE_DIR is None:
            _REPO_TEMPLATE_DIR = Path(tempfile.mkdtemp(prefix="ferry-e2e-templates-"))
            atexit.register(shutil.rmtree, str(_REPO_TEMPLATE_DIR), True)
        template = _REPO_TEMPLATE_DIR / key[:16]
        if template.exists():
            shutil.rmtree(template)
        make_repo(template, files, branch=branch)
        _REPO_TEMPLATES[key] = template
    path = Path(path)
    shutil.copytree(template, path, symlinks=True)
    return path


def make_bare_repo_fast(path, files, branch="main", message="initial commit"):
    """Creates a bare repository at path whose `branch` holds one commit of
    files ({path: str or bytes}), built with `git fast-import` (no work tree:
    fast for thousands of files). Returns the repository's path."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "--bare")
    git(path, "symbolic-ref", "HEAD", "refs/heads/%s" % branch)
    chunks = [b"commit refs/heads/%s\n" % branch.encode(),
              b"author Ferry Tests <tests@acme.com> 1793523600 +0000\n",
              b"committer Ferry Tests <tests@acme.com> 1793523600 +0000\n"]
    msg = message.encode()
    chunks.append(b"data %d\n%s\n" % (len(msg), msg))
    for rel, content in sorted(files.items()):
        data = content.encode("utf-8") if isinstance(content, str) else content
        chunks.append(b"M 100644 inline %s\ndata %d\n%s\n" % (rel.encode(), len(data), data))
    env = dict(os.environ)
    env.update(GIT_ENV)
    subprocess.run(["git", *GIT_OPTS, "fast-import", "--quiet"], cwd=str(path), env=env, input=b"".join(chunks),
                   check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return path
