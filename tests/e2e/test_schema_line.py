"""Editor support: every YAML file ferry writes starts with a
`# yaml-language-server: $schema=` line naming the schema that describes
it, the schema accepts what was written, and the line changes neither the
values read back nor the no-op of a second deployment. SPEC 7: the line is
a path relative to the file, into the workspace's .ferry/schemas/ that
`ferry init` writes, so it resolves in a plain clone and is the same bytes
whoever writes it."""

import json
import os
import shutil
import unittest
from pathlib import Path

from harness import SCHEMA_FOLDER, SOURCE_DIR, FERRY_BIN, commit, file_at, git, head, make_repo, schema_line, schema_prefix
from test_deploy import WriteCase

BUILD_DIR = Path(os.environ.get("FERRY_BUILD_DIR") or Path(FERRY_BIN).resolve().parent)
HEADER = "# yaml-language-server: $schema="


def schema_named_by(text):
    """The schema file a written file's first line names, checked to be
    the workspace's .ferry/schemas/ by the path relative to the file."""
    first = text.split("\n", 1)[0]
    assert first.startswith(HEADER), first
    name = first.rsplit("/", 1)[-1]
    assert first == HEADER + schema_prefix(name) + SCHEMA_FOLDER + "/" + name, first
    return name


def load_schema(name):
    """A schema as installed: schemas/ of the sources, or made by the build
    (the drafts')."""
    for folder in (SOURCE_DIR / "schemas", BUILD_DIR / "schemas"):
        if (folder / name).is_file():
            return json.loads((folder / name).read_text())
    raise AssertionError("no schema %s in %s or %s/schemas" % (name, SOURCE_DIR / "schemas", BUILD_DIR))


