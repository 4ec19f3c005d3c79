"""Repositories named by URL in ferry.yaml: a bare clone in the repository
cache, fetched on every run, written through to the remote. The remotes are
bare repositories on disk served by `file://` URLs."""

import base64
import http.server
import json
import os
import shutil
import subprocess
import threading
import unittest
from pathlib import Path

from harness import (
    FERRY_BIN,
    DeployCase,
    commit,
    file_at,
    git,
    git_fsck,
    head,
    parse_text_diagnostics,
    run_in_pty,
    ferry_env,
    wait_all,
    write_config,
)


class RemoteCase(DeployCase):
    """dev and prod of the deployment trees, each pushed to a bare remote
    (tmp/remotes/NAME.git) that ferry.yaml (tmp/org) names by file:// URL;
    clones are kept in tmp/cache (FERRY_REPO_CACHE)."""

    def setUp(self):
        super().setUp()
        self.cache = self.tmp / "cache"
        self.base_env["FERRY_REPO_CACHE"] = str(self.cache)
        # wh2 in both, of one type and not linked: something to link.
        wh2 = {"sources/wh2.yaml": "name: WH2\ntype: snowflake\n"}
        self.deploy_org(wh2, wh2, folder=self.tmp / "local")
        self.remotes = {}
        for name in ("dev", "prod"):
            bare = self.tmp / "remotes" / ("%s.git" % name)
            git(self.tmp, "clone", "-q", "--bare", str(self.tmp / "local" / name), str(bare))
            self.remotes[name] = bare
        self.org = self.tmp / "org"
        self.configure()

    def url(self, name):
        return self.remotes[name].as_uri()

    def configure(self, entries=None):
        write_config(self.org, entries or {"dev": {"repo": self.url("dev")}, "prod": {"repo": self.url("prod")}})

    def ferry(self, *args, cwd=None, env=None, timeout=60):
        return super().ferry(*args, cwd=cwd or self.org, env=env, timeout=timeout)

    def ferry_json(self, *args, cwd=None, env=None, timeout=60):
        return super().ferry_json(*args, cwd=cwd or self.org, env=env, timeout=timeout)

    def push_to(self, name, files, message="someone else's change"):
        """Commits files to the remote's main from a clone of it; returns the commit."""
        work = self.tmp / ("work-%s" % name)
        if not work.exists():
            git(self.tmp, "clone", "-q", str(self.remotes[name]), str(work))
        git(work, "pull", "-q", "--ff-only")
        new = commit(work, files, message)
        git(work, "push", "-q", "origin", "main")
        return new

    def clones(self):
        return sorted(p.name for p in self.cache.iterdir() if p.is_dir()) if self.cache.exists() else []

    def assertRemoteFsck(self):
        for bare in self.remotes.values():
            rc, out = git_fsck(bare)
            self.assertEqual(rc, 0, "git fsck --strict failed in %s:\n%s" % (bare, out))


