#!/usr/bin/env python3
"""Benchmark ferry's plan against the git read floor and a plain Python script.

    python3 tests/bench/bench.py [--models N] [--syncs N] [--change PERCENT]
                                 [--runs R] [--python-runs R] [--ferry PATH]
                                 [--baseline PATH] [--keep DIR] [--json FILE]
    python3 tests/bench/bench.py --curve [1000,10000,30000,100000]
    python3 tests/bench/bench.py --smoke
    python3 tests/bench/bench.py --render [--baseline PATH]

Generates an organization of two workspaces (make_org.py), then measures,
interleaved round by round:
  (a) the read floor: one `git cat-file --batch` per repository over every
      blob of its tree, both repositories at once;
  (b) naive_plan.py, the same job in plain Python with PyYAML's C loader,
      and naive_plan.mjs, the same in Node.js with js-yaml (installed from
      npm into ~/.cache/ferry-bench on first use; skipped without Node.js);
  (c) `ferry reconcile --dry-run --format json` cold (FERRY_NO_CACHE=1);
  (d) the same warm, from a cache made on the commit before the change;
  (g) the physical minimum of that warm plan: `git diff-tree` of the two
      dev commits, then the changed blobs, their counterparts in prod, and
      the links and workspace files read;
and then a first deploy (make_org.py --undeployed: every model and sync
created), per round: its read floor (h), the `--all` plan as JSON (i), and
the write into a fresh bare prod (j) and a fresh clone with a work tree (k).
The ratios are printed beside the targets of the performance issue.
--render measures instead every output format (text, json, markdown) of a
plan that updates every model and sync, beside the baseline when given.

It checks that ferry's plan holds exactly the expected updates, that the
Python script finds the same changes, and that every warm plan is
byte-identical to the cold one; any failed check exits with status 1.

With --baseline PATH, another ferry binary (the previous commit's, say) is
measured cold and warm in the same rounds, each with its own cache, and the
ratios of the two are printed: a change is compared with what it changed
on the same machine at the same time, not with figures from another day.
"""

import argparse
import dataclasses
import hashlib
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ACTOR = "bench@example.com"
REPOS = ("dev.git", "prod.git")
CACHE = pathlib.PurePath("ferry", "cache")  # ferry's cache, inside each repository's git dir
PLANNED_AGAIN = "of the selected resources again"  # what ferry -v says of an incremental plan
CURVE = (1000, 10000, 30000, 100000)
MIB = 2**20
SHORT = {"read_floor": "read floor", "python": "Python", "node": "Node.js", "cold": "cold", "warm": "warm",
         "warm_full": "warm in full", "minimum": "minimum",
         "baseline_cold": "baseline cold", "baseline_warm": "baseline warm"}

# The targets of the performance issue, shown beside the figures reached.
TARGETS = {
    "cold / read floor": ("<=", 2),
    "Python / cold": (">=", 20),
    "Node.js / cold": (">=", 8),
    "warm / read floor": ("<=", 0.25),
    "cold memory / YAML": ("<=", 2),
    "warm memory / YAML": ("<=", 2),
    "first deploy, bare / read floor": ("<=", 5),
    "first deploy, work tree / read floor": ("<=", 5),
    "--all plan, json / read floor": ("<=", 3),
    "--all plan memory / YAML": ("<=", 2),
}


class CheckFailed(Exception):
    """A wrong answer, or a command that failed: the benchmark exits 1."""


@dataclasses.dataclass
class Sample:
    seconds: float
    peak_bytes: int | None = None  # maximum resident set size


