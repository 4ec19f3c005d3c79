#!/usr/bin/env python3
"""Generate a benchmark organization: two workspaces, dev and prod, as git
repositories, every source and destination linked, every model and sync
already deployed from dev to prod, then a share of dev's models and syncs
changed in one more commit.

    make_org.py OUTDIR [--models N] [--syncs N] [--change PERCENT] [--undeployed]

Writes OUTDIR/dev.git and OUTDIR/prod.git (bare), OUTDIR/ferry.yaml, and
OUTDIR/expected.json (the addresses a plan from dev to prod must update).
dev's tag `base` is the commit before the change, so a cache can be primed
on it. With --undeployed, prod holds only its sources and destinations
(linked): a plan from dev creates every model and sync (a first deploy). Repositories are written with `git fast-import`: identical arguments
give identical commit ids.
"""

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys

SOURCES = 8
DESTINATIONS = 8
MAPPINGS = 26  # a sync's file is about 1.3 KB with these
ACTOR = "bench@example.com"


def workspace_yaml(name):
    return (f"name: {name}\norganization: bench\nmembers:\n  {ACTOR}: admin\n"
            "alerts:\n  oncall:\n    type: slack\n    channel: \"#data\"\n")


def source_yaml(i, env):
    return (f"name: Warehouse {i} ({env})\ntype: snowflake\n"
            f"config:\n  account: bench-{env}\n  database: DB{i}\n"
            "  password: { secret: WAREHOUSE_PW }\n")


def destination_yaml(i, env):
    return (f"name: CRM {i} ({env})\ntype: salesforce\n"
            f"config:\n  instance: bench-{env}-{i}\n  token: {{ secret: CRM_TOKEN }}\n")


def model_yaml(i, source, changed):
    note = " Revised." if changed else ""
    return (f"name: Model {i}\nsource: {source}\ntype: sql\n"
            f"sql: >-\n  select id, email, first_name, last_name, plan, created_at, updated_at,\n"
            f"  country, lifetime_value, last_seen_at, owner_email, account_id\n"
            f"  from analytics.customers_segment_{i} where active and region = 'r{i % 7}'\n"
            f"  and deleted_at is null and lifetime_value > {i % 100}\n"
            f"primary_key: id\n"
            f"description: Customers of segment {i}, refreshed nightly from the warehouse.{note}\n"
            f"tags: [crm, segment-{i % 13}]\n")


def sync_yaml(i, model, destination, enabled, changed):
    lines = [f"name: Sync {i}", f"model: {model}", f"destination: {destination}",
             f"enabled: {'true' if enabled else 'false'}",
             "schedule:", "  type: interval", f"  every: {1 + i % 12}h"]
    if enabled:
        lines.append("alerts: [oncall]")
    lines += ["config:", "  object: Contact", "  mode: upsert", "  mappings:"]
    for m in range(MAPPINGS):
        target = f"Field{m}__c" if not (changed and m == 0) else "Renamed0__c"
        lines.append(f"    - {{ from: column_{m}_{i % 5}, to: {target} }}")
    return "\n".join(lines) + "\n"


def tree_files(env, models, syncs, changed):
    """Yield (path, text) for one workspace. env is 'dev' or 'prod'."""
    suffix = "-dev" if env == "dev" else ""
    yield "workspace.yaml", workspace_yaml(env)
    for i in range(SOURCES):
        yield f"sources/warehouse-{i}{suffix}.yaml", source_yaml(i, env)
    for i in range(DESTINATIONS):
        yield f"destinations/crm-{i}{suffix}.yaml", destination_yaml(i, env)
    for i in range(models):
        yield (f"models/m{i:06d}.yaml",
               model_yaml(i, f"warehouse-{i % SOURCES}{suffix}", i in changed["models"]))
    for i in range(syncs):
        yield (f"syncs/s{i:06d}.yaml",
               sync_yaml(i, f"m{i % models:06d}", f"crm-{i % DESTINATIONS}{suffix}",
                         env == "prod", i in changed["syncs"]))


