"""schemas/*.json: every field is documented, and an independent JSON Schema
validator (python3-jsonschema, files read with python3-yaml as YAML 1.2's
core schema) accepts and refuses exactly what `ferry validate` does, on the
samples and on variants of them."""

import json
import re
import subprocess
import unittest

from harness import SOURCE_DIR, FerryTestCase, dedent, ferry_env, make_repo, write_config

try:
    import jsonschema
    import yaml
except ImportError as e:  # pragma: no cover - a missing package, said plainly
    raise ImportError("%s: install python3-jsonschema and python3-yaml (.ci/setup does)" % e)

SCHEMA_DIR = SOURCE_DIR / "schemas"
SAMPLES = SOURCE_DIR / "samples" / "workspaces"
KIND_SCHEMAS = {
    "sources": "source",
    "destinations": "destination",
    "models": "model",
    "syncs": "sync",
    "audiences": "audience",
}
ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class CoreLoader(yaml.SafeLoader):
    """YAML 1.2's core schema, as ferry reads files: `yes`, `on` and dates
    are strings, only true/false are booleans."""


CoreLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+.0123456789"),
    ),
):
    CoreLoader.add_implicit_resolver("tag:yaml.org,2002:" + _tag, re.compile(_pattern), _first)


def load_yaml(text):
    return yaml.load(text, Loader=CoreLoader)


_VALIDATORS = {}


def validator(name):
    if name not in _VALIDATORS:
        schema = json.loads((SCHEMA_DIR / ("%s.schema.json" % name)).read_text())
        jsonschema.Draft7Validator.check_schema(schema)
        _VALIDATORS[name] = jsonschema.Draft7Validator(schema)
    return _VALIDATORS[name]


def violations(name, document):
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(root)", e.message)
            for e in validator(name).iter_errors(document)]


def schema_checks(path):
    """The schemas a file of a workspace tree is checked against, as ferry's
    loader classifies it: [(schema, part)] where part picks what is checked
    ("whole", "draft" for a draft's block, "body" for the rest of a draft),
    or None for a file ferry ignores."""
    if path == "workspace.yaml":
        return [("workspace", "whole")]
    if path == "links.yaml":
        return [("links", "whole")]
    parts = path.split("/")
    draft = parts[0] == "drafts"
    if draft:
        parts = parts[1:]
    if len(parts) != 2 or parts[0] not in KIND_SCHEMAS or (draft and parts[0] not in ("models", "syncs")):
        return None
    stem, dot, ext = parts[1].rpartition(".")
    if not dot or ext not in ("yaml", "yml") or not ID.match(stem):
        return None
    kind = KIND_SCHEMAS[parts[0]]
    return [("draft", "draft"), (kind, "body")] if draft else [(kind, "whole")]


def independent_violations(path, text):
    """What the independent validator finds in one workspace file."""
    document = load_yaml(text)
    found = []
    for name, part in schema_checks(path):
        if part == "draft":
            found += violations(name, document.get("draft") if isinstance(document, dict) else None)
        elif part == "body" and isinstance(document, dict):
            found += violations(name, {k: v for k, v in document.items() if k != "draft"})
        else:
            found += violations(name, document)
    return found