def measure(cmd, *, env=None, stdin=None, stdout=None, stderr=None):
    """Run cmd; return its Sample (wall clock, peak memory) and exit status."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdin=stdin, stdout=stdout, stderr=stderr)
    _, status, usage = os.wait4(proc.pid, 0)  # the rusage of this child alone
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Sample(seconds, usage.ru_maxrss * 1024), proc.returncode


def git(repo, *args, input=None):
    return subprocess.run(["git", "-C", str(repo), *args], input=input,
                          capture_output=True, check=True).stdout


def have_c_yaml():
    try:
        import yaml
    except ImportError:
        return False
    return hasattr(yaml, "CSafeLoader")


# js-yaml for the Node.js baseline, from npm, installed once into a cache
# folder outside the repository (nothing is downloaded when it is there).
NODE_DEPS = pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache")) / "ferry-bench" / "node"
JS_YAML = "js-yaml@4.1.0"


def node_env(install=True):
    """The environment that runs naive_plan.mjs, or None when Node.js or
    js-yaml cannot be had (the Node baseline is then skipped). Without
    `install`, only a js-yaml installed before is used."""
    if not shutil.which("node"):
        return None
    modules = NODE_DEPS / "node_modules"
    if not (modules / "js-yaml" / "package.json").exists():
        if not install or not shutil.which("npm"):
            return None
        log(f"installing {JS_YAML} into {NODE_DEPS} for the Node.js baseline ...")
        NODE_DEPS.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(NODE_DEPS), JS_YAML],
                              capture_output=True)
        if done.returncode != 0:
            log("note: npm could not install js-yaml; the Node.js baseline is skipped")
            return None
    return dict(os.environ, NODE_PATH=str(modules))


def prepare_org(path, models, syncs, change, undeployed=False):
    """Generate the organization into path, or reuse it if made with the same parameters."""
    params = {"models": models, "syncs": syncs, "change": change,
              "make_org": hashlib.sha256((HERE / "make_org.py").read_bytes()).hexdigest()}
    if undeployed:
        params["undeployed"] = True
    stamp = path / "bench-params.json"
    if stamp.exists() and json.loads(stamp.read_text()) == params:
        log(f"reusing {path}")
        return path
    if path.exists() and any(path.iterdir()) and not stamp.exists():
        raise CheckFailed(f"{path} exists and was not made by bench.py: not overwriting it")
    log(f"generating {models:,} models and {syncs:,} syncs per workspace into {path} ...")
    subprocess.run([sys.executable, str(HERE / "make_org.py"), str(path), "--models", str(models),
                    "--syncs", str(syncs), "--change", str(change)] + (["--undeployed"] if undeployed else []),
                   check=True, stdout=subprocess.DEVNULL)
    stamp.write_text(json.dumps(params) + "\n")
    return path


def log(message):
    print(message, file=sys.stderr, flush=True)


def describe(addresses, limit=5):
    shown = ", ".join(sorted(addresses)[:limit])
    return shown + (f" and {len(addresses) - limit} more" if len(addresses) > limit else "")


def check_addresses(label, found, expected):
    missing, extra = expected - found, found - expected
    if missing or extra:
        raise CheckFailed(f"{label}: {len(found)} changes, expected {len(expected)}"
                          + (f"; missing {describe(missing)}" if missing else "")
                          + (f"; unexpected {describe(extra)}" if extra else ""))


class Session:
    """One organization made ready to measure: blob lists taken, ferry's cache primed."""

    def __init__(self, org, ferry, work, key="update"):
        self.org = org
        self.ferry = ferry
        self.work = work
        self.expected = set(json.loads((org / "expected.json").read_text())[key])
        self.blob_lists = {}
        self.files = 0
        self.yaml_bytes = 0
        for repo in REPOS:
            self._list_blobs(repo)
        self.reference = None  # the bytes of the first cold plan
        self.reference_plan = None
        self.python_changes = None  # address -> diff, from the last Python run
        self.node_changes = None  # the same, from the last Node.js run
        self.cache_made = False
        self.incremental = False  # the last warm plan came from the plan memo
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("FERRY_NO_CACHE", "FERRY_CONFIG", "FERRY_ACTOR")}
        self.env["NO_COLOR"] = "1"

    def _list_blobs(self, repo):
        listing = git(self.org / repo, "ls-tree", "-r", "-z", "HEAD")
        oids = [entry.split(b"\t", 1)[0].split()[2] for entry in listing.split(b"\0")
                if entry and entry.split()[1] == b"blob"]
        ids = b"\n".join(oids) + b"\n"
        path = self.work / f"{repo}.blobs"
        path.write_bytes(ids)
        self.blob_lists[repo] = path
        for line in git(self.org / repo, "cat-file", "--batch-check", input=ids).splitlines():
            self.yaml_bytes += int(line.split()[2])
        self.files += len(oids)

    # -- ferry's cache ----------------------------------------------------

    def _cache_dirs(self):
        return [(repo, self.org / repo / CACHE) for repo in REPOS]

    def clear_cache(self):
        for _, path in self._cache_dirs():
            shutil.rmtree(path, ignore_errors=True)
        os.sync()

    def restore_cache(self):
        """Put back the cache as it was made on the commit before the change."""
        self.clear_cache()
        for repo, path in self._cache_dirs():
            saved = self.work / "cache" / repo
            if saved.exists():
                shutil.copytree(saved, path)
        # The copy's dirty pages are written back before the run, not during
        # it: that writeback is the benchmark's doing, not ferry's (it made
        # warm runs up to twice as slow).
        os.sync()

    def prime(self):
        """Make ferry's cache on dev@base (before the change) and set it aside."""
        self.clear_cache()
        _, text = self._ferry(source="dev@base", cold=False, label="priming plan (dev@base)")
        status = json.loads(text).get("status")
        if status != "no-changes":
            raise CheckFailed(f"priming plan from dev@base: status {status!r}, expected 'no-changes' "
                              "(prod was deployed from dev's base commit)")
        shutil.rmtree(self.work / "cache", ignore_errors=True)
        for repo, path in self._cache_dirs():
            if path.exists():
                shutil.copytree(path, self.work / "cache" / repo)
                self.cache_made = True
        if not self.cache_made:
            log(f"note: ferry made no cache (no <gitdir>/{CACHE}): warm runs are cold runs")

    # -- the measured commands -------------------------------------------

    def read_floor(self):
        """(a) Both repositories' blobs through `git cat-file --batch`, at once."""
        inputs = [open(self.blob_lists[repo], "rb") for repo in REPOS]
        start = time.perf_counter()
        procs = [subprocess.Popen(["git", "-C", str(self.org / repo), "cat-file", "--batch"],
                                  stdin=stdin, stdout=subprocess.DEVNULL)
                 for repo, stdin in zip(REPOS, inputs)]
        codes = [proc.wait() for proc in procs]
        seconds = time.perf_counter() - start
        for stdin in inputs:
            stdin.close()
        if any(codes):
            raise CheckFailed(f"git cat-file --batch failed: exit {codes}")
        return Sample(seconds)

    def python(self):
        """(b) naive_plan.py; its changes must be ferry's."""
        cmd = [sys.executable, str(HERE / "naive_plan.py"), "--config", str(self.org / "ferry.yaml"),
               "--from", "dev", "--to", "prod"]
        sample, text = self._run(cmd, self.env, "naive_plan.py")
        changes = {c["address"]: c["diff"] for c in json.loads(text)["changes"]}
        check_addresses("naive_plan.py", set(changes), self.expected)
        self.python_changes = changes
        return sample

    def node(self, env):
        """(b2) naive_plan.mjs, the same job with Node.js and js-yaml; its changes must be ferry's."""
        cmd = ["node", str(HERE / "naive_plan.mjs"), "--config", str(self.org / "ferry.yaml"),
               "--from", "dev", "--to", "prod"]
        sample, text = self._run(cmd, env, "naive_plan.mjs")
        changes = {c["address"]: c["diff"] for c in json.loads(text)["changes"]}
        check_addresses("naive_plan.mjs", set(changes), self.expected)
        self.node_changes = changes
        return sample

    def check_python_diffs(self):
        """The scripts' diffs are ferry's, operation for operation."""
        for label, found in (("naive_plan.py", self.python_changes), ("naive_plan.mjs", self.node_changes)):
            if found is None:
                continue
            for change in self.reference_plan["changes"]:
                if change["diff"] != found[change["address"]]:
                    raise CheckFailed(f"{label} and ferry differ on the diff of {change['address']}")

    def physical_minimum(self):
        """(g) What a warm plan cannot do without: git's list of the paths
        that changed between the commit a cache saw and the one asked for
        (unchanged folders compare by id), the changed blobs and their
        counterparts in prod, and the links and workspace files."""
        start = time.perf_counter()
        changed = git(self.org / "dev.git", "diff-tree", "-r", "-z", "--no-renames", "base", "HEAD")
        fields = changed.split(b"\0")
        dev_blobs, paths = [], []
        for meta, path in zip(fields[0::2], fields[1::2]):
            if meta:
                dev_blobs.append(meta.split()[3])
                paths.append(path)
        # The counterparts' ids from one listing of prod's tree (pathspecs
        # or a `HEAD:path` per file cost more than the whole listing), then
        # every blob through one cat-file per repository.
        others = [b"links.yaml", b"workspace.yaml"]
        ids = {}
        for repo, names in (("dev.git", others), ("prod.git", paths + others)):
            wanted = set(names)
            listing = git(self.org / repo, "ls-tree", *(["-r"] if repo == "prod.git" else []), "-z", "HEAD")
            ids[repo] = [meta.split()[2] for meta, _, name in (e.partition(b"\t") for e in listing.split(b"\0") if e)
                         if name in wanted]
        procs = [subprocess.Popen(["git", "-C", str(self.org / repo), "cat-file", "--batch"],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
                 for repo in ("dev.git", "prod.git")]
        procs[0].communicate(b"\n".join(dev_blobs + ids["dev.git"]) + b"\n")
        procs[1].communicate(b"\n".join(ids["prod.git"]) + b"\n")
        seconds = time.perf_counter() - start
        if len(paths) != len(self.expected):
            raise CheckFailed(f"git diff-tree found {len(paths)} changed files, expected {len(self.expected)}")
        return Sample(seconds)

    def cold(self):
        """(c) ferry with FERRY_NO_CACHE=1: it must neither read nor write a cache."""
        self.clear_cache()
        sample, text = self._ferry(source="dev", cold=True, label="ferry cold")
        written = [str(path) for _, path in self._cache_dirs() if path.exists()]
        if written:
            raise CheckFailed(f"ferry wrote a cache under FERRY_NO_CACHE=1: {', '.join(written)}")
        self._check_plan(text, "ferry cold")
        return sample

    def warm(self):
        """(d) ferry from the cache made before the change; the plan must be the cold one."""
        self.restore_cache()
        sample, text = self._ferry(source="dev", cold=False, label="ferry warm")
        self._check_plan(text, "ferry warm")
        # Whether it planned only what changed, from the plan memo
        # (docs/incremental-plans.md); -v says so on standard error.
        self.incremental = PLANNED_AGAIN in (self.work / "stderr").read_text(errors="replace")
        return sample

    def warm_full(self):
        """(d2) The same with the parse cache but no plan memo: a change the
        memo cannot take (a file added, a reference changed) plans in full,
        and writes a memo for the next run."""
        self.restore_cache()
        for _, path in self._cache_dirs():
            for memo in path.glob("plan-*.memo") if path.exists() else []:
                memo.unlink()
        sample, text = self._ferry(source="dev", cold=False, label="ferry warm, in full")
        self._check_plan(text, "ferry warm, in full")
        return sample

    def _ferry(self, source, cold, label):
        env = dict(self.env, FERRY_NO_CACHE="1") if cold else self.env
        cmd = [str(self.ferry), "-v", "--config", str(self.org / "ferry.yaml"), "reconcile",
               "--from", source, "--to", "prod", "--dry-run", "--format", "json", "--actor", ACTOR]
        return self._run(cmd, env, label)

    def _run(self, cmd, env, label):
        out, err = self.work / "stdout", self.work / "stderr"
        with open(out, "wb") as stdout, open(err, "wb") as stderr:
            sample, code = measure(cmd, env=env, stdout=stdout, stderr=stderr)
        if code != 0:
            tail = err.read_text(errors="replace").strip()[-2000:]
            raise CheckFailed(f"{label} exited with status {code}:\n{tail}")
        return sample, out.read_bytes()

    def _check_plan(self, text, label):
        """The plan holds exactly the expected updates; every plan is the first one."""
        if self.reference is not None:
            if text != self.reference:
                raise CheckFailed(f"{label}: plan differs from the first cold plan")
            return
        plan = json.loads(text)
        if plan.get("status") != "ok" or plan.get("errors"):
            raise CheckFailed(f"{label}: status {plan.get('status')!r}, expected 'ok'; "
                              f"errors: {plan.get('errors')}")
        not_updates = {c["address"] for c in plan["changes"] if c["action"] != "update"}
        if not_updates:
            raise CheckFailed(f"{label}: changes that are not updates: {describe(not_updates)}")
        check_addresses(label, {c["address"] for c in plan["changes"]}, self.expected)
        self.reference, self.reference_plan = text, plan


# -- figures ---------------------------------------------------------------

def summary(samples):
    seconds = [s.seconds for s in samples]
    peaks = [s.peak_bytes for s in samples if s.peak_bytes is not None]
    return {"median_s": statistics.median(seconds), "min_s": min(seconds), "max_s": max(seconds),
            "runs_s": [round(s, 4) for s in seconds],
            "peak_mib": max(peaks) / MIB if peaks else None}


def fmt_s(seconds):
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def plural(n, noun):
    return f"{n} {noun}" + ("" if n == 1 else "s")


def met(name, value):
    op, bound = TARGETS[name]
    ok = {"<=": value <= bound, ">=": value >= bound, "<": value < bound}[op]
    return f"{op} {bound:g}x", "yes" if ok else "no"


def machine():
    return {"cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)),
            "load_average": round(os.getloadavg()[0], 2)}


def ferry_version(ferry):
    result = subprocess.run([str(ferry), "--version"], capture_output=True, text=True)
    return result.stdout.strip() or "unknown"


# -- the two modes -----------------------------------------------------------

def benchmark(args, org_dir, work):
    session = Session(org_dir, args.ferry, work)
    session.prime()
    baseline = None
    if args.baseline:
        (work / "baseline").mkdir()
        baseline = Session(org_dir, args.baseline, work / "baseline")
        baseline.prime()
    rows = {"read_floor": [], "python": [], "node": [], "cold": [], "warm": [], "warm_full": [], "minimum": []}
    node = node_env(install=not args.smoke) if args.python_runs else None
    if baseline:
        rows.update({"baseline_cold": [], "baseline_warm": []})
    for run in range(args.runs):
        rows["read_floor"].append(session.read_floor())
        if run < args.python_runs:
            rows["python"].append(session.python())
            if node:
                rows["node"].append(session.node(node))
        rows["minimum"].append(session.physical_minimum())
        # The two binaries in turn, in an order that alternates by round.
        order = [(session, "cold"), (session, "warm"), (session, "warm_full")]
        if baseline:
            pair = [(baseline, "baseline_cold"), (baseline, "baseline_warm")]
            order = order + pair if run % 2 == 0 else pair + order
        for who, row in order:
            rows[row].append(who.warm() if row.endswith("warm") else who.warm_full() if row == "warm_full"
                             else who.cold())
        done = ", ".join(f"{SHORT[name]} {fmt_s(samples[-1].seconds)}" for name, samples in rows.items()
                         if len(samples) == run + 1)
        log(f"round {run + 1}/{args.runs}: {done}")

    if rows["python"] or rows["node"]:
        session.check_python_diffs()

    results = {name: summary(samples) for name, samples in rows.items() if samples}
    floor = results["read_floor"]["median_s"]
    yaml_mib = session.yaml_bytes / MIB
    ratios = {
        "cold / read floor": results["cold"]["median_s"] / floor,
        "warm / read floor": results["warm"]["median_s"] / floor,
        "cold memory / YAML": results["cold"]["peak_mib"] / yaml_mib,
        "warm memory / YAML": results["warm"]["peak_mib"] / yaml_mib,
    }
    ratios["physical minimum / read floor"] = results["minimum"]["median_s"] / floor
    ratios["warm in full / read floor"] = results["warm_full"]["median_s"] / floor
    if "python" in results:
        ratios["Python / cold"] = results["python"]["median_s"] / results["cold"]["median_s"]
    if "node" in results:
        ratios["Node.js / cold"] = results["node"]["median_s"] / results["cold"]["median_s"]
    if baseline:
        ratios["cold / baseline cold"] = results["cold"]["median_s"] / results["baseline_cold"]["median_s"]
        ratios["warm / baseline warm"] = results["warm"]["median_s"] / results["baseline_warm"]["median_s"]
        ratios["cold memory / baseline"] = results["cold"]["peak_mib"] / results["baseline_cold"]["peak_mib"]
        ratios["warm memory / baseline"] = results["warm"]["peak_mib"] / results["baseline_warm"]["peak_mib"]
    checks = [f"ferry's plan holds exactly the {len(session.expected):,} expected updates",
              f"{plural(2 * args.runs, 'warm plan')} byte-identical to the cold plan"
              + ("" if session.cache_made else " (ferry made no cache: warm = cold)")]
    checks.append("the warm plans (d) planned only what changed, from the plan memo" if session.incremental
                  else "note: the warm plans (d) were planned in full (no plan memo was used)")
    if "python" in results:
        checks.insert(1, "naive_plan.py finds the same changes and diffs")
    if "node" in results:
        checks.insert(1, "naive_plan.mjs finds the same changes and diffs")

    deploy = None
    if not args.smoke or args.deploy:
        deploy = first_deploy(args, work)
        ratios.update(deploy["ratios"])

    figures = {
        "deploy": deploy,
        "parameters": {"models": args.models, "syncs": args.syncs, "change_percent": args.change,
                       "runs": args.runs, "python_runs": min(args.python_runs, args.runs)},
        "machine": machine(),
        "ferry": {"path": str(args.ferry), "version": ferry_version(args.ferry)},
        "baseline": {"path": str(args.baseline), "version": ferry_version(args.baseline)} if baseline else None,
        "organization": {"files": session.files, "yaml_bytes": session.yaml_bytes,
                         "expected_updates": len(session.expected)},
        "results": results, "ratios": ratios,
        "cache_made": session.cache_made, "checks_passed": checks,
    }
    print_benchmark(figures)
    return figures


def created_addresses(plan_file):
    """The addresses a JSON plan creates, read by a child process: parsing a
    plan of 30,000 creates takes this process past a gigabyte, and a child
    started after that (each measured command) would report this process's
    peak as its own (Linux hands a child its parent's peak memory)."""
    script = ("import json, sys\n"
              "plan = json.load(open(sys.argv[1], 'rb'))\n"
              "print('\\n'.join(c['address'] for c in plan['changes'] if c['action'] == 'create'))\n")
    out = subprocess.run([sys.executable, "-c", script, str(plan_file)], check=True, capture_output=True).stdout
    return set(out.decode().split())


def first_deploy(args, work):
    """A first deploy: every model and sync of dev created in a prod that
    has only its sources and destinations. Per round: the read floor of
    that organization, the `--all` plan as JSON (dry run), and the write,
    into a fresh bare copy of prod and into a fresh clone with a work tree
    (copies made before the clock starts). Every plan must hold exactly the
    expected creates, and every written prod pass `git fsck`, with a clean
    work tree."""
    org_dir = prepare_org((args.keep / "deploy-org") if args.keep else work / "deploy-org",
                          args.models, args.syncs, 0.0, undeployed=True)
    session_work = work / "deploy-session"
    session_work.mkdir()
    session = Session(org_dir, args.ferry, session_work, key="create")
    template = session_work / "prod-template"
    git(org_dir, "clone", "-q", str(org_dir / "prod.git"), str(template))
    env = dict(session.env)
    rows = {"deploy_floor": [], "all_json": [], "deploy_bare": [], "deploy_work_tree": []}
    for run in range(args.runs):
        rows["deploy_floor"].append(session.read_floor())
        plan_out = session_work / "plan.json"
        cmd = [str(args.ferry), "--config", str(org_dir / "ferry.yaml"), "reconcile", "--from", "dev", "--to",
               "prod", "--all", "--dry-run", "--format", "json", "--actor", ACTOR]
        with open(plan_out, "wb") as stdout:
            sample, code = measure(cmd, env=dict(env, FERRY_NO_CACHE="1"), stdout=stdout, stderr=subprocess.DEVNULL)
        if code != 0:
            raise CheckFailed(f"the --all plan exited with status {code}")
        check_addresses("--all plan", created_addresses(plan_out), session.expected)
        rows["all_json"].append(sample)
        for row, bare in (("deploy_bare", True), ("deploy_work_tree", False)):
            target = session_work / f"prod-{run}-{'bare' if bare else 'wt'}"
            if bare:
                shutil.copytree(org_dir / "prod.git", target)
            else:
                shutil.copytree(template, target, symlinks=True)
            config = session_work / f"ferry-{run}-{row}.yaml"
            config.write_text(f"workspaces:\n  dev:\n    repo: {org_dir / 'dev.git'}\n"
                              f"  prod:\n    repo: {target}\n    branch: main\n")
            os.sync()
            cmd = [str(args.ferry), "--config", str(config), "reconcile", "--from", "dev", "--to", "prod",
                   "--all", "--yes", "--quiet", "--actor", ACTOR]
            sample, code = measure(cmd, env=dict(env, FERRY_NO_CACHE="1"), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
            if code != 0:
                raise CheckFailed(f"the first deploy ({row}) exited with status {code}")
            written = git(target, "ls-tree", "-r", "--name-only", "main").decode().split()
            if sum(1 for name in written if name.startswith(("models/", "syncs/"))) != len(session.expected):
                raise CheckFailed(f"the first deploy ({row}) did not write every model and sync")
            if subprocess.run(["git", "-C", str(target), "fsck", "--strict"], capture_output=True).returncode:
                raise CheckFailed(f"git fsck --strict fails after the first deploy ({row})")
            if not bare and git(target, "status", "--porcelain").strip():
                raise CheckFailed("the work tree is not clean after the first deploy")
            rows[row].append(sample)
            shutil.rmtree(target)
        done = ", ".join(f"{name} {fmt_s(samples[-1].seconds)}" for name, samples in rows.items())
        log(f"first deploy round {run + 1}/{args.runs}: {done}")
    results = {name: summary(samples) for name, samples in rows.items()}
    floor = results["deploy_floor"]["median_s"]
    yaml_mib = session.yaml_bytes / MIB
    ratios = {
        "first deploy, bare / read floor": results["deploy_bare"]["median_s"] / floor,
        "first deploy, work tree / read floor": results["deploy_work_tree"]["median_s"] / floor,
        "--all plan, json / read floor": results["all_json"]["median_s"] / floor,
        "--all plan memory / YAML": results["all_json"]["peak_mib"] / yaml_mib,
    }
    return {"organization": {"files": session.files, "yaml_bytes": session.yaml_bytes,
                             "expected_creates": len(session.expected)},
            "results": results, "ratios": ratios}


def print_first_deploy(d):
    org = d["organization"]
    print(f"first deploy: {org['expected_creates']:,} models and syncs created; {org['files']:,} files, "
          f"{org['yaml_bytes'] / MIB:.1f} MiB of YAML (dev + prod)")
    labels = {"deploy_floor": "(h) read floor of this organization",
              "all_json": "(i) --all plan, --format json (dry run)",
              "deploy_bare": "(j) first deploy, written, bare prod",
              "deploy_work_tree": "(k) first deploy, written, with a work tree"}
    print(f"{'':47}{'median':>9}{'min':>9}{'max':>9}{'peak memory':>14}")
    for name, label in labels.items():
        r = d["results"][name]
        peak = f"{r['peak_mib']:.0f} MiB" if r["peak_mib"] is not None and name != "deploy_floor" else ""
        print(f"{label:47}{fmt_s(r['median_s']):>9}{fmt_s(r['min_s']):>9}{fmt_s(r['max_s']):>9}{peak:>14}")


def print_benchmark(f):
    p, org, m = f["parameters"], f["organization"], f["machine"]
    print(f"ferry plan benchmark: {p['models']:,} models and {p['syncs']:,} syncs per workspace, "
          f"{p['change_percent']:g}% changed")
    print(f"organization: {org['files']:,} files, {org['yaml_bytes'] / MIB:.1f} MiB of YAML "
          f"(dev + prod), {org['expected_updates']:,} updates expected")
    print(f"machine: {m['cores']} cores, load average {m['load_average']} at start; "
          f"runs: {p['runs']} (Python: {p['python_runs']}); {f['ferry']['version']}")
    print()
    labels = {"read_floor": "(a) read floor: git cat-file, both repos",
              "python": "(b) Python + PyYAML (C loader)",
              "node": "(b2) Node.js + js-yaml",
              "cold": "(c) ferry cold (FERRY_NO_CACHE=1)",
              "warm": "(d) ferry warm (cache from before the change)",
              "warm_full": "(d2) ferry warm, planned in full (no memo)",
              "baseline_cold": "(e) baseline ferry cold",
              "baseline_warm": "(f) baseline ferry warm",
              "minimum": "(g) physical minimum of a warm plan"}
    print(f"{'':47}{'median':>9}{'min':>9}{'max':>9}{'peak memory':>14}")
    for name, label in labels.items():
        r = f["results"].get(name)
        if r is None and name.startswith("baseline"):
            continue
        if r is None:
            print(f"{label:47}{'skipped':>9}")
            continue
        peak = f"{r['peak_mib']:.0f} MiB" if r["peak_mib"] is not None and name != "read_floor" else ""
        print(f"{label:47}{fmt_s(r['median_s']):>9}{fmt_s(r['min_s']):>9}{fmt_s(r['max_s']):>9}{peak:>14}")
    print()
    if f.get("deploy"):
        print_first_deploy(f["deploy"])
        print()
    print(f"{'ratio (medians; memory: peak / YAML bytes)':47}{'reached':>9}{'target':>9}{'met':>6}")
    for name in TARGETS:
        if name in f["ratios"]:
            value = f["ratios"][name]
            target, ok = met(name, value)
            print(f"{name:47}{value:>8.2f}x{target:>9}{ok:>6}")
    for name in ("physical minimum / read floor", "warm in full / read floor"):
        if name in f["ratios"]:
            print(f"{name:47}{f['ratios'][name]:>8.2f}x")
    if f.get("baseline"):
        print()
        print(f"against the baseline ({f['baseline']['path']}), in the same rounds:")
        for name in ("cold / baseline cold", "warm / baseline warm", "cold memory / baseline",
                     "warm memory / baseline"):
            print(f"{name:47}{f['ratios'][name]:>8.2f}x")
    print()
    print("checks passed: " + "; ".join(f["checks_passed"]))


def curve(args, sizes, work):
    rows = []
    for resources in sizes:
        models = max(1, round(resources / 3))
        syncs = resources - models
        if args.keep:
            org_dir = prepare_org(args.keep / f"curve-{resources}", models, syncs, args.change)
        else:
            org_dir = prepare_org(work / f"curve-{resources}", models, syncs, args.change)
        session_work = work / f"session-{resources}"
        session_work.mkdir()
        session = Session(org_dir, args.ferry, session_work)
        session.prime()
        cold, warm = [], []
        for run in range(args.runs):
            cold.append(session.cold())
            warm.append(session.warm())
            log(f"{resources:,} resources, round {run + 1}/{args.runs}: "
                f"cold {fmt_s(cold[-1].seconds)}, warm {fmt_s(warm[-1].seconds)}")
        rows.append({"resources": resources, "models": models, "syncs": syncs,
                     "files": session.files, "yaml_bytes": session.yaml_bytes,
                     "expected_updates": len(session.expected), "cache_made": session.cache_made,
                     "cold": summary(cold), "warm": summary(warm)})
        if not args.keep:
            shutil.rmtree(org_dir)

    figures = {"parameters": {"sizes": list(sizes), "change_percent": args.change, "runs": args.runs},
               "machine": machine(),
               "ferry": {"path": str(args.ferry), "version": ferry_version(args.ferry)},
               "curve": rows}
    print_curve(figures)
    return figures


def print_curve(f):
    p, m = f["parameters"], f["machine"]
    print(f"ferry plan growth: resources per workspace = models + syncs (1:2), {p['change_percent']:g}% changed")
    print(f"machine: {m['cores']} cores, load average {m['load_average']} at start; "
          f"runs per size: {p['runs']} (medians; memory: peak); {f['ferry']['version']}")
    print()
    header = (f"{'resources':>10}{'files':>9}{'YAML MiB':>10}{'cold':>9}{'warm':>9}"
              f"{'cold MiB':>10}{'warm MiB':>10}{'cold s/10k':>12}{'MiB/YAML MiB':>14}")
    print(header)
    for r in f["curve"]:
        yaml_mib = r["yaml_bytes"] / MIB
        cold, warm = r["cold"], r["warm"]
        print(f"{r['resources']:>10,}{r['files']:>9,}{yaml_mib:>10.1f}{fmt_s(cold['median_s']):>9}"
              f"{fmt_s(warm['median_s']):>9}{cold['peak_mib']:>10.0f}{warm['peak_mib']:>10.0f}"
              f"{cold['median_s'] / r['resources'] * 10000:>12.2f}{cold['peak_mib'] / yaml_mib:>14.1f}")
    print()
    if not all(r["cache_made"] for r in f["curve"]):
        print("note: ferry made no cache, so warm runs are cold runs")
    print("checks passed: every plan holds exactly the expected updates; "
          "every warm plan byte-identical to the cold plan")


# -- command line --------------------------------------------------------------

def render(args, work):
    """Every format of a plan that changes every model and sync (30,000
    updates by default), cold, side by side with the baseline when given:
    what rendering costs when a plan is huge. Each format's output of the
    two binaries is checked to hold the same changes."""
    org_dir = args.keep or work / "render-org"
    prepare_org(org_dir, args.models, args.syncs, 100.0)
    expected = set(json.loads((org_dir / "expected.json").read_text())["update"])
    env = dict(os.environ, FERRY_NO_CACHE="1", NO_COLOR="1")
    env.pop("GITHUB_STEP_SUMMARY", None)
    binaries = [("ferry", args.ferry)] + ([("baseline", args.baseline)] if args.baseline else [])
    formats = ("text", "json", "markdown")
    rows = {(who, fmt): [] for who, _ in binaries for fmt in formats}
    for run in range(args.runs):
        order = binaries if run % 2 == 0 else list(reversed(binaries))
        for fmt in formats:
            for who, binary in order:
                cmd = [str(binary), "--config", str(org_dir / "ferry.yaml"), "reconcile", "--from", "dev",
                       "--to", "prod", "--dry-run", "--format", fmt, "--actor", ACTOR]
                out = work / f"render-{who}-{fmt}"
                with open(out, "wb") as stdout:
                    sample, code = measure(cmd, env=env, stdout=stdout, stderr=subprocess.DEVNULL)
                if code != 0:
                    raise CheckFailed(f"{who} --format {fmt} exited with status {code}")
                if fmt == "json":
                    check_addresses(f"{who} json", {c["address"] for c in json.loads(out.read_bytes())["changes"]},
                                    expected)
                if fmt == "markdown" and len(out.read_text()) > 65536:
                    raise CheckFailed(f"{who} markdown is longer than a comment may be")
                rows[(who, fmt)].append(sample)
        log(f"render round {run + 1}/{args.runs} done")
    results = {f"{who} {fmt}": summary(samples) for (who, fmt), samples in rows.items()}
    print(f"ferry render benchmark: {len(expected):,} updates, cold (FERRY_NO_CACHE=1), {args.runs} rounds")
    print(f"{'':30}{'median':>9}{'peak memory':>14}" + (f"{'/ baseline':>12}" if args.baseline else ""))
    ratios = {}
    for fmt in formats:
        for who, _ in binaries:
            r = results[f"{who} {fmt}"]
            line = f"{who + ' --format ' + fmt:30}{fmt_s(r['median_s']):>9}{r['peak_mib']:>10.0f} MiB"
            if args.baseline and who == "ferry":
                ratio = r["median_s"] / results[f"baseline {fmt}"]["median_s"]
                ratios[fmt] = ratio
                line += f"{ratio:>11.2f}x"
            print(line)
    return {"render": {"updates": len(expected), "results": results, "ratios_to_baseline": ratios}}


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--models", type=int, default=10000, help="models per workspace")
    ap.add_argument("--syncs", type=int, default=20000, help="syncs per workspace")
    ap.add_argument("--change", type=float, default=1.0, help="percent of models and syncs changed in dev")
    ap.add_argument("--runs", type=int, help="rounds (default: 5; --curve 3; --smoke 1)")
    ap.add_argument("--python-runs", type=int,
                    help="rounds that also run the Python script (default: 3; --smoke 1 if PyYAML's C loader is there)")
    ap.add_argument("--ferry", type=pathlib.Path,
                    default=pathlib.Path(os.environ.get("FERRY_BIN", ROOT / "build" / "ferry")),
                    help="the ferry binary (also $FERRY_BIN)")
    ap.add_argument("--baseline", type=pathlib.Path, metavar="PATH",
                    help="another ferry binary to measure cold and warm in the same rounds")
    ap.add_argument("--keep", type=pathlib.Path, metavar="DIR",
                    help="generate the organization here and keep it; reused when the parameters match")
    ap.add_argument("--json", type=pathlib.Path, metavar="FILE", help="also write all figures as JSON")
    ap.add_argument("--curve", nargs="?", const=",".join(map(str, CURVE)), metavar="N,N,...",
                    help="measure ferry cold and warm over these numbers of resources per workspace")
    ap.add_argument("--render", action="store_true",
                    help="measure every output format of a plan that updates every model and sync")
    ap.add_argument("--deploy", action="store_true",
                    help="with --smoke: measure the first deploy too (always measured otherwise)")
    ap.add_argument("--smoke", action="store_true",
                    help="a few seconds: 200 models, 400 syncs, one round, every check")
    args = ap.parse_args()

    if args.smoke:
        args.models, args.syncs = 200, 400
        if args.python_runs is None:
            args.python_runs = 1 if have_c_yaml() else 0
    if args.python_runs is None:
        args.python_runs = 3
    if args.runs is None:
        args.runs = 1 if args.smoke else 3 if args.curve else 5
    if args.runs < 1 or args.python_runs < 0:
        ap.error("--runs must be at least 1 and --python-runs at least 0")
    if args.curve:
        try:
            args.curve = [int(n) for n in args.curve.split(",")]
        except ValueError:
            ap.error("--curve takes numbers of resources separated by commas, e.g. 1000,10000")
        if any(n < 3 for n in args.curve):
            ap.error("--curve sizes must be at least 3 resources")
    args.ferry = args.ferry.resolve()
    if args.baseline:
        args.baseline = args.baseline.resolve()
        if args.curve:
            ap.error("--baseline measures one organization: not with --curve")
    if args.keep:
        args.keep = args.keep.resolve()
    return args


def main():
    args = parse_args()
    if not os.access(args.ferry, os.X_OK):
        print(f"bench: no ferry binary at {args.ferry} (build it, or pass --ferry)", file=sys.stderr)
        return 1
    if args.python_runs and not args.curve and not args.render and not have_c_yaml():
        print("bench: the Python baseline needs PyYAML with its C loader (python3-yaml); "
              "pass --python-runs 0 to skip it", file=sys.stderr)
        return 1
    try:
        with tempfile.TemporaryDirectory(prefix="ferry-bench-") as tmp:
            work = pathlib.Path(tmp)
            if args.render:
                figures = render(args, work)
            elif args.curve:
                figures = curve(args, args.curve, work)
            else:
                org_dir = args.keep or work / "org"
                prepare_org(org_dir, args.models, args.syncs, args.change)
                session_work = work / "session"
                session_work.mkdir()
                figures = benchmark(args, org_dir, session_work)
    except CheckFailed as failure:
        print(f"bench: check failed: {failure}", file=sys.stderr)
        return 1
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