class ReadTest(RemoteCase):
    def test_validate(self):
        result, data = self.ferry_json("validate")
        self.assertExit(result, 0)
        self.assertEqual(data["errors"], [], result.describe())
        commits = {w["workspace"]: w["commit"] for w in data["workspaces"]}
        self.assertEqual(commits, {name: head(bare, "main") for name, bare in self.remotes.items()})
        self.assertEqual(len(self.clones()), 2, "one clone per URL")
        for clone in self.clones():
            self.assertTrue((self.cache / clone / "HEAD").is_file(), "a bare clone")
            self.assertTrue(clone.startswith(str(self.tmp).strip("/").replace("/", "-")[:20]), clone)

    def test_dry_run_plans_from_the_remote_tips(self):
        result, remote = self.plan(cwd=self.org)
        self.assertExit(result, 0)
        local_result, local = self.plan(cwd=self.tmp / "local")
        self.assertEqual(remote, local, "the same plan as from the repositories the remotes were made from")
        self.assertEqual(remote["to"]["commit"], head(self.remotes["prod"], "main"))
        self.assertTrue(remote["changes"])
        self.assertEqual(head(self.remotes["prod"], "main"), head(self.tmp / "local" / "prod", "main"),
                         "--dry-run writes nothing")

    def test_every_run_fetches(self):
        result, data = self.ferry_json("validate", "prod")
        self.assertExit(result, 0)
        new = self.push_to("prod", {"README.md": "hello\n"})
        result, data = self.ferry_json("validate", "prod")
        self.assertExit(result, 0)
        self.assertEqual(data["workspaces"][0]["commit"], new, "the new remote commit is read at once")
        # A branch made on the remote is there too; one removed is gone.
        work = self.tmp / "work-prod"
        git(work, "push", "-q", "origin", "main:refs/heads/feature")
        result, data = self.ferry_json("validate", "prod@feature")
        self.assertExit(result, 0)
        self.assertEqual(data["workspaces"][0]["commit"], new)
        git(work, "push", "-q", "origin", ":refs/heads/feature")
        result, data = self.ferry_json("validate", "prod@feature")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "git", message_contains="feature")

    def test_other_refs_are_fetched_when_asked_for(self):
        work = self.tmp / "work-prod"
        self.push_to("prod", {"README.md": "main\n"})
        pull = commit(work, {"README.md": "a pull request\n"}, "proposed")
        git(work, "push", "-q", "origin", "HEAD:refs/pull/7/head")
        result, data = self.ferry_json("validate", "prod@refs/pull/7/head")
        self.assertExit(result, 0)
        self.assertEqual(data["workspaces"][0]["commit"], pull)
        # Moved on the remote: the next run reads the new one.
        again = commit(work, {"README.md": "a pull request, amended\n"}, "proposed again")
        git(work, "push", "-q", "-f", "origin", "HEAD:refs/pull/7/head")
        result, data = self.ferry_json("validate", "prod@refs/pull/7/head")
        self.assertEqual(data["workspaces"][0]["commit"], again, result.describe())

    def test_default_branch_is_the_remotes_head(self):
        git(self.remotes["prod"], "branch", "-q", "release", "main")
        new = self.push_to("prod", {"README.md": "on main only\n"})
        git(self.remotes["prod"], "symbolic-ref", "HEAD", "refs/heads/release")
        result, data = self.ferry_json("validate", "prod")
        self.assertExit(result, 0)
        self.assertEqual(data["workspaces"][0]["ref"], "release")
        self.assertNotEqual(data["workspaces"][0]["commit"], new)