def walk_schema(node, path, missing):
    """Appends to `missing` the path of every property (and definition)
    that has no description. The properties of an `if` are conditions, not
    fields, and need none."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            walk_schema(item, "%s/%d" % (path, i), missing)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "if":
            continue
        if key in ("properties", "definitions") and isinstance(value, dict):
            for name, sub in value.items():
                if not isinstance(sub, dict) or not isinstance(sub.get("description"), str) or not sub["description"]:
                    missing.append("%s/%s/%s" % (path, key, name))
                walk_schema(sub, "%s/%s/%s" % (path, key, name), missing)
        else:
            walk_schema(value, "%s/%s" % (path, key), missing)


class SchemaDocumentationTest(unittest.TestCase):
    def schemas(self):
        # The connector schemas (connectors/KIND/TYPE.schema.json) too.
        files = sorted(SCHEMA_DIR.rglob("*.schema.json"))
        self.assertTrue(files, "no schemas in %s" % SCHEMA_DIR)
        self.assertTrue([f for f in files if "connectors" in f.parts], "no connector schemas in %s" % SCHEMA_DIR)
        return [(str(f.relative_to(SCHEMA_DIR)), json.loads(f.read_text())) for f in files]

    def test_every_schema_is_a_valid_draft_7_schema(self):
        for name, schema in self.schemas():
            with self.subTest(schema=name):
                jsonschema.Draft7Validator.check_schema(schema)

    def test_every_schema_has_a_title_and_a_description(self):
        for name, schema in self.schemas():
            with self.subTest(schema=name):
                self.assertTrue(isinstance(schema.get("title"), str) and schema["title"], name)
                self.assertTrue(isinstance(schema.get("description"), str) and schema["description"], name)

    def test_every_property_has_a_description(self):
        missing = []
        for name, schema in self.schemas():
            walk_schema(schema, name + "#", missing)
        self.assertEqual(missing, [], "properties without a description:\n" + "\n".join(missing))


class SamplesUnderAnIndependentValidatorTest(FerryTestCase):
    def make_samples(self):
        org = self.tmp / "acme"
        proc = subprocess.run(["bash", str(SOURCE_DIR / "samples" / "make-repos.sh"), str(org)], env=ferry_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        return org

    def test_every_sample_file_validates_as_under_ferry_validate(self):
        org = self.make_samples()
        result, data = self.ferry_json("validate", cwd=org)
        self.assertExit(result, 0)
        self.assertEqual(data["errors"], [], result.describe())

        self.assertEqual(violations("ferry", load_yaml((org / "ferry.yaml").read_text())), [])
        checked = {}
        for tree in sorted(p for p in SAMPLES.iterdir() if p.is_dir()):
            for file in sorted(p for p in tree.rglob("*") if p.is_file()):
                rel = file.relative_to(tree).as_posix()
                checks = schema_checks(rel)
                if checks is None:
                    continue
                with self.subTest(file="%s/%s" % (tree.name, rel)):
                    self.assertEqual(independent_violations(rel, file.read_text()), [])
                for name, _ in checks:
                    checked[name] = checked.get(name, 0) + 1
        # Every schema of a workspace file was exercised by the samples.
        self.assertEqual(sorted(checked), sorted(["workspace", "links", "draft", *KIND_SCHEMAS.values()]), checked)


# Variants of sample files, each a file ferry loads, with whether its shape is
# valid. Resources go into a copy of the dev sample (so that references
# resolve); workspace.yaml and links.yaml variants are workspaces of their own.
RESOURCE_VARIANTS = {
    "models/v-table.yaml": (True, "name: T\nsource: warehouse-dev\ntype: table\ntable: app.users\n"),
    "models/v-dbt.yaml": (True, "name: D\nsource: warehouse-dev\ntype: dbt\ndbt: { model: users }\n"),
    "models/v-yml.yml": (True, "name: Y\nsource: warehouse-dev\ntype: sql\nsql: select 1\ntags: [a, b]\n"),
    "models/v-unknown-field.yaml": (False, "name: U\nsource: warehouse-dev\ntype: sql\nsql: select 1\nprmary_key: id\n"),
    "models/v-missing-sql.yaml": (False, "name: M\nsource: warehouse-dev\ntype: sql\n"),
    "models/v-bad-type.yaml": (False, "name: B\nsource: warehouse-dev\ntype: view\nsql: select 1\n"),
    "models/v-tags-string.yaml": (False, "name: S\nsource: warehouse-dev\ntype: sql\nsql: select 1\ntags: crm\n"),
    "models/v-bad-source-id.yaml": (False, "name: I\nsource: Warehouse_Dev\ntype: sql\nsql: select 1\n"),
    "models/v-number-name.yaml": (False, "name: 123\nsource: warehouse-dev\ntype: sql\nsql: select 1\n"),
    "models/v-empty.yaml": (False, ""),
    "models/v-draft-block.yaml": (False, "draft: { author: a@acme.com }\nname: D\nsource: warehouse-dev\ntype: sql\nsql: x\n"),
    "syncs/v-cron.yaml": (True, dedent(
        """
        name: C
        model: active-users
        destination: hubspot
        enabled: false
        schedule: { type: cron, expression: "0 6 * * *" }
        config: { object: Contact, mappings: [{ from: email, to: Email }] }
        """)),
    "syncs/v-job-int.yaml": (True, "name: J\nmodel: accounts\ndestination: hubspot\nschedule: { type: dbt-cloud, job: 42 }\n"),
    "syncs/v-enabled-yes.yaml": (False, "name: E\nmodel: accounts\ndestination: hubspot\nenabled: yes\n"),
    "syncs/v-interval-no-every.yaml": (False, "name: I\nmodel: accounts\ndestination: hubspot\nschedule: { type: interval }\n"),
    "syncs/v-every-number.yaml": (False, "name: N\nmodel: accounts\ndestination: hubspot\nschedule: { type: interval, every: 90 }\n"),
    "syncs/v-every-fraction.yaml": (False, "name: F\nmodel: accounts\ndestination: hubspot\nschedule: { type: interval, every: 1.5h }\n"),
    "syncs/v-schedule-extra.yaml": (False, "name: X\nmodel: accounts\ndestination: hubspot\nschedule: { type: manual, at: noon }\n"),
    "syncs/v-alerts-map.yaml": (False, "name: A\nmodel: accounts\ndestination: hubspot\nalerts: { oncall: true }\n"),
    "syncs/v-no-destination.yaml": (False, "name: D\nmodel: accounts\n"),
    "sources/v-valid.yaml": (True, "name: V\ntype: postgres\nconfig: { host: db, password: { secret: DB_PW } }\n"),
    "sources/v-config-list.yaml": (False, "name: L\ntype: postgres\nconfig: [host, db]\n"),
    "sources/v-type-upper.yaml": (False, "name: T\ntype: Snowflake\n"),
    "destinations/v-no-type.yaml": (False, "name: N\nconfig: { instance: x }\n"),
    "destinations/v-null-name.yaml": (False, "name:\ntype: braze\n"),
    "audiences/v-valid.yaml": (True, "name: A\nmodel: active-users\nfilter: { plan: pro }\n"),
    "audiences/v-filter-string.yaml": (False, "name: F\nmodel: active-users\nfilter: plan = pro\n"),
    "drafts/models/v-draft.yaml": (True, dedent(
        """
        draft: { author: carol@acme.com, created: 2026-11-20T10:00:00Z, approval: none }
        name: D
        source: warehouse-dev
        type: sql
        sql: select 1
        """)),
    "drafts/models/v-approval.yaml": (False, "draft: { author: c@acme.com, approval: pending }\nname: P\nsource: warehouse-dev\ntype: sql\nsql: x\n"),
    "drafts/syncs/v-draft-extra.yaml": (False, "draft: { author: c@acme.com, reviewer: d@acme.com }\nname: R\nmodel: accounts\ndestination: hubspot\n"),
    "drafts/syncs/v-body.yaml": (False, "draft: { author: c@acme.com, approval: requested }\nname: B\nmodel: accounts\ndestination: hubspot\nenabled: \"true\"\n"),
}

WORKSPACE = "name: W\norganization: acme\nmembers:\n  alice@acme.com: admin\n"
WORKSPACE_VARIANTS = {
    "w-roles": (True, {"workspace.yaml": dedent(
        """
        organization: acme
        members:
          alice@acme.com: admin
          carol@acme.com: { models: draft, syncs: draft, sources: none }
          "*": viewer
        approvals: { syncs: true, models: false }
        extensions:
          dbt:
          fivetran: { account: x }
        alerts: { oncall: { type: pagerduty, service: P1 } }
        """)}),
    "w-bad-role": (False, {"workspace.yaml": "organization: acme\nmembers:\n  bob@acme.com: superuser\n"}),
    "w-bad-level": (False, {"workspace.yaml": "organization: acme\nmembers:\n  carol@acme.com: { models: write }\n"}),
    "w-bad-kind": (False, {"workspace.yaml": "organization: acme\nmembers:\n  carol@acme.com: { tables: edit }\n"}),
    "w-no-organization": (False, {"workspace.yaml": "name: Nameless\n"}),
    "w-approval-yes": (False, {"workspace.yaml": WORKSPACE + "approvals: { syncs: yes }\n"}),
    "w-alert-without-type": (False, {"workspace.yaml": WORKSPACE + "alerts: { oncall: { service: P1 } }\n"}),
    "w-extension-true": (False, {"workspace.yaml": WORKSPACE + "extensions: { dbt: true }\n"}),
    "w-links-null": (True, {"workspace.yaml": WORKSPACE, "links.yaml": "sources:\nmodels: { m: { dev: accounts } }\n"}),
    "w-links-upper-id": (False, {"workspace.yaml": WORKSPACE, "links.yaml": "models: { Active: { dev: accounts } }\n"}),
    "w-links-audiences": (False, {"workspace.yaml": WORKSPACE, "links.yaml": "audiences: { vip: { dev: vip } }\n"}),
    "w-links-list": (False, {"workspace.yaml": WORKSPACE, "links.yaml": "sources: { wh: [dev, warehouse-dev] }\n"}),
}

CONFIG_VARIANTS = {
    "path": (True, "workspaces:\n  dev: { repo: acme-dev, branch: main, path: . }\n"),
    "unknown-key": (False, "workspaces:\n  dev: { repo: acme-dev, brnach: main }\n"),
    "no-workspaces": (False, "workspaces: {}\n"),
    "upper-name": (False, "workspaces:\n  Dev: { repo: acme-dev }\n"),
    "empty-repo": (False, "workspaces:\n  dev: { repo: \"\" }\n"),
    "branch-number": (False, "workspaces:\n  dev: { repo: acme-dev, branch: 5 }\n"),
}


class VariantsAgreeTest(FerryTestCase):
    def test_resource_and_workspace_variants(self):
        repo = self.tmp / "mono"
        files = {}
        for sample in sorted(p for p in (SAMPLES / "dev").rglob("*") if p.is_file()):
            files["dev/" + sample.relative_to(SAMPLES / "dev").as_posix()] = sample.read_text()
        expected = {}
        for rel, (valid, text) in RESOURCE_VARIANTS.items():
            files["dev/" + rel] = text
            expected["dev/" + rel] = (valid, rel, text)
        for name, (valid, tree) in WORKSPACE_VARIANTS.items():
            for rel, text in tree.items():
                files["%s/%s" % (name, rel)] = text
                # The variant is the links.yaml when there is one; the
                # workspace.yaml beside it is a valid one.
                is_variant = rel == "links.yaml" or "links.yaml" not in tree
                expected["%s/%s" % (name, rel)] = (valid if is_variant else True, rel, text)
        make_repo(repo, files)
        workspaces = {"dev": {"repo": "mono", "path": "dev"}}
        workspaces.update({name: {"repo": "mono", "path": name} for name in WORKSPACE_VARIANTS})
        write_config(self.tmp, workspaces)

        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        ferry_refuses = {d.get("file") for d in data["errors"] if d["code"] == "schema"}
        disagreements = []
        for path, (valid, rel, text) in sorted(expected.items()):
            found = independent_violations(rel, text)
            if bool(found) == valid or (path in ferry_refuses) == valid:
                disagreements.append("%s: expected %s; jsonschema: %s; ferry: %s" % (
                    path, "valid" if valid else "invalid", found or "valid",
                    "schema error" if path in ferry_refuses else "valid"))
        # Nothing else (the sample files included) has a schema error.
        unexpected = sorted(ferry_refuses - set(expected))
        self.assertEqual((disagreements, unexpected), ([], []), result.describe(limit=20000))

    def test_ferry_yaml_variants(self):
        org = self.tmp / "acme"
        proc = subprocess.run(["bash", str(SOURCE_DIR / "samples" / "make-repos.sh"), str(org)], env=ferry_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        variants = dict(CONFIG_VARIANTS, sample=(True, (org / "ferry.yaml").read_text()))
        for name, (valid, text) in sorted(variants.items()):
            with self.subTest(variant=name):
                config = write_config(org, text, name="ferry-%s.yaml" % name)
                result, data = self.ferry_json("validate", "--config", str(config), cwd=org)
                ferry_accepts = not any(d["code"] == "config" for d in data["errors"])
                self.assertEqual(ferry_accepts, valid, result.describe())
                self.assertEqual(violations("ferry", load_yaml(text)) == [], valid, violations("ferry", load_yaml(text)))


if __name__ == "__main__":
    unittest.main()