class SchemaLineTest(WriteCase):
    def setUp(self):
        super().setUp()
        self.org()

    def assertAccepted(self, schema_name, value):
        import jsonschema  # python3-jsonschema, as the plan tests use

        errors = [e.message for e in jsonschema.Draft7Validator(load_schema(schema_name)).iter_errors(value)]
        self.assertEqual(errors, [], "%s refuses %s" % (schema_name, json.dumps(value)))

    def test_created_and_updated_resources(self):
        result, data = self.deploy("--select", "models/*", "--select", "syncs/*")
        self.assertEqual(self.prod_file("models/new-model.yaml"),
                         schema_line("model.schema.json") + "name: New\nsource: warehouse\ntype: table\ntable: new_table\n")
        for change in data["changes"]:
            kind, rid = change["address"].split(":", 1)[1].split("/")
            text = self.prod_file("%s/%s.yaml" % (kind, rid))
            self.assertEqual(schema_named_by(text), kind[:-1] + ".schema.json")
            self.assertAccepted(schema_named_by(text), change["after"])
        links = self.prod_file("links.yaml")
        self.assertTrue(links.startswith(schema_line("links.schema.json")), links)
        self.assertValidates()
        # The line is part of the canonical form: the same deployment again
        # changes nothing.
        first = head(self.repos["prod"], "main")
        result, data = self.deploy("--select", "models/*", "--select", "syncs/*")
        self.assertEqual(data["status"], "no-changes", result.describe())
        self.assertEqual(head(self.repos["prod"], "main"), first)

    def test_drafts_name_the_draft_schema_and_publishing_the_kind_schema(self):
        result, data = self.deploy("--select", "models/new-model", env={"FERRY_ACTOR": "dan@acme.com"})
        text = self.prod_file("drafts/models/new-model.yaml")
        self.assertEqual(schema_named_by(text), "draft-model.schema.json")
        self.assertEqual(data["changes"][0]["mode"], "draft")
        self.assertAccepted("draft-model.schema.json", data["changes"][0]["after"])
        self.assertAccepted("model.schema.json",
                            {k: v for k, v in data["changes"][0]["after"].items() if k != "draft"})
        self.assertExit(self.ferry("publish", "prod:models/new-model", "--actor", "alice@acme.com"), 0)
        self.assertEqual(schema_named_by(self.prod_file("models/new-model.yaml")), "model.schema.json")
        self.assertValidates()

    def test_links_written_by_link(self):
        self.assertExit(self.ferry("unlink", "dev:sources/wh-dev", "prod:sources/warehouse",
                                   "--actor", "alice@acme.com"), 0)
        self.assertExit(self.ferry("link", "dev:sources/wh-dev", "prod:sources/warehouse",
                                   "--actor", "alice@acme.com"), 0)
        for name in ("dev", "prod"):
            text = file_at(self.repos[name], "main", "links.yaml")
            self.assertTrue(text.startswith(schema_line("links.schema.json")), text)
        self.assertValidates()

    def test_the_line_resolves_in_a_plain_clone(self):
        """A workspace made by `ferry init` carries the schemas; every YAML
        file that ferry then writes into it names one of them by a path that
        exists in a plain clone, and that schema accepts the file."""
        import jsonschema
        import yaml

        scratch = make_repo(self.tmp / "scratch", {"README.md": "scratch\n"})
        self.assertExit(self.ferry("init", "scratch", "--org", "acme", "--actor", "alice@acme.com",
                                   cwd=scratch), 0)
        shipped = sorted(p.name for p in (scratch / SCHEMA_FOLDER).iterdir())
        for name in ("workspace", "source", "destination", "model", "sync", "audience", "links",
                     "draft-model", "draft-sync"):
            self.assertIn(name + ".schema.json", shipped)
        # The same files given to an existing workspace, as docs/editors.md says.
        schemas = {SCHEMA_FOLDER + "/" + name: (scratch / SCHEMA_FOLDER / name).read_text() for name in shipped}
        git(self.repos["prod"], "checkout", "-q", "main")
        commit(self.repos["prod"], schemas, "the schemas for editors")
        self.deploy("--select", "models/new-model", env={"FERRY_ACTOR": "dan@acme.com"})
        self.deploy("--select", "models/*", "--exclude", "models/new-model")
        clone = self.tmp / "clone"
        git(self.tmp, "clone", "-q", str(self.repos["prod"]), str(clone))
        checked = 0
        for path in sorted(clone.rglob("*.yaml")):
            text = path.read_text()
            if not text.startswith(HEADER):
                continue  # written by hand
            target = (path.parent / text.split("\n", 1)[0][len(HEADER):]).resolve()
            self.assertTrue(target.is_file(), "%s names %s, which a clone lacks" % (path, target))
            self.assertTrue(str(target).startswith(str(clone.resolve())), target)
            errors = [e.message for e in
                      jsonschema.Draft7Validator(json.loads(target.read_text())).iter_errors(yaml.safe_load(text))]
            self.assertEqual(errors, [], "%s against %s" % (path, target.name))
            checked += 1
        written = {p.relative_to(clone).as_posix() for p in clone.rglob("*.yaml")
                   if p.read_text().startswith(HEADER)}
        # A published resource, a draft and links.yaml: one file at each depth.
        self.assertEqual(written, {"links.yaml", "drafts/models/new-model.yaml", "models/users.yaml"})
        self.assertEqual(checked, 3)

    def test_the_line_is_the_same_whoever_writes_it(self):
        """No installation prefix or environment changes the bytes."""
        self.deploy("--select", "models/*")
        text = self.prod_file("models/new-model.yaml")
        self.assertTrue(text.startswith(HEADER + "../.ferry/schemas/model.schema.json\n"), text)
        self.assertNotIn(str(BUILD_DIR), text)
        self.assertNotIn("/usr/", text)

    def test_draft_schemas_are_the_kind_schema_and_the_draft_block(self):
        for kind in ("model", "sync"):
            with self.subTest(kind=kind):
                made = load_schema("draft-%s.schema.json" % kind)
                own = load_schema("%s.schema.json" % kind)
                block = load_schema("draft.schema.json")
                self.assertEqual(made["properties"]["draft"]["properties"], block["properties"])
                self.assertEqual(made["required"], own["required"] + ["draft"])
                self.assertEqual({k: v for k, v in made["properties"].items() if k != "draft"}, own["properties"])
                self.assertEqual(made.get("allOf"), own.get("allOf"))


if __name__ == "__main__":
    unittest.main()