class WriteTest(RemoteCase):
    def test_reconcile_pushes_the_commit(self):
        before = head(self.remotes["prod"], "main")
        result, data = self.plan(dry_run=False)
        self.assertExit(result, 0)
        after = head(self.remotes["prod"], "main")
        self.assertNotEqual(after, before)
        self.assertEqual(git(self.remotes["prod"], "rev-parse", after + "^"), before)
        self.assertEqual(data["written"], {"workspace": "prod", "branch": "main", "commit": after, "pushed": True})
        self.assertIn("select 2", file_at(self.remotes["prod"], "main", "models/users.yaml"))
        self.assertRemoteFsck()
        # Planned again: nothing left to do.
        result = self.reconcile()
        self.assertEqual([l for l in result.stdout.splitlines() if l.strip()][-1], "No changes.", result.describe())

    def test_reconcile_text_says_pushed(self):
        result = self.reconcile(dry_run=False)
        self.assertExit(result, 0)
        self.assertIn("Committed %s to prod (main), pushed." % head(self.remotes["prod"], "main")[:12],
                      result.stdout)

    def test_branch_option_pushes_that_branch_only(self):
        main = head(self.remotes["prod"], "main")
        result, data = self.plan("--branch", "deploy/users", dry_run=False)
        self.assertExit(result, 0)
        self.assertEqual(head(self.remotes["prod"], "refs/heads/deploy/users"), data["written"]["commit"])
        self.assertEqual(head(self.remotes["prod"], "main"), main)

    def test_apply_a_saved_plan(self):
        plan_file = self.tmp / "plan.json"
        result, data = self.plan("--out", plan_file)
        self.assertExit(result, 0)
        result, data = self.ferry_json("apply", plan_file)
        self.assertExit(result, 0)
        self.assertEqual(data["written"]["commit"], head(self.remotes["prod"], "main"))
        self.assertTrue(data["written"]["pushed"])

    def test_a_remote_that_moved_since_the_plan_is_a_stale_plan(self):
        plan_file = self.tmp / "plan.json"
        result, data = self.plan("--out", plan_file)
        theirs = self.push_to("prod", {"README.md": "someone else\n"})
        result, data = self.ferry_json("apply", plan_file)
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "stale-plan")
        self.assertEqual(head(self.remotes["prod"], "main"), theirs)

    def test_link_and_publish_push(self):
        before = head(self.remotes["prod"], "main")
        result, data = self.ferry_json("link", "dev:sources/wh2", "prod:sources/wh2")
        self.assertExit(result, 0)
        commits = {c["workspace"]: c["commit"] for c in data["commits"]}
        self.assertEqual(commits, {"dev": head(self.remotes["dev"], "main"), "prod": head(self.remotes["prod"], "main")})
        self.assertNotEqual(head(self.remotes["prod"], "main"), before)
        self.assertRemoteFsck()

    def test_concurrent_writers_through_one_clone(self):
        # Runs on one machine take turns on the clone: each writes on the
        # tip the other pushed, and both deployments reach the remote.
        before = head(self.remotes["prod"], "main")
        procs = [subprocess.Popen([FERRY_BIN, "reconcile", "--from", "dev", "--to", "prod", "--select", select,
                                   "--format", "json"], cwd=str(self.org), env=ferry_env(self.base_env),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for select in ("models/users", "models/new-model")]
        outcomes = wait_all(procs, 60, "ferry reconcile")
        self.assertEqual([rc for rc, out, err in outcomes], [0, 0], outcomes)
        self.assertEqual(git(self.remotes["prod"], "rev-list", "--count", before + "..main"), "2")
        self.assertIn("select 2", file_at(self.remotes["prod"], "main", "models/users.yaml"))
        self.assertIsNotNone(file_at(self.remotes["prod"], "main", "models/new-model.yaml"))
        self.assertRemoteFsck()

    def make_monorepo(self):
        """A bare remote holding dev's tree under dev/ and prod's under prod/."""
        work = self.tmp / "mono-work"
        work.mkdir()
        git(work, "init", "-q")
        for name in ("dev", "prod"):
            shutil.copytree(self.tmp / "local" / name, work / name, ignore=shutil.ignore_patterns(".git"))
        commit(work, None, "both workspaces")
        mono = self.tmp / "remotes" / "mono.git"
        git(self.tmp, "clone", "-q", "--bare", str(work), str(mono))
        self.remotes["mono"] = mono
        return mono

    def test_monorepo_shares_one_clone_and_one_commit(self):
        mono = self.make_monorepo()
        self.configure({"dev": {"repo": mono.as_uri(), "path": "dev"},
                        "prod": {"repo": mono.as_uri() + "/", "path": "prod"}})
        before = head(mono, "main")
        result, data = self.ferry_json("link", "dev:sources/wh2", "prod:sources/wh2")
        self.assertExit(result, 0)
        self.assertEqual(len(self.clones()), 1, "one clone for one URL")
        self.assertEqual(git(mono, "rev-parse", "main^"), before, "one commit for both workspaces")
        self.assertEqual(sorted(git(mono, "diff-tree", "--no-commit-id", "--name-only", "-r", "main").splitlines()),
                         ["dev/links.yaml", "prod/links.yaml"])

    def test_a_remote_that_moves_while_writing_is_planned_again(self):
        # Two URLs of one remote are two clones, each fetched once: the
        # second write finds the remote moved by the first, fetches, and
        # writes again on the new tip, never over the first.
        mono = self.make_monorepo()
        alias = self.tmp / "remotes" / "alias.git"
        alias.symlink_to(mono)
        self.configure({"dev": {"repo": mono.as_uri(), "path": "dev"},
                        "prod": {"repo": alias.as_uri(), "path": "prod"}})
        before = head(mono, "main")
        result, data = self.ferry_json("link", "dev:sources/wh2", "prod:sources/wh2")
        self.assertExit(result, 0)
        self.assertEqual(len(self.clones()), 2)
        self.assertEqual(git(mono, "rev-list", "--count", before + "..main"), "2", "two commits, one per clone")
        self.assertIn("wh2: { dev: wh2 }", file_at(mono, "main", "prod/links.yaml"))
        self.assertIn("wh2: { prod: wh2 }", file_at(mono, "main", "dev/links.yaml"))
        self.assertRemoteFsck()


class ProblemTest(RemoteCase):
    def test_unreachable_url_is_a_git_error(self):
        missing = (self.tmp / "remotes" / "missing.git").as_uri()
        self.configure({"dev": {"repo": self.url("dev")}, "prod": {"repo": missing}})
        result, data = self.ferry_json("validate", "prod")
        self.assertExit(result, 1)
        diag = self.assertJsonDiag(result, data, "git", file="ferry.yaml", message_contains=missing)
        self.assertIn("prod", diag["message"])
        text = self.ferry("validate", "prod")
        self.assertExit(text, 1)
        self.assertTextDiag(text, "git", file="ferry.yaml")
        self.assertEqual([d for d in parse_text_diagnostics(text.stderr) if d["code"] != "git"], [])

    def test_reconcile_with_an_unreachable_target(self):
        self.configure({"dev": {"repo": self.url("dev")}, "prod": {"repo": "file:///nonexistent/prod.git"}})
        result = self.reconcile(dry_run=False)
        self.assertExit(result, 1)
        self.assertTextDiag(result, "git")
        self.assertIn("file:///nonexistent/prod.git", result.stderr)

    def test_password_in_url_is_never_shown(self):
        url = "http://ferry:hunter2@127.0.0.1:9/prod.git"
        self.configure({"dev": {"repo": self.url("dev")}, "prod": {"repo": url}})
        result, data = self.ferry_json("validate", "prod")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "git", message_contains="http://ferry@127.0.0.1:9/prod.git")
        self.assertNotIn("hunter2", result.stdout + result.stderr)
        for clone in self.clones():
            self.assertNotIn("hunter2", clone)

    def test_a_token_as_user_or_a_password_with_a_slash_is_never_shown(self):
        for url, secret, shown in (
                ("http://ghp_t0ken5ecret@127.0.0.1:9/prod.git", "ghp_t0ken5ecret", "http://***@127.0.0.1:9/prod.git"),
                ("http://ferry:hun/ter2@127.0.0.1:9/prod.git", "ter2", "http://ferry@127.0.0.1:9/prod.git")):
            with self.subTest(url=url):
                self.configure({"dev": {"repo": self.url("dev")}, "prod": {"repo": url}})
                for fmt in ("json", "text", "github"):
                    result = self.ferry("-v", "--format", fmt, "validate", "prod")
                    self.assertExit(result, 1)
                    self.assertNotIn(secret, result.stdout + result.stderr)
                    self.assertIn(shown, result.stdout + result.stderr)
                for clone in self.clones():
                    self.assertNotIn(secret, clone)

    def test_a_failed_fetch_never_reads_the_cached_clone(self):
        result, data = self.ferry_json("validate", "prod")
        self.assertExit(result, 0)
        os.rename(self.remotes["prod"], self.tmp / "gone.git")
        result, data = self.ferry_json("validate", "prod")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "git", message_contains=self.url("prod"))


