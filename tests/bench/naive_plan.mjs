// Plan a deployment the plain way in Node.js: the js-yaml baseline of bench.py.
//
//     node naive_plan.mjs --config ferry.yaml --from dev --to prod
//
// The same job as naive_plan.py, line for line: both workspace trees read
// from git (`git ls-tree -r` for the listing, one `git cat-file --batch` per
// repository for the blobs), every file parsed with js-yaml (from npm; bench.py
// installs it into a cache folder and sets NODE_PATH), links resolved, and for
// every linked model and sync of the source its references rewritten, the
// target's own fields kept, and a JSON-pointer diff against the target's
// resource. Prints {"changes": [...]} as JSON.
//
// Like the Python script it handles what the benchmark organization needs
// (updates of linked models and syncs) and nothing more.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const yaml = require("js-yaml");

const KINDS = ["sources", "destinations", "models", "syncs", "audiences"];
const TARGET_OWNED = ["enabled", "alerts", "schedule"]; // kept from the target on update

function git(repo, args, input) {
  return execFileSync("git", ["-C", repo, ...args], { input, maxBuffer: 1 << 30 });
}

// {path: Buffer} for every blob of the tree at rev (and folder).
function readTree(repo, rev, folder) {
  const treeish = !folder || folder === "." ? rev : `${rev}:${folder}`;
  const names = [];
  const oids = [];
  for (const entry of git(repo, ["ls-tree", "-r", "-z", treeish]).toString("utf8").split("\0")) {
    if (!entry) continue;
    const tab = entry.indexOf("\t");
    const [, kind, oid] = entry.slice(0, tab).split(" ");
    if (kind === "blob") {
      names.push(entry.slice(tab + 1));
      oids.push(oid);
    }
  }
  const out = git(repo, ["cat-file", "--batch"], oids.join("\n") + "\n");
  const files = new Map();
  let pos = 0;
  for (const name of names) {
    const headerEnd = out.indexOf(10, pos);
    const size = Number(out.toString("latin1", pos, headerEnd).split(" ")[2]);
    const start = headerEnd + 1;
    files.set(name, out.subarray(start, start + size));
    pos = start + size + 1; // the blob is followed by a newline
  }
  return files;
}

function loadWorkspace(configDir, spec, ref) {
  const repo = path.resolve(configDir, spec.repo);
  const files = readTree(repo, ref || spec.branch || "HEAD", spec.path || ".");
  const workspace = { links: {} };
  for (const kind of KINDS) workspace[kind] = new Map();
  for (const [name, data] of files) {
    if (!name.endsWith(".yaml") && !name.endsWith(".yml")) continue;
    const doc = yaml.load(data.toString("utf8"));
    const slash = name.lastIndexOf("/");
    const folder = slash < 0 ? "" : name.slice(0, slash);
    const file = name.slice(slash + 1);
    if (name === "links.yaml" || name === "links.yml") workspace.links = doc || {};
    else if (KINDS.includes(folder)) workspace[folder].set(file.slice(0, file.lastIndexOf(".")), doc);
  }
  return workspace;
}

// {kind: Map(source id -> target id)}, the union of both links files.
function resolveLinks(sourceName, source, targetName, target) {
  const links = {};
  for (const kind of KINDS) links[kind] = new Map();
  for (const [kind, entries] of Object.entries(target.links)) {
    for (const [targetId, others] of Object.entries(entries || {})) {
      if (others && sourceName in others) links[kind]?.set(others[sourceName], targetId);
    }
  }
  for (const [kind, entries] of Object.entries(source.links)) {
    for (const [sourceId, others] of Object.entries(entries || {})) {
      if (others && targetName in others) links[kind]?.set(sourceId, others[targetName]);
    }
  }
  // A link whose resource no longer exists is stale: ignore it.
  for (const kind of KINDS) {
    for (const [s, t] of links[kind]) {
      if (!source[kind].has(s) || !target[kind].has(t)) links[kind].delete(s);
    }
  }
  return links;
}

const pointerToken = (key) => String(key).replaceAll("~", "~0").replaceAll("/", "~1");
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const typeOf = (v) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

// Field-level diff as JSON-pointer operations (add, remove, replace).
function jsonDiff(before, after, at = "") {
  if (isObject(before) && isObject(after)) {
    const ops = [];
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) {
      const child = `${at}/${pointerToken(key)}`;
      if (!(key in after)) ops.push({ op: "remove", path: child, before: before[key], after: null });
      else if (!(key in before)) ops.push({ op: "add", path: child, before: null, after: after[key] });
      else ops.push(...jsonDiff(before[key], after[key], child));
    }
    return ops;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const ops = [];
    const common = Math.min(before.length, after.length);
    for (let i = 0; i < common; i++) ops.push(...jsonDiff(before[i], after[i], `${at}/${i}`));
    for (let i = common; i < after.length; i++) ops.push({ op: "add", path: `${at}/${i}`, before: null, after: after[i] });
    for (let i = before.length - 1; i >= common; i--)
      ops.push({ op: "remove", path: `${at}/${i}`, before: before[i], after: null });
    return ops;
  }
  if (typeOf(before) !== typeOf(after) || JSON.stringify(before) !== JSON.stringify(after))
    return [{ op: "replace", path: at, before, after }];
  return [];
}

// The resource as it would be written in the target, on update.
function rewrite(kind, resource, current, links) {
  const after = { ...resource };
  if (kind === "models") {
    after.source = links.sources.get(resource.source);
  } else {
    after.model = links.models.get(resource.model);
    after.destination = links.destinations.get(resource.destination);
    for (const field of TARGET_OWNED) {
      if (field in current) after[field] = current[field];
      else delete after[field];
    }
  }
  return after;
}

function plan(sourceName, source, targetName, target) {
  const links = resolveLinks(sourceName, source, targetName, target);
  const changes = [];
  for (const kind of ["models", "syncs"]) {
    for (const [sourceId, resource] of source[kind]) {
      const targetId = links[kind].get(sourceId);
      if (targetId === undefined) continue; // not linked: not selected
      const current = target[kind].get(targetId);
      const diff = jsonDiff(current, rewrite(kind, resource, current, links));
      if (diff.length) {
        changes.push({ address: `${targetName}:${kind}/${targetId}`, origin: `${sourceName}:${kind}/${sourceId}`,
                       action: "update", diff });
      }
    }
  }
  changes.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return { changes };
}

function main() {
  const args = process.argv.slice(2);
  const option = (name, fallback) => {
    const i = args.indexOf(name);
    return i < 0 ? fallback : args[i + 1];
  };
  const configFile = option("--config", "ferry.yaml");
  const config = yaml.load(readFileSync(configFile, "utf8"));
  const configDir = path.dirname(path.resolve(configFile));
  const [sourceName, sourceRef] = option("--from").split("@");
  const targetName = option("--to");
  const source = loadWorkspace(configDir, config.workspaces[sourceName], sourceRef);
  const target = loadWorkspace(configDir, config.workspaces[targetName], null);
  process.stdout.write(JSON.stringify(plan(sourceName, source, targetName, target), null, 1) + "\n");
}

main();
