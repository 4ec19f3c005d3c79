#!/usr/bin/env python3
"""Concurrency soak: ferry writers, git commit loops and random SIGKILLs at once.

For --seconds, --workers threads each run ferry commands one after another
against one organization: `reconcile` of models from dev or from staging to
prod (one model, a glob of several, or one already deployed), sometimes with
`--link` of a source pair, and `link` / `unlink` of source pairs between dev
and prod. Every command races the others for prod's branch (and dev's, for
links); ferry's compare-and-swap and retries must sort them out. Meanwhile:

- a git commit loop in every checked-out repository (dev, and prod unless
  --bare) writes a note of its own (`loop-<repo>-<n>.txt`, a file ferry
  never writes, untracked until committed), then runs `git add` and `git
  commit` in the work tree, with short random pauses. A git command refused
  because a lock is held (ferry holds index.lock while it updates the work
  tree; a killed ferry leaves it until the next ferry write), or a commit
  refused by git's own compare-and-swap because the branch moved under it,
  is counted and tried again later;
- a killer sends SIGKILL to a running ferry process at random moments
  (--kill-rate kills a second on average). A killed command's outcome is
  unknown: it may have committed or not, and the next ferry write to the
  same repositories may finish its change or take it back. Its models are
  not required in prod, and its source pair is neither linked nor unlinked
  until the pair's next command finishes (an `unlink` then may find it
  `not-linked`).

Every ferry run gets its own SOURCE_DATE_EPOCH (EPOCH + its sequence
number), which ferry uses as the time of its commits: each commit on a
branch maps back to the run that made it, and git-loop commits carry times
of their own (LOOP_EPOCH + n).

When the workers are done, the killer and the loops stop and one more ferry
write (`link` of a source pair kept for it, to dev and prod) runs: "the
next ferry command", which finishes what the kills left. Then it checks that
nothing was lost, reverted, invented or left behind:
- every repository passes `git fsck --strict`; no lock file is left in a
  git directory but ferry's own `ferry/write.lock`, nor an intent record
  (`ferry/intent`) or `ferry/checkout-pending`; every work tree is clean;
  and the organization validates;
- every commit a finished command reported, and every commit a git loop
  made, is on its branch (nothing lost); every other commit on a branch
  since the start was made by a command that was killed (or by the next
  write finishing that command's change, which publishes the killed run's
  own commit), or was said by a finished command to be left as it is
  (nothing unaccounted); and every git-loop commit changes its own note
  only (one that changes more was made from an index a ferry write had not
  finished: it reverts that write);
- every model a finished reconcile created or updated is in prod at the
  tip (nothing here deletes models, so nothing may revert it), linked to
  where it came from, and `ferry history` lists its commit with the right
  `from`;
- links agree in every source pair `link` / `unlink` write: dev's
  links.yaml states the link iff prod's does; a pair whose last command
  finished is linked iff that command was a link (each pair belongs to one
  worker); `reconcile --link` pairs are in prod's links.yaml when a command
  reported them, and only when one was run;
- a killed `link` / `unlink` of a pair dev and prod agreed on before it
  (so its change was to both or to neither) has its commits on both
  branches or on neither: whole or absent after the next write;
- no command crashed, and every failure of a finished command is one that
  racing writers and git clients may cause (see expected_refusal).

The choices (commands, models, pauses, which process is killed when) come
from --seed, which is printed; timing is the machine's. Exit 0 when all
holds; 1 with the problems listed otherwise (the folder is kept, with
runs.json: what every ferry run was asked, how it ended, what it said).

CTest runs it (label `soak`) for FERRY_SOAK_SECONDS seconds, 15 by default;
for an hour by hand:

    FERRY_SOAK_SECONDS=3600 ctest --test-dir build -L soak --output-on-failure

or directly, with any seed, a checked-out or a bare prod:

    tests/soak/soak.py --ferry build/ferry --seconds 3600 --workers 4 [--bare] [--seed N]
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from harness import (  # noqa: E402
    GIT_ENV,
    GIT_OPTS,
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
FINAL_PAIR = "last"  # linked by the write after the soak, and by nothing else
EPOCH = 1790000000  # SOURCE_DATE_EPOCH of ferry run n is EPOCH + n
LOOP_EPOCH = 1780000000  # committer time of git-loop commit n is LOOP_EPOCH + n
EXPECTED_FAILURES = {"stale-plan"}  # what losing every retry to other writers looks like
# Refusals a git client in the work tree may cause (see expected_refusal).
LOOP_NOTE = re.compile(r"uncommitted changes \(loop-[a-z]+-[0-9]+\.txt\)")
INDEX_HELD = "index is locked by another git process"
REF_HELD = re.compile(r"branch '[^']+' is locked by another git process \(refs/heads/[^ ]+\.lock exists\)")
LEFT_COMMIT = re.compile(r"the commit ([0-9a-f]{12}) could not be taken back")


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
        tree["sources/%s.yaml" % FINAL_PAIR] = "name: Last\ntype: postgres\n"
    return tree


def prod_tree():
    tree = {"workspace.yaml": workspace_yaml(), "sources/warehouse.yaml": "name: WH\ntype: snowflake\n"}
    for i in range(PAIRS):
        tree["sources/s%02d.yaml" % i] = "name: S%d\ntype: postgres\n" % i
        tree["sources/t%02d.yaml" % i] = "name: T%d\ntype: postgres\n" % i
    tree["sources/%s.yaml" % FINAL_PAIR] = "name: Last\ntype: postgres\n"
    return tree


class Run:
    """One ferry process: its arguments, how it ended, what it reported."""

    def __init__(self, seq, args):
        self.seq = seq
        self.args = list(args)
        self.proc = None
        self.kill_sent = False
        self.killed = False  # died of the killer's SIGKILL: outcome unknown
        self.rc = None
        self.reported = set()  # (workspace, commit) it reported written
        self.left = set()  # commit prefixes it said could not be taken back
        self.warnings = []
        self.errors = []
        self.agreed_before = False  # link/unlink: dev and prod agreed on the pair before it ran

    def journal(self):
        return {"run": self.seq, "time": EPOCH + self.seq, "args": self.args, "exit": self.rc,
                "killed": self.killed, "kill_sent": self.kill_sent,
                "reported": sorted("%s:%s" % r for r in self.reported), "errors": self.errors,
                "warnings": self.warnings}

    def describe(self):
        return "run %d `ferry %s`" % (self.seq, " ".join(self.args))


class Soak:
    def __init__(self, args):
        self.args = args
        self.folder = Path(tempfile.mkdtemp(prefix="ferry-soak-"))
        self.env = isolated_env(self.folder / "home", {"FERRY_ACTOR": ACTOR})
        self.lock = threading.Lock()
        self.rng = random.Random(args.seed)
        self.problems = []
        self.commits = {"dev": set(), "staging": set(), "prod": set()}  # reported by finished commands
        self.loop_commits = {"dev": set(), "staging": set(), "prod": set()}
        self.deployed = []  # (source workspace, [model ids created or updated], commit)
        self.link_state = {}  # pair index -> linked after its last command (None: that one was killed)
        self.reconcile_links = set()  # t pairs a finished reconcile --link reported
        self.reconcile_links_killed = set()  # t pairs of a reconcile --link that was killed
        self.counts = {}
        self.runs = {}  # sequence number -> Run
        self.running = {}  # sequence number -> Run, while its process may be killed
        self.seq = 0
        self.recovery_warnings = []  # what ferry said it could not finish or take back
        self.stop_killer = threading.Event()
        self.stop_loops = threading.Event()
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
        self.checked_out = [name for name in ("dev", "staging", "prod") if not (self.args.bare and name == "prod")]
        self.start = {name: head(repo, "refs/heads/main") for name, repo in self.repos.items()}

    # ---- running ferry

    def ferry(self, *args, killable=False):
        """Runs ferry with its own SOURCE_DATE_EPOCH; returns (Run, data, out, err)."""
        with self.lock:
            self.seq += 1
            run = Run(self.seq, args)
            self.runs[run.seq] = run
        env = ferry_env(dict(self.env, SOURCE_DATE_EPOCH=EPOCH + run.seq))
        run.proc = subprocess.Popen([self.args.ferry, *args, "--format", "json"], cwd=str(self.folder), env=env,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if killable:
            with self.lock:
                self.running[run.seq] = run
        try:
            out, err = run.proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            run.proc.kill()
            out, err = run.proc.communicate()
            self.problem("%s did not finish within 120 s" % run.describe())
        finally:
            with self.lock:
                self.running.pop(run.seq, None)
                run.rc = run.proc.returncode
                run.killed = run.rc == -signal.SIGKILL and run.kill_sent
        out = out.decode("utf-8", "replace")
        err = err.decode("utf-8", "replace")
        try:
            data = json.loads(out)
        except ValueError:
            data = None
        if isinstance(data, dict):
            run.warnings = [w.get("message", "") for w in data.get("warnings", [])]
            run.errors = ["%s: %s" % (e.get("code"), e.get("message")) for e in data.get("errors", [])]
            for text in run.warnings:
                run.left.update(LEFT_COMMIT.findall(text))
                if "could not be" in text:
                    errors = "; ".join("%s: %s" % (e.get("code"), e.get("message")) for e in data.get("errors", []))
                    with self.lock:
                        self.recovery_warnings.append("%s (exit %s%s): %s" % (
                            run.describe(), run.rc, ", " + errors if errors else "", text))
        return run, data, out, err

    def note(self, what, n=1):
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + n

    def problem(self, text):
        with self.lock:
            self.problems.append(text)

    def expected_refusal(self, error):
        """A failure that racing writers and the git loops may legitimately
        cause, with nothing written:
        - stale-plan: another writer won every retry;
        - worktree-dirty naming a loop's note: the loop had run `git add`
          and not yet `git commit`, so the work tree really held a staged
          change; anything else dirty is a problem;
        - git "index is locked by another git process ... nothing was
          written": a loop's git held the work tree's index.lock through
          ferry's two seconds of waiting (a slow git on a loaded machine). A
          lock a killed ferry left is ferry's own to take over, never this;
        - git "branch ... is locked by another git process (<ref>.lock
          exists)": a loop's `git commit` was moving the branch. git gives
          index.lock back before it moves the branch, so ferry holding
          index.lock does not keep it out; ferry refuses before its own
          move (a lock a killed ferry left is removed by the next write).
        """
        code, message = error.get("code"), error.get("message", "")
        if code in EXPECTED_FAILURES:
            return True
        loops = not self.args.no_git_loops
        if code == "worktree-dirty" and loops and LOOP_NOTE.search(message):
            return True
        if code == "git" and loops and INDEX_HELD in message and "nothing was written" in message:
            return True
        if code == "git" and loops and REF_HELD.search(message):
            return True
        return False

    def check_outcome(self, run, data, out, err):
        """True when the command succeeded; a killed run is counted and
        false; any other failure must be an expected one."""
        what = " ".join(run.args)
        if run.killed:
            self.note("killed: " + run.args[0])
            return False
        if run.kill_sent:
            self.note("kill missed (the process was done)")
        if run.rc not in (0, 1) or data is None:
            self.problem("ferry %s: exit %s\n%s\n%s" % (what, run.rc, out[-2000:], err[-2000:]))
            return False
        if run.rc == 0:
            if data.get("errors"):
                self.problem("ferry %s: exit 0 with errors %s" % (what, data["errors"]))
            return True
        errors = data.get("errors", [])
        if not errors or not all(self.expected_refusal(e) for e in errors):
            self.problem("ferry %s: unexpected failure %s" % (what, json.dumps(errors)))
        self.note("failed: " + ",".join(sorted({e.get("code", "?") for e in errors})))
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
        run, data, out, err = self.ferry(*args, killable=True)
        if not self.check_outcome(run, data, out, err):
            if run.killed and pair is not None:
                with self.lock:
                    self.reconcile_links_killed.add(pair)
            return
        written = data.get("written", {}).get("commit") or ""
        ids = [c["address"].split("/", 1)[1] for c in data.get("changes", [])]
        self.note("reconcile " + data.get("status", "?"))
        with self.lock:
            if written:
                self.commits["prod"].add(written)
                run.reported.add(("prod", written))
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
        state = self.link_state.get(pair, False)
        maybe_linked = state is None or state
        command = "unlink" if maybe_linked and rng.random() < 0.4 else "link"
        args = [command, "dev:sources/s%02d" % pair, "prod:sources/s%02d" % pair]
        # Whether dev and prod agree on the pair before the command: then its
        # change is to both repositories or to neither (see check_commits).
        name = "s%02d" % pair
        agreed = self.states(self.links_at_tip("dev"), "sources", name, "prod", name) == \
            self.states(self.links_at_tip("prod"), "sources", name, "dev", name)
        run, data, out, err = self.ferry(*args, killable=True)
        run.agreed_before = agreed
        errors = (data or {}).get("errors") or []
        if state is None and command == "unlink" and run.rc == 1 and errors and \
                all(e.get("code") == "not-linked" for e in errors):
            # The pair's last command was killed before it linked the pair
            # (or its link was taken back): now it is known.
            self.note("unlink after a killed command: not linked")
            with self.lock:
                self.link_state[pair] = False
            return
        if not self.check_outcome(run, data, out, err):
            if run.killed:
                # It may have committed, in one repository or both; the next
                # write to either finishes the change or takes it back.
                with self.lock:
                    self.link_state[pair] = None
            return
        self.note(command)
        with self.lock:
            self.link_state[pair] = command == "link"
            for c in data.get("commits", []):
                self.commits[c["workspace"]].add(c["commit"])
                run.reported.add((c["workspace"], c["commit"]))

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

    # ---- the killer

    def killer(self):
        """SIGKILL to a random running ferry process, at random moments."""
        rng = random.Random(self.args.seed * 1000 + 999)
        while not self.stop_killer.wait(rng.expovariate(self.args.kill_rate)):
            with self.lock:
                candidates = sorted(self.running)
                if not candidates:
                    self.counts["kill skipped (nothing running)"] = self.counts.get("kill skipped (nothing running)", 0) + 1
                    continue
                run = self.running[rng.choice(candidates)]
                run.kill_sent = True
                # send_signal does nothing once the process is reaped.
                run.proc.send_signal(signal.SIGKILL)
                self.counts["kills sent"] = self.counts.get("kills sent", 0) + 1

    # ---- the git commit loops

    def loop_git(self, repo, *args, when=None):
        env = dict(os.environ)
        env.update(GIT_ENV)
        if when is not None:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = "%d +0000" % when
        proc = subprocess.run(["git", *GIT_OPTS, *args], cwd=str(repo), env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        return proc.returncode, proc.stdout + proc.stderr

    @staticmethod
    def refused(output):
        """git refused, with nothing written, as it does when another
        process writes: a lock file exists (index.lock, a ref's lock), or
        the branch moved between `git commit` reading HEAD (before it takes
        index.lock) and moving it (git's own compare-and-swap)."""
        return ".lock': File exists" in output or re.search(r"cannot lock ref 'HEAD': is at [0-9a-f]+ but expected",
                                                            output) is not None

    def git_loop(self, name, index):
        """Commits notes of its own in name's work tree until told to stop.
        A note is untracked (which ferry allows) until `git add` stages it;
        from then on the loop commits it before anything else, so that the
        work tree is dirty only between those two commands."""
        repo = self.repos[name]
        rng = random.Random(self.args.seed * 1000 + 500 + index)
        n = 0
        while not self.stop_loops.wait(rng.uniform(0, 0.3)):
            n += 1
            rel = "loop-%s-%05d.txt" % (name, n)
            message = "git loop in %s: note %05d" % (name, n)
            path = repo / rel
            path.write_text("note %d of the git loop in %s\n" % (n, name))
            rc, out = self.loop_git(repo, "add", "--", rel)
            if rc != 0:
                path.unlink()  # untracked again; the next note tries again
                if not self.refused(out):
                    self.problem("git loop in %s: git add failed:\n%s" % (name, out))
                    return
                self.note("git loop: add refused")
                continue
            stopping_since = None
            while True:
                rc, out = self.loop_git(repo, "commit", "-q", "-m", message, when=LOOP_EPOCH + n)
                if rc == 0:
                    break
                if not self.refused(out):
                    self.problem("git loop in %s: git commit of %s failed:\n%s" % (name, rel, out))
                    return
                self.note("git loop: commit refused (%s)" % ("lock held" if ".lock'" in out else "HEAD moved"))
                if self.stop_loops.is_set():
                    # A lock a killed ferry left stays until the next ferry
                    # write, which run() makes when a loop is still here.
                    stopping_since = stopping_since or time.monotonic()
                    if time.monotonic() - stopping_since > 90:
                        self.problem("git loop in %s: %s stayed staged, its commit refused for 90 s:\n%s"
                                     % (name, rel, out))
                        return
                time.sleep(rng.uniform(0.005, 0.05))
            # Found by its message rather than `rev-parse HEAD`: a ferry
            # write may have moved the branch on since the commit.
            rc, out = self.loop_git(repo, "log", "-1", "--format=%H", "-F", "--grep=" + message, "HEAD")
            if rc != 0 or not out.strip():
                self.problem("git loop in %s: its commit of %s is not on HEAD right after it was made:\n%s"
                             % (name, rel, out))
                return
            with self.lock:
                self.loop_commits[name].add(out.strip())
            self.note("git loop commits in " + name)

    # ---- after the soak: the next ferry command

    def final_write(self, loops):
        """Stops the loops, then links the pair kept for this to dev and prod."""
        self.stop_loops.set()
        args = ["link", "dev:sources/%s" % FINAL_PAIR, "prod:sources/%s" % FINAL_PAIR]
        for attempt in range(3):
            for t in loops:
                t.join(timeout=15)
            waiting = [t for t in loops if t.is_alive()]
            run, data, out, err = self.ferry(*args)
            if run.rc == 0 and data is not None and not data.get("errors"):
                for c in data.get("commits", []):
                    self.commits[c["workspace"]].add(c["commit"])
                    run.reported.add((c["workspace"], c["commit"]))
                if {c["workspace"] for c in data.get("commits", [])} != {"dev", "prod"}:
                    self.problem("the final link did not commit to dev and prod: %s" % out[-2000:])
                break
            errors = (data or {}).get("errors", [])
            if waiting and errors and all(e.get("code") == "worktree-dirty" and LOOP_NOTE.search(e.get("message", ""))
                                          for e in errors):
                # A loop had staged its note when a ferry holding that work
                # tree's index.lock was killed, and no ferry wrote there
                # since: its commit waited for the lock, which this write
                # took over and gave back before refusing the staged note,
                # as it must. The loop commits now; then the write again.
                self.note("final link refused for a git loop's staged note")
                continue
            self.problem("the final link failed (exit %s):\n%s\n%s" % (run.rc, out[-3000:], err[-2000:]))
            break
        else:
            self.problem("the final link was refused three times for a git loop's staged note")
        for t in loops:
            t.join(timeout=30)
            if t.is_alive():
                self.problem("a git loop did not stop")

    # ---- checks afterwards

    def git_dir(self, name):
        return self.repos[name] if self.args.bare and name == "prod" else self.repos[name] / ".git"

    def check_leftovers(self):
        """No lock file but ferry's write lock, no record of an unfinished
        write, nothing half-done, in any git directory."""
        for name in self.repos:
            gd = self.git_dir(name)
            left = []
            for root, dirs, files in os.walk(gd):
                rel_root = Path(root).relative_to(gd)
                if rel_root.parts[:2] == ("ferry", "cache"):
                    continue
                for f in files:
                    rel = str(rel_root / f)
                    if rel == "ferry/write.lock":
                        continue
                    if ".lock" in f or f.startswith("index.ferry") or rel_root.parts[:1] == ("ferry",):
                        left.append(rel)
            if left:
                self.problem("%s: left in %s after the next ferry write: %s" % (name, gd, sorted(left)[:20]))
        for name in self.checked_out:
            status = worktree_status(self.repos[name])
            if status:
                self.problem("%s's work tree is not clean after the next ferry write: %s" % (name, status[:20]))

    def check_commits(self):
        """Every commit on a branch since the start is reported, a git
        loop's, a killed run's or one a finished run said it left; every
        reported or loop commit is there."""
        self.landed = {}  # seq of a killed run -> workspaces where its commits are
        for name, repo in self.repos.items():
            on_branch = {}
            for line in git(repo, "log", "--format=%H %ct", "%s..refs/heads/main" % self.start[name]).splitlines():
                sha, when = line.split()
                on_branch[sha] = int(when)
            tally = {}
            for sha, when in on_branch.items():
                run = self.runs.get(when - EPOCH)
                if sha in self.loop_commits[name]:
                    kind = "git loop"
                elif run is None:
                    self.problem("%s: commit %s (time %d) was made by no ferry run and no git loop" % (name, sha, when))
                    continue
                elif (name, sha) in run.reported:
                    kind = "reported"
                elif run.killed:
                    kind = "killed runs"
                    self.landed.setdefault(run.seq, set()).add(name)
                elif sha[:12] in run.left:
                    kind = "left as said"
                else:
                    self.problem("%s: commit %s was made by %s, which finished (exit %s) without reporting it"
                                 % (name, sha, run.describe(), run.rc))
                    continue
                tally[kind] = tally.get(kind, 0) + 1
            for kind, n in sorted(tally.items()):
                self.note("commits on %s: %s" % (name, kind), n)
            missing = self.commits[name] - set(on_branch)
            if missing:
                self.problem("%s: reported commits not on main: %s" % (name, sorted(missing)))
            lost = self.loop_commits[name] - set(on_branch)
            if lost:
                self.problem("%s: git-loop commits not on main: %s" % (name, sorted(lost)))
            # A git-loop commit adds its note and nothing else. Any other
            # path it changes came from an index that did not match its
            # parent: git committed a stale index on top of a ferry write,
            # reverting that write's files.
            changes, sha = {}, None
            for line in git(repo, "log", "--format=>%H", "--name-only", "--no-renames",
                            "%s..refs/heads/main" % self.start[name]).splitlines():
                if line.startswith(">"):
                    sha = line[1:]
                    changes[sha] = []
                elif line:
                    changes[sha].append(line)
            for sha in sorted(self.loop_commits[name] & set(on_branch)):
                others = [path for path in changes.get(sha, []) if not re.fullmatch(r"loop-[a-z]+-[0-9]+\.txt", path)]
                if others:
                    parent = git(repo, "rev-parse", sha + "^")
                    self.problem("%s: git-loop commit %s (on %s, made by %s) changes %s besides its note: a ferry "
                                 "write's files reverted" % (name, sha[:12], parent[:12],
                                                             self.made_by(repo, parent), others[:10]))
        for seq, where in sorted(self.landed.items()):
            run = self.runs[seq]
            if run.args[0] not in ("link", "unlink"):
                continue
            self.note("killed %s landed in %s" % (run.args[0], " and ".join(sorted(where))))
            # Before it, dev and prod agreed on the pair, so its change was
            # to both or to neither: once the next write to either is done
            # (the final link is, at the latest), it is whole or absent.
            if len(where) == 1 and run.agreed_before:
                self.problem("%s was killed, and half of its change stayed: its commit is on %s's main only, where "
                             "the next ferry commit on it is by %s (its pair's commands around it: %s)" % (
                                 run.describe(), min(where), self.next_ferry_commit(min(where), run.seq),
                                 "; ".join(self.last_runs_on(run.args[1], 4, run.seq))))

    def next_ferry_commit(self, name, seq):
        """Which run made the first ferry commit on top of run seq's commit."""
        repo = self.repos[name]
        mine = [line.split()[0] for line in git(repo, "log", "--format=%H %ct", "%s..refs/heads/main" % self.start[name])
                .splitlines() if int(line.split()[1]) == EPOCH + seq]
        if not mine:
            return "?"
        for line in git(repo, "log", "--reverse", "--ancestry-path", "--format=%H %ct",
                        "%s..refs/heads/main" % mine[0]).splitlines():
            run = self.runs.get(int(line.split()[1]) - EPOCH)
            if run:
                return run.describe()
        return "none"

    def made_by(self, repo, sha):
        when = int(git(repo, "log", "-1", "--format=%ct", sha))
        run = self.runs.get(when - EPOCH)
        return run.describe() if run else "a git loop" if when < EPOCH else "?"

    def links_at_tip(self, name):
        text = git(self.repos[name], "show", "refs/heads/main:links.yaml", check=False)
        data = yaml.safe_load(text) if text else None
        return data if isinstance(data, dict) else {}

    @staticmethod
    def states(links, kind, local, other, other_id):
        entry = (links.get(kind) or {}).get(local)
        return isinstance(entry, dict) and entry.get(other) == other_id

    def last_runs_on(self, address, n=3, around=None):
        """The last n runs on address, or those just before and after run `around`."""
        runs = [run for _, run in sorted(self.runs.items()) if address in run.args]
        if around is None:
            runs = runs[-n:]
        else:
            at = [run.seq for run in runs].index(around)
            runs = runs[max(0, at - n // 2):at + n // 2 + 1]
        return ["%s: %s" % (run.describe(), "killed" if run.killed else "exit %s%s" % (
            run.rc, " " + " / ".join(run.errors + run.warnings) if run.errors or run.warnings else ""))
                for run in runs]

    def check_links(self):
        dev_links, prod_links = self.links_at_tip("dev"), self.links_at_tip("prod")
        for pair in ["s%02d" % i for i in range(PAIRS)] + [FINAL_PAIR]:
            in_dev = self.states(dev_links, "sources", pair, "prod", pair)
            in_prod = self.states(prod_links, "sources", pair, "dev", pair)
            if in_dev != in_prod:
                self.problem("source pair %s: dev's links.yaml %s it, prod's %s (its last commands: %s)" % (
                    pair, "states" if in_dev else "does not state", "does" if in_prod else "does not",
                    "; ".join(self.last_runs_on("dev:sources/" + pair))))
                continue
            expected = True if pair == FINAL_PAIR else self.link_state.get(int(pair[1:]), False)
            if expected is not None and expected != in_dev:
                self.problem("source pair %s should be %s" % (pair, "linked" if expected else "unlinked"))
        for i in range(PAIRS):
            pair = "t%02d" % i
            # reconcile --link records the link in the target's links.yaml.
            in_prod = self.states(prod_links, "sources", pair, "dev", pair)
            if i in self.reconcile_links and not in_prod:
                self.problem("reconcile --link of %s is not in prod's links.yaml" % pair)
            if in_prod and i not in self.reconcile_links | self.reconcile_links_killed:
                self.problem("prod's links.yaml states %s, which no reconcile --link reported or was killed in" % pair)

    def check(self):
        self.checks_from = len(self.problems)
        for name, repo in self.repos.items():
            rc, out = git_fsck(repo)
            if rc != 0:
                self.problem("git fsck --strict failed in %s:\n%s" % (name, out))
        self.check_leftovers()
        self.check_commits()

        run, data, out, err = self.ferry("validate")
        if run.rc != 0:
            self.problem("validate after the soak: exit %s\n%s\n%s" % (run.rc, out[-3000:], err[-2000:]))

        prod = self.repos["prod"]
        tip = head(prod, "refs/heads/main")
        run, data, out, err = self.ferry("links", "prod")
        linked = {(l["kind"], tuple(sorted((l["a"], l["b"])))) for l in (data or {}).get("links", [])}
        for source, ids, commit in self.deployed:
            for model in ids:
                if git(prod, "cat-file", "-t", "%s:models/%s.yaml" % (tip, model), check=False) != "blob":
                    self.problem("prod:models/%s deployed in %s is not at the tip" % (model, commit))
                if ("models", tuple(sorted(("%s:models/%s" % (source, model), "prod:models/%s" % model)))) not in linked:
                    self.problem("prod:models/%s is not linked to %s" % (model, source))
        for source, ids, commit in self.rng.sample(self.deployed, min(15, len(self.deployed))):
            for model in ids[:1]:
                run, data, out, err = self.ferry("history", "prod:models/%s" % model)
                entries = (data or {}).get("entries", [])
                found = [e for e in entries if e.get("commit") == commit]
                if not found or (found[0].get("from") or {}).get("workspace") != source:
                    self.problem("history of prod:models/%s lacks %s from %s: %s" % (model, commit, source, out[-1500:]))
        self.check_links()

    def run(self):
        self.setup()
        deadline = time.monotonic() + self.args.seconds
        workers = [threading.Thread(target=self.worker, args=(i, deadline)) for i in range(self.args.workers)]
        loops = [] if self.args.no_git_loops else [
            threading.Thread(target=self.git_loop, args=(name, i))
            for i, name in enumerate(n for n in ("dev", "prod") if n in self.checked_out)]
        killer = threading.Thread(target=self.killer) if self.args.kill_rate > 0 else None
        started = time.monotonic()
        for t in loops + workers + ([killer] if killer else []):
            t.start()
        for t in workers:
            t.join()
        ran = time.monotonic() - started
        self.stop_killer.set()
        if killer:
            killer.join()
        self.final_write(loops)
        self.check()
        print("soak: %d workers, %d git loops, %.2f kills/s for %.0f s against %s prod in %s" % (
            self.args.workers, len(loops), self.args.kill_rate, ran,
            "a bare" if self.args.bare else "a checked-out", self.folder))
        for what, n in sorted(self.counts.items()):
            print("  %5d %s" % (n, what))
        print("  %5d ferry runs; reported commits: %d on prod, %d on dev" % (
            len(self.runs), len(self.commits["prod"]), len(self.commits["dev"])))
        for text in self.recovery_warnings[:20]:
            print("  ferry said: " + text)
        if self.problems:
            # What every ferry run did, to read the problems against.
            with open(self.folder / "runs.json", "w") as out:
                json.dump([run.journal() for _, run in sorted(self.runs.items())], out, indent=1)
            print("FAILED: %d problems (folder kept, with runs.json; seed %d)" % (len(self.problems), self.args.seed))
            # What the checks afterwards found first: a broken state can make
            # every later command fail, and those failures would hide it.
            checks_from = getattr(self, "checks_from", len(self.problems))
            found = self.problems[checks_from:]
            during = self.problems[:checks_from]
            for p in found[:40]:
                print("- " + p)
            if during:
                print("during the soak (%d):" % len(during))
            for p in during[:25]:
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
    parser.add_argument("--kill-rate", type=float, default=0.7,
                        help="SIGKILLs a second on average, each to a random running ferry (0: none)")
    parser.add_argument("--no-git-loops", action="store_true", help="no git commit loops in the work trees")
    parser.add_argument("--bare", action="store_true", help="prod is a bare repository (default: checked out)")
    parser.add_argument("--seed", type=int, default=int(time.time()), help="for the random choices")
    parser.add_argument("--keep", action="store_true", help="keep the folder even when all holds")
    args = parser.parse_args()
    args.ferry = str(Path(args.ferry).resolve())
    print("soak: seed %d" % args.seed, flush=True)
    return Soak(args).run()


if __name__ == "__main__":
    sys.exit(main())