class CacheAndOutputTest(RemoteCase):
    def test_cache_location(self):
        home = Path(self.base_env["HOME"])
        for env, where in (({}, self.cache),
                           ({"FERRY_REPO_CACHE": None, "XDG_CACHE_HOME": self.tmp / "xdg"}, self.tmp / "xdg" / "ferry" / "repos"),
                           ({"FERRY_REPO_CACHE": None, "XDG_CACHE_HOME": None}, home / ".cache" / "ferry" / "repos")):
            result = self.ferry("validate", "prod", env=env)
            self.assertExit(result, 0)
            clones = sorted(p for p in where.iterdir() if p.is_dir())
            self.assertEqual([c.name.split("-remotes-")[1][:4] for c in clones], ["dev.", "prod"],
                             "one clone per URL (dev's too: its links to prod are checked)")
            self.assertEqual(head(clones[1], "refs/heads/main"), head(self.remotes["prod"], "main"))

    def test_no_cache_folder_is_a_config_error(self):
        result, data = self.ferry_json("validate", env={"FERRY_REPO_CACHE": None, "XDG_CACHE_HOME": None,
                                                        "HOME": None})
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "config", file="ferry.yaml", message_contains="FERRY_REPO_CACHE")

    def test_no_progress_when_standard_error_is_not_a_terminal(self):
        result = self.ferry("validate")
        self.assertExit(result, 0)
        self.assertEqual(result.stderr, "")
        self.assertNotIn("Fetching", result.stdout)

    def test_progress_on_a_terminal_but_not_in_json(self):
        env = self.base_env_with({})
        rc, output = run_in_pty(["validate", "prod"], self.org, env)
        self.assertEqual(rc, 0, output)
        self.assertIn("Fetching " + self.url("prod"), output)
        rc, output = run_in_pty(["validate", "prod", "--format", "json"], self.org, env)
        self.assertEqual(rc, 0, output)
        self.assertNotIn("Fetching", output)
        json.loads(output)
        rc, output = run_in_pty(["validate", "prod", "-q"], self.org, env)
        self.assertNotIn("Fetching", output)

    def base_env_with(self, extra):
        return ferry_env(self._env(extra))


