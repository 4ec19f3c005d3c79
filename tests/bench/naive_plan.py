#!/usr/bin/env python3
"""Plan a deployment the plain way: the Python + PyYAML baseline of bench.py.

    naive_plan.py --config ferry.yaml --from dev --to prod

Reads both workspace trees from git (`git ls-tree -r` for the listing, one
`git cat-file --batch` per repository for the blobs), parses every file with
PyYAML's C loader, resolves the links between the two workspaces, and for
every model and sync of the source workspace that is linked to the target
rewrites its references, keeps the target's own fields, and diffs it against
the target's resource. Prints {"changes": [...]} as JSON, each change with
its address, origin, action and a JSON-pointer diff.

It handles what the benchmark organization needs (updates of linked models
and syncs) and nothing more: no validation, permissions, drafts or creates.
"""

import argparse
import json
import pathlib
import subprocess
import sys

import yaml

KINDS = ("sources", "destinations", "models", "syncs", "audiences")
TARGET_OWNED = ("enabled", "alerts", "schedule")  # kept from the target on update


def git(repo, *args, input=None):
    return subprocess.run(["git", "-C", str(repo), *args], input=input,
                          capture_output=True, check=True).stdout


def read_tree(repo, rev, path="."):
    """Return {path: bytes} for every blob of the tree at rev (and path)."""
    treeish = rev if path in ("", ".") else f"{rev}:{path}"
    names, oids = [], []
    for entry in git(repo, "ls-tree", "-r", "-z", treeish).split(b"\0"):
        if not entry:
            continue
        meta, name = entry.split(b"\t", 1)
        _mode, kind, oid = meta.split()
        if kind == b"blob":
            names.append(name.decode())
            oids.append(oid)

    out = git(repo, "cat-file", "--batch", input=b"\n".join(oids) + b"\n")
    files = {}
    pos = 0
    for name in names:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        start = header_end + 1
        files[name] = out[start:start + size]
        pos = start + size + 1  # the blob is followed by a newline
    return files


def load_workspace(config_dir, spec, ref):
    repo = config_dir / spec["repo"]
    rev = ref or spec.get("branch") or "HEAD"
    files = read_tree(repo, rev, spec.get("path", "."))

    workspace = {kind: {} for kind in KINDS}
    workspace["links"] = {}
    for name, data in files.items():
        if not name.endswith((".yaml", ".yml")):
            continue
        doc = yaml.load(data, Loader=yaml.CSafeLoader)
        folder, _, file = name.rpartition("/")
        if name in ("links.yaml", "links.yml"):
            workspace["links"] = doc or {}
        elif folder in KINDS:
            workspace[folder][file.rsplit(".", 1)[0]] = doc
    return workspace


def resolve_links(source_name, source, target_name, target):
    """Return {kind: {source id: target id}}, the union of both links files."""
    links = {kind: {} for kind in KINDS}
    for kind, entries in target["links"].items():
        for target_id, others in (entries or {}).items():
            if source_name in others:
                links[kind][others[source_name]] = target_id
    for kind, entries in source["links"].items():
        for source_id, others in (entries or {}).items():
            if target_name in others:
                links[kind][source_id] = others[target_name]
    # A link whose resource no longer exists is stale: ignore it.
    for kind in KINDS:
        links[kind] = {s: t for s, t in links[kind].items()
                       if s in source[kind] and t in target[kind]}
    return links


def pointer_token(key):
    return str(key).replace("~", "~0").replace("/", "~1")


def json_diff(before, after, path=""):
    """Field-level diff as JSON-pointer operations (add, remove, replace)."""
    if isinstance(before, dict) and isinstance(after, dict):
        ops = []
        for key in sorted(set(before) | set(after), key=str):
            child = f"{path}/{pointer_token(key)}"
            if key not in after:
                ops.append({"op": "remove", "path": child, "before": before[key], "after": None})
            elif key not in before:
                ops.append({"op": "add", "path": child, "before": None, "after": after[key]})
            else:
                ops += json_diff(before[key], after[key], child)
        return ops
    if isinstance(before, list) and isinstance(after, list):
        ops = []
        common = min(len(before), len(after))
        for i in range(common):
            ops += json_diff(before[i], after[i], f"{path}/{i}")
        for i in range(common, len(after)):
            ops.append({"op": "add", "path": f"{path}/{i}", "before": None, "after": after[i]})
        for i in reversed(range(common, len(before))):
            ops.append({"op": "remove", "path": f"{path}/{i}", "before": before[i], "after": None})
        return ops
    if before != after or type(before) is not type(after):
        return [{"op": "replace", "path": path, "before": before, "after": after}]
    return []


def rewrite(kind, resource, current, links):
    """The resource as it would be written in the target, on update."""
    after = dict(resource)
    if kind == "models":
        after["source"] = links["sources"][resource["source"]]
    else:
        after["model"] = links["models"][resource["model"]]
        after["destination"] = links["destinations"][resource["destination"]]
        for field in TARGET_OWNED:
            if field in current:
                after[field] = current[field]
            else:
                after.pop(field, None)
    return after


def plan(source_name, source, target_name, target):
    links = resolve_links(source_name, source, target_name, target)
    changes = []
    for kind in ("models", "syncs"):
        for source_id, resource in source[kind].items():
            target_id = links[kind].get(source_id)
            if target_id is None:
                continue  # not linked: not selected
            current = target[kind][target_id]
            diff = json_diff(current, rewrite(kind, resource, current, links))
            if diff:
                changes.append({"address": f"{target_name}:{kind}/{target_id}",
                                "origin": f"{source_name}:{kind}/{source_id}",
                                "action": "update", "diff": diff})
    changes.sort(key=lambda change: change["address"])
    return {"changes": changes}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=pathlib.Path, default=pathlib.Path("ferry.yaml"))
    ap.add_argument("--from", dest="source", required=True, metavar="WORKSPACE[@REF]")
    ap.add_argument("--to", dest="target", required=True, metavar="WORKSPACE")
    args = ap.parse_args()

    config = yaml.load(args.config.read_bytes(), Loader=yaml.CSafeLoader)
    config_dir = args.config.resolve().parent
    source_name, _, source_ref = args.source.partition("@")
    source = load_workspace(config_dir, config["workspaces"][source_name], source_ref)
    target = load_workspace(config_dir, config["workspaces"][args.target], None)

    result = plan(source_name, source, args.target, target)
    json.dump(result, sys.stdout, indent=1, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    sys.exit(main())