def undeployed(files):
    return {path: text for path, text in files.items() if not path.startswith(("models/", "syncs/"))}


def links_yaml(models, syncs):
    out = ["sources:"]
    out += [f"  warehouse-{i}: {{ dev: warehouse-{i}-dev }}" for i in range(SOURCES)]
    out.append("destinations:")
    out += [f"  crm-{i}: {{ dev: crm-{i}-dev }}" for i in range(DESTINATIONS)]
    out.append("models:")
    out += [f"  m{i:06d}: {{ dev: m{i:06d} }}" for i in range(models)]
    out.append("syncs:")
    out += [f"  s{i:06d}: {{ dev: s{i:06d} }}" for i in range(syncs)]
    return "\n".join(out) + "\n"


def fast_import(repo, commits):
    """commits: list of (message, files dict, tag or None); each commit is whole."""
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(repo)], check=True)
    stream = bytearray()
    mark = 0
    for n, (message, files, tag) in enumerate(commits):
        stream += b"commit refs/heads/main\n"
        mark += 1
        stream += f"mark :{mark}\n".encode()
        when = 1767225600 + n * 3600
        stream += f"author Bench <{ACTOR}> {when} +0000\n".encode()
        stream += f"committer Bench <{ACTOR}> {when} +0000\n".encode()
        msg = message.encode()
        stream += f"data {len(msg)}\n".encode() + msg + b"\n"
        stream += b"deleteall\n"
        for path, text in files.items():
            data = text.encode()
            stream += f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n"
        stream += b"\n"
        if tag:
            stream += f"reset refs/tags/{tag}\nfrom :{mark}\n\n".encode()
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=bytes(stream), check=True)
    subprocess.run(["git", "-C", str(repo), "gc", "-q", "--aggressive" if False else "--quiet"], check=True)


def changed_ids(count, percent):
    step = max(1, round(100 / percent)) if percent > 0 else 0
    return set(range(0, count, step)) if step else set()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir", type=pathlib.Path)
    ap.add_argument("--models", type=int, default=10000)
    ap.add_argument("--syncs", type=int, default=20000)
    ap.add_argument("--change", type=float, default=1.0, help="percent of models and syncs changed in dev")
    ap.add_argument("--undeployed", action="store_true", help="prod has no model and no sync yet")
    args = ap.parse_args()

    out = args.outdir
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    none = {"models": set(), "syncs": set()}
    changed = {"models": changed_ids(args.models, args.change), "syncs": changed_ids(args.syncs, args.change)}

    prod = dict(tree_files("prod", args.models, args.syncs, none))
    if args.undeployed:
        prod = undeployed(prod)
        prod["links.yaml"] = links_yaml(0, 0)
    else:
        prod["links.yaml"] = links_yaml(args.models, args.syncs)
    fast_import(out / "prod.git", [("deployed from dev", prod, None)])
    base = dict(tree_files("dev", args.models, args.syncs, none))
    head = dict(tree_files("dev", args.models, args.syncs, changed))
    fast_import(out / "dev.git", [("base", base, "base"), ("change", head, None)])

    (out / "ferry.yaml").write_text("workspaces:\n  dev:\n    repo: dev.git\n  prod:\n    repo: prod.git\n")
    if args.undeployed:
        created = sorted([f"prod:models/m{i:06d}" for i in range(args.models)] +
                         [f"prod:syncs/s{i:06d}" for i in range(args.syncs)])
        expected = {"create": created}
    else:
        expected = {"update": sorted([f"prod:models/m{i:06d}" for i in changed["models"]] +
                                     [f"prod:syncs/s{i:06d}" for i in changed["syncs"]])}
    (out / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    files = len(prod) + len(head)
    size = sum(len(t.encode()) for t in prod.values()) + sum(len(t.encode()) for t in head.values())
    print(f"{out}: {files} files, {size / 2**20:.1f} MiB of YAML, {len(next(iter(expected.values())))} changes expected")


if __name__ == "__main__":
    sys.exit(main())