class GitHttpServer:
    """Serves the bare repositories under `root` over git's smart HTTP
    protocol (`git http-backend`) on 127.0.0.1, asking for HTTP basic
    authentication as user:password. Records the Authorization headers it
    was sent."""

    def __init__(self, root, user, password):
        self.seen = []
        expected = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def body(self):
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    data = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        chunk = self.rfile.read(size)
                        self.rfile.readline()
                        if size == 0:
                            return data
                        data += chunk
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def respond(self, status, headers, data):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def handle_git(self):
                data = self.body()
                auth = self.headers.get("Authorization")
                server.seen.append(auth)
                if auth != expected:
                    self.respond(401, [("WWW-Authenticate", 'Basic realm="git"')], b"")
                    return
                path, _, query = self.path.partition("?")
                env = {"GIT_PROJECT_ROOT": str(root), "GIT_HTTP_EXPORT_ALL": "1", "REQUEST_METHOD": self.command,
                       "PATH_INFO": path, "QUERY_STRING": query, "REMOTE_USER": user, "REMOTE_ADDR": "127.0.0.1",
                       "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(data)),
                       "PATH": os.environ["PATH"], "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root)}
                out = subprocess.run(["git", "http-backend"], input=data, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE).stdout
                head, _, payload = out.partition(b"\r\n\r\n")
                status, headers = 200, []
                for line in head.decode().split("\r\n"):
                    key, _, value = line.partition(": ")
                    if key.lower() == "status":
                        status = int(value.split()[0])
                    elif key:
                        headers.append((key, value))
                self.respond(status, headers, payload)

            do_GET = handle_git
            do_POST = handle_git

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name):
        return "http://127.0.0.1:%d/%s" % (self.port, name)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class CredentialsTest(RemoteCase):
    """https credentials, against a local smart-HTTP server that wants
    x-access-token:s3cret."""

    TOKEN = "s3cret"

    def setUp(self):
        super().setUp()
        self.server = GitHttpServer(self.tmp / "remotes", "x-access-token", self.TOKEN)
        self.addCleanup(self.server.stop)
        self.configure({"dev": {"repo": self.url("dev")}, "prod": {"repo": self.server.url("prod.git")}})

    def test_token_from_ferry_git_token(self):
        env = {"FERRY_GIT_TOKEN": self.TOKEN}
        result, data = self.ferry_json("validate", "prod", env=env)
        self.assertExit(result, 0)
        before = head(self.remotes["prod"], "main")
        result, data = self.plan(dry_run=False, env=env)
        self.assertExit(result, 0)
        self.assertEqual(data["written"]["commit"], head(self.remotes["prod"], "main"), "pushed over https")
        self.assertNotEqual(before, data["written"]["commit"])
        self.assertNotIn(self.TOKEN, result.stdout + result.stderr)

    def test_no_credentials(self):
        result, data = self.ferry_json("validate", "prod")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "git", message_contains=("authentication", "FERRY_GIT_TOKEN"))

    def test_wrong_token_is_tried_once(self):
        result, data = self.ferry_json("validate", "prod", env={"FERRY_GIT_TOKEN": "wrong"})
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "git", message_contains="tried FERRY_GIT_TOKEN")
        self.assertLessEqual(len([a for a in self.server.seen if a]), 1)

    def test_github_token_only_for_github(self):
        result, data = self.ferry_json("validate", "prod", env={"GITHUB_TOKEN": self.TOKEN})
        self.assertExit(result, 1)
        self.assertEqual([a for a in self.server.seen if a], [], "GITHUB_TOKEN is never sent to another host")
        result, data = self.ferry_json("validate", "prod", env={"GITHUB_TOKEN": self.TOKEN,
                                                                "GITHUB_SERVER_URL": "http://127.0.0.1:%d" % self.server.port})
        self.assertExit(result, 0)

    def test_git_askpass(self):
        prompts = self.tmp / "prompts"
        script = self.tmp / "askpass"
        script.write_text("#!/bin/sh\necho \"$1\" >> %s\ncase \"$1\" in Username*) echo x-access-token;; *) echo %s;; esac\n"
                          % (prompts, self.TOKEN))
        script.chmod(0o755)
        result, data = self.ferry_json("validate", "prod", env={"GIT_ASKPASS": script})
        self.assertExit(result, 0)
        site = "http://127.0.0.1:%d" % self.server.port
        self.assertEqual(prompts.read_text().splitlines(),
                         ["Username for '%s': " % site, "Password for 'http://x-access-token@127.0.0.1:%d': "
                          % self.server.port])


if __name__ == "__main__":
    unittest.main()
