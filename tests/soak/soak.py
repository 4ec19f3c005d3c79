#!/usr/bin/env python3
"""Concurrency soak: many ferry processes write to one target at once.

For --seconds, --workers threads each run ferry commands one after another
against one organization: `reconcile` of models from dev or from staging to
prod (one model, a glob of several, or one already deployed), sometimes with
`--link` of a source pair, and `link` / `unlink` of source pairs between dev
and prod. Every command races the others for prod's branch (and dev's, for
links); ferry's compare-and-swap and retries must sort them out.

Afterwards it checks that nothing was lost or invented:
- every repository passes `git fsck --strict` and validates;
- every commit a command reported is on its branch, and the branch holds no
  other commit since the start (nothing overwritten, nothing unaccounted);
- every model a reported deployment created or updated is in prod at the
  tip, linked to where it came from, and `ferry history` lists its commit
  with the right `from`;
- links.yaml holds every link that was made and not unlinked since, and
  none that was unlinked (each source pair belongs to one worker, so its
  last successful command decides);
- a checked-out prod's work tree is clean and at the tip;
- no command crashed, and every failure is one that racing writers may
  meet (stale-plan after every retry), not a broken write.

Exit 0 when all holds; 1 with the problems listed otherwise. Used by CTest
at a small size (tests/CMakeLists.txt); run longer by hand:

    tests/soak/soak.py --ferry build/ferry --seconds 600 --workers 8
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from harness import (  # noqa: E402
    dedent,
    ferry_env,
    git,
    git_fsck,
    head,
    isolated_env,
    make_repo,
    workspace_yaml,
    worktree_status,
    write_config,
)

ACTOR = "alice@acme.com"
MODELS = 400  # per source workspace: more than a short run can deploy
PAIRS = 64  # source pairs for link/unlink, and as many for reconcile --link
EXPECTED_FAILURES = {"stale-plan"}  # what losing every retry to other writers looks like


def source_tree(name, prefix):
    tree = {
        "workspace.yaml": workspace_yaml(),
        "sources/wh-%s.yaml" % name: "name: WH\ntype: snowflake\n",
        "links.yaml": "sources:\n  wh-%s: { prod: warehouse }\n" % name,
    }
    for i in range(MODELS):
        tree["models/%s%03d.yaml" % (prefix, i)] = dedent(
            """
            name: Model %s%03d
            source: wh-%s
            type: sql
            sql: select %d
            """ % (prefix, i, name, i)
        )
    if name == "dev":
        for i in range(PAIRS):
            tree["sources/s%02d.yaml" % i] = "name: S%d\ntype: postgres\n" % i
            tree["sources/t%02d.yaml" % i] = "name: T%d\ntype: postgres\n" % i
    return tree


def prod_tree():
    tree = {"workspace.yaml": workspace_yaml(), "sources/warehouse.yaml": "name: WH\ntype: snowflake\n"}
    for i in range(PAIRS):
        tree["sources/s%02d.yaml" % i] = "name: S%d\ntype: postgres\n" % i
        tree["sources/t%02d.yaml" % i] = "name: T%d\ntype: postgres\n" % i
    return tree


class Soak:
    def __init__(self, args):
        self.args = args
        self.folder = Path(tempfile.mkdtemp(prefix="ferry-soak-"))
        self.env = isolated_env(self.folder / "home", {"FERRY_ACTOR": ACTOR})
        self.lock = threading.Lock()
        self.rng = random.Random(args.seed)
        self.problems = []
        self.commits = {"dev": set(), "staging": set(), "prod": set()}
        self.deployed = []  # (source workspace, [model ids created or updated], commit)
        self.link_state = {}  # pair index -> linked after its last successful command
        self.reconcile_links = set()  # t pairs linked by reconcile --link
        self.counts = {}
        self.undeployed = {"dev": list(range(MODELS)), "staging": list(range(MODELS))}
        for queue in self.undeployed.values():
            self.rng.shuffle(queue)

    # ---- setup

    def setup(self):
        make_repo(self.folder / "dev", source_tree("dev", "d"))
        make_repo(self.folder / "staging", source_tree("staging", "g"))
        if self.args.bare:
            make_repo(self.folder / "src-prod", prod_tree())
            git(self.folder, "clone", "-q", "--bare", str(self.folder / "src-prod"), str(self.folder / "prod.git"))
            self.repos = {"dev": self.folder / "dev", "staging": self.folder / "staging", "prod": self.folder / "prod.git"}
            write_config(self.folder, {"dev": {"repo": "dev"}, "staging": {"repo": "staging"},
                                       "prod": {"repo": "prod.git", "branch": "main"}})
        else:
            make_repo(self.folder / "prod", prod_tree())
            self.repos = {"dev": self.folder / "dev", "staging": self.folder / "staging", "prod": self.folder / "prod"}
            write_config(self.folder, {"dev": {"repo": "dev"}, "staging": {"repo": "staging"}, "prod": {"repo": "prod"}})
        self.start = {name: head(repo, "refs/heads/main") for name, repo in self.repos.items()}

    # ---- running ferry

    def ferry(self, *args):
        proc = subprocess.run([self.args.ferry, *args, "--format", "json"], cwd=str(self.folder),
                              env=ferry_env(self.env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        out = proc.stdout.decode("utf-8", "replace")
        err = proc.stderr.decode("utf-8", "replace")
        try:
            data = json.loads(out)
        except ValueError:
            data = None
        return proc.returncode, data, out, err

    def note(self, what):
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def problem(self, text):
        with self.lock:
            self.problems.append(text)

    def check_outcome(self, args, rc, data, out, err):
        """True when the command succeeded; a failure must be an expected one."""
        what = " ".join(args)
        if rc not in (0, 1) or data is None:
            self.problem("ferry %s: exit %s\n%s\n%s" % (what, rc, out[-2000:], err[-2000:]))
            return False
        if rc == 0:
            if data.get("errors"):
                self.problem("ferry %s: exit 0 with errors %s" % (what, data["errors"]))
            return rc == 0
        codes = {e.get("code") for e in data.get("errors", [])}
        if not codes <= EXPECTED_FAILURES:
            self.problem("ferry %s: unexpected failure %s" % (what, json.dumps(data.get("errors"))))
        self.note("failed: " + ",".join(sorted(codes)))
        return False

    # ---- what the workers do

    def pick_models(self, rng, name, prefix):
        """A selection: one new model, a few new ones, or one deployed before."""
        with self.lock:
            queue = self.undeployed[name]
            roll = rng.random()
            if roll < 0.15 or not queue:
                return ["models/%s%03d" % (prefix, rng.randrange(MODELS))]
            take = 1 if roll < 0.7 else min(len(queue), rng.randint(2, 4))
            chosen, self.undeployed[name] = queue[:take], queue[take:]
        return ["models/%s%03d" % (prefix, i) for i in chosen]

    def reconcile(self, rng, worker):
        name, prefix = rng.choice((("dev", "d"), ("staging", "g")))
        args = ["reconcile", "--from", name, "--to", "prod"]
        for pattern in self.pick_models(rng, name, prefix):
            args += ["--select", pattern]
        pair = None
        if name == "dev" and rng.random() < 0.2:
            pair = worker + self.args.workers * rng.randrange(max(1, PAIRS // self.args.workers))
            if pair < PAIRS:
                args += ["--link", "dev:sources/t%02d=prod:sources/t%02d" % (pair, pair)]
            else:
                pair = None
        rc, data, out, err = self.ferry(*args)
        if not self.check_outcome(args, rc, data, out, err):
            return
        written = data.get("written", {}).get("commit") or ""
        ids = [c["address"].split("/", 1)[1] for c in data.get("changes", [])]
        self.note("reconcile " + data.get("status", "?"))
        with self.lock:
            if written:
                self.commits["prod"].add(written)
                self.deployed.append((name, ids, written))
            elif data.get("status") != "no-changes":
                self.problems.append("ferry %s: status %s but no commit" % (" ".join(args), data.get("status")))
            if pair is not None and (written or data.get("status") == "no-changes"):
                self.reconcile_links.add(pair)

    def link(self, rng, worker):
        slots = list(range(worker, PAIRS, self.args.workers))
        if not slots:
            return
        pair = rng.choice(slots)
        command = "unlink" if self.link_state.get(pair) and rng.random() < 0.4 else "link"
        args = [command, "dev:sources/s%02d" % pair, "prod:sources/s%02d" % pair]
        rc, data, out, err = self.ferry(*args)
        if not self.check_outcome(args, rc, data, out, err):
            return
        self.note(command)
        with self.lock:
            self.link_state[pair] = command == "link"
            for c in data.get("commits", []):
                self.commits[c["workspace"]].add(c["commit"])

    def worker(self, index, deadline):
        rng = random.Random(self.args.seed * 1000 + index)
        while time.monotonic() < deadline:
            try:
                if rng.random() < 0.65:
                    self.reconcile(rng, index)
                else:
                    self.link(rng, index)
            except Exception as e:  # a hung or unreadable run is a problem, not a stop
                self.problem("worker %d: %r" % (index, e))

    # ---- checks afterwards

    def check(self):
        for name, repo in self.repos.items():
            rc, out = git_fsck(repo)
            if rc != 0:
                self.problem("git fsck --strict failed in %s:\n%s" % (name, out))
            on_branch = set(git(repo, "rev-list", "%s..refs/heads/main" % self.start[name]).split())
            missing = self.commits[name] - on_branch
            unaccounted = on_branch - self.commits[name]
            if missing:
                self.problem("%s: reported commits not on main: %s" % (name, sorted(missing)))
            if unaccounted:
                self.problem("%s: commits on main no command reported: %s" % (name, sorted(unaccounted)))

        rc, data, out, err = self.ferry("validate")
        if rc != 0:
            self.problem("validate after the soak: exit %s\n%s\n%s" % (rc, out[-3000:], err[-2000:]))

        prod = self.repos["prod"]
        tip = head(prod, "refs/heads/main")
        prod_links = git(prod, "show", "%s:links.yaml" % tip) if self.commits["prod"] else ""
        rc, data, out, err = self.ferry("links", "prod")
        linked = {(l["kind"], tuple(sorted((l["a"], l["b"])))) for l in (data or {}).get("links", [])}
        for source, ids, commit in self.deployed:
            for model in ids:
                if git(prod, "cat-file", "-t", "%s:models/%s.yaml" % (tip, model), check=False) != "blob":
                    self.problem("prod:models/%s deployed in %s is not at the tip" % (model, commit))
                if ("models", tuple(sorted(("%s:models/%s" % (source, model), "prod:models/%s" % model)))) not in linked:
                    self.problem("prod:models/%s is not linked to %s" % (model, source))
        for source, ids, commit in self.rng.sample(self.deployed, min(15, len(self.deployed))):
            for model in ids[:1]:
                rc, data, out, err = self.ferry("history", "prod:models/%s" % model)
                entries = (data or {}).get("entries", [])
                found = [e for e in entries if e.get("commit") == commit]
                if not found or (found[0].get("from") or {}).get("workspace") != source:
                    self.problem("history of prod:models/%s lacks %s from %s: %s" % (model, commit, source, out[-1500:]))
        for pair, is_linked in self.link_state.items():
            key = ("sources", ("dev:sources/s%02d" % pair, "prod:sources/s%02d" % pair))
            if is_linked != (key in linked):
                self.problem("source pair s%02d should be %s" % (pair, "linked" if is_linked else "unlinked"))
        for pair in self.reconcile_links:
            key = ("sources", ("dev:sources/t%02d" % pair, "prod:sources/t%02d" % pair))
            if key not in linked:
                self.problem("reconcile --link of t%02d is not in the links (prod links.yaml:\n%s)" % (pair, prod_links))

        if not self.args.bare:
            status = worktree_status(prod)
            if status:
                self.problem("prod's work tree is not clean: %s" % status[:20])

    def run(self):
        self.setup()
        deadline = time.monotonic() + self.args.seconds
        threads = [threading.Thread(target=self.worker, args=(i, deadline)) for i in range(self.args.workers)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ran = time.monotonic() - started
        self.check()
        print("soak: %d workers for %.0f s against %s prod in %s" % (
            self.args.workers, ran, "a bare" if self.args.bare else "a checked-out", self.folder))
        for what, n in sorted(self.counts.items()):
            print("  %5d %s" % (n, what))
        print("  %5d commits on prod, %d on dev" % (len(self.commits["prod"]), len(self.commits["dev"])))
        if self.problems:
            print("FAILED: %d problems (folder kept)" % len(self.problems))
            for p in self.problems[:50]:
                print("- " + p)
            return 1
        if not self.args.keep:
            shutil.rmtree(self.folder, ignore_errors=True)
        print("OK")
        return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ferry", default=os.environ.get("FERRY_BIN", "build/ferry"), help="the ferry binary")
    parser.add_argument("--seconds", type=float, default=20, help="how long the workers run")
    parser.add_argument("--workers", type=int, default=4, help="concurrent ferry processes")
    parser.add_argument("--bare", action="store_true", help="prod is a bare repository (default: checked out)")
    parser.add_argument("--seed", type=int, default=int(time.time()), help="for the random choices")
    parser.add_argument("--keep", action="store_true", help="keep the folder even when all holds")
    args = parser.parse_args()
    args.ferry = str(Path(args.ferry).resolve())
    print("soak: seed %d" % args.seed)
    return Soak(args).run()


if __name__ == "__main__":
    sys.exit(main())
