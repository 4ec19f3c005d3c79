"""`ferry validate`: every input diagnostic of SPEC section 6 it reports,
with its exit code, code and location, in text and JSON."""

import json
import time
import unittest

from harness import (
    FerryTestCase,
    dedent,
    git,
    head,
    make_repo,
    parse_text_diagnostics,
    valid_tree,
    workspace_names,
    workspace_yaml,
    write_config,
)

MODEL_BAD_SOURCE = dedent(
    """
    name: Orphan
    source: nosuch
    type: sql
    sql: select 1
    """
)


def billion_laughs(indent=""):
    """The classic alias bomb: 9 levels of 9 aliases each (9^9 nodes)."""
    lines = [indent + 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghi":
        lines.append(indent + "%s: &%s [%s]" % (name, name, ", ".join(["*" + prev] * 9)))
        prev = name
    return "\n".join(lines) + "\n"


def links_file(entries):
    """links.yaml text from {kind: {id: {workspace: id}}}."""
    out = []
    for kind, ids in entries.items():
        out.append("%s:" % kind)
        for local, others in ids.items():
            out.append("  %s: { %s }" % (local, ", ".join("%s: %s" % kv for kv in others.items())))
    return "\n".join(out) + "\n"


class ValidTreeTest(FerryTestCase):
    def test_valid_tree_exits_0_with_no_errors(self):
        self.single()
        result, data = self.assertValid()
        self.assertEqual(data["warnings"], [], result.describe())

    def test_json_is_one_object_with_workspaces_errors_warnings(self):
        self.single()
        result, data = self.ferry_json("validate")
        self.assertExit(result, 0)
        for key in ("workspaces", "errors", "warnings"):
            self.assertIn(key, data, result.describe())
        self.assertIsInstance(data["workspaces"], list)
        self.assertEqual(workspace_names(data), ["dev"], result.describe())
        self.assertEqual(data["errors"], [])
        self.assertEqual(data["warnings"], [])

    def test_json_stdout_is_exactly_one_document_when_invalid(self):
        self.single({"models/orphan.yaml": MODEL_BAD_SOURCE})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertEqual(workspace_names(data), ["dev"], result.describe())
        self.assertTrue(data["errors"], result.describe())
        # Text diagnostics are not mixed into stdout in JSON mode.
        self.assertNotIn("error[", result.stdout)

    def test_validate_named_workspace_only(self):
        self.make_org({"dev": valid_tree(), "prod": valid_tree(extra={"models/orphan.yaml": MODEL_BAD_SOURCE})})
        result, data = self.ferry_json("validate", "dev")
        self.assertExit(result, 0)
        self.assertEqual(workspace_names(data), ["dev"], result.describe())
        result, data = self.ferry_json("validate", "prod")
        self.assertExit(result, 1)
        self.assertEqual(workspace_names(data), ["prod"], result.describe())
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertEqual(sorted(workspace_names(data)), ["dev", "prod"], result.describe())
        self.assertJsonDiag(result, data, "dangling-reference", address="prod:models/orphan")

    def test_quiet_valid_tree_prints_nothing(self):
        self.single()
        result = self.ferry("validate", "-q")
        self.assertExit(result, 0)
        self.assertEqual(result.stdout, "", result.describe())
        self.assertEqual(result.stderr, "", result.describe())

    def test_quiet_warnings_only_prints_nothing(self):
        self.single({"workspace.yaml": workspace_yaml(members={"alice@acme.com": "admin", "*": "editor"})})
        result = self.ferry("validate", "-q")
        self.assertExit(result, 0)
        self.assertEqual(result.stdout, "", result.describe())
        self.assertEqual(result.stderr, "", result.describe())

    def test_quiet_prints_errors_only(self):
        self.single(
            {
                "workspace.yaml": workspace_yaml(members={"alice@acme.com": "admin", "*": "editor"}),
                "models/orphan.yaml": MODEL_BAD_SOURCE,
            }
        )
        result = self.ferry("validate", "--quiet")
        self.assertExit(result, 1)
        self.assertEqual(result.stdout, "", result.describe())
        diags = parse_text_diagnostics(result.stderr)
        self.assertEqual([d["code"] for d in diags], ["dangling-reference"], result.describe())
        self.assertNotIn("warning", result.stderr, result.describe())
        self.assertNotIn("broad-grant", result.stderr, result.describe())


class YamlSyntaxTest(FerryTestCase):
    def test_yaml_syntax_with_line_and_column(self):
        # Line 4, column 6 is the '@', which cannot start a plain scalar.
        self.single({"models/bad.yaml": "name: Bad\nsource: warehouse\ntype: sql\nsql: @select\n"})
        self.assertInvalid("yaml-syntax", file="models/bad.yaml", line=4, column=6, address="dev:models/bad")

    def test_yaml_syntax_mapping_value_in_scalar(self):
        # The second ':' (line 4, column 14) makes the line invalid.
        self.single({"models/bad.yaml": "name: Bad\nsource: warehouse\ntype: sql\nsql: select a: b\n"})
        self.assertInvalid("yaml-syntax", file="models/bad.yaml", line=4, column=14)

    def test_yaml_syntax_in_workspace_yaml(self):
        self.single({"workspace.yaml": "organization: acme\nmembers:\n  alice@acme.com: admin\n  bob: [x\n"})
        result, data, text = self.assertInvalid("yaml-syntax", file="workspace.yaml")
        self.assertIn("line", self.find_json(data, "yaml-syntax")[0], result.describe())

    def test_yaml_syntax_in_links_yaml(self):
        self.single({"links.yaml": "sources:\n  warehouse: { prod: @x }\n"})
        self.assertInvalid("yaml-syntax", file="links.yaml", line=2, column=22)

    def test_invalid_utf8_is_yaml_syntax_at_first_bad_byte(self):
        # Line 4: "sql: sel" is 8 bytes, so the 0xff byte is column 9.
        self.single({"models/bad.yaml": b"name: Bad\nsource: warehouse\ntype: sql\nsql: sel\xffect 1\n"})
        self.assertInvalid("yaml-syntax", file="models/bad.yaml", line=4, column=9)

    def test_uncommitted_changes_are_noted_and_never_read(self):
        # SPEC 6: a note on standard error; the commit is what is read.
        self.single()
        dev = self.tmp / "dev"
        self.assertNotIn("note:", self.ferry("validate").stderr)
        (dev / "models" / "broken.yaml").write_text("name: [\n")
        with open(dev / "workspace.yaml", "a") as f:
            f.write("# edited\n")
        commit = head(dev)[:7]
        text = self.ferry("validate")
        self.assertExit(text, 0)  # the broken file is not in the commit
        self.assertIn("note: dev has uncommitted changes to 2 files under models/ and workspace.yaml; "
                      "ferry reads commits, this is dev@main %s\n" % commit, text.stderr)
        result, data = self.ferry_json("validate")
        self.assertIn("note: dev has uncommitted changes", result.stderr)
        self.assertNotIn("note", result.stdout)
        self.assertNotIn("note:", self.ferry("validate", "-q").stderr)

    def test_files_outside_the_layout_are_unknown_file_warnings(self):
        # SPEC 6: misplaced files are said, with the path meant.
        model = "name: M\nsource: warehouse\ntype: sql\nsql: select 1\n"
        self.single({"model/x.yaml": model, "models/sub/y.yaml": model, "models/z.YAML": model,
                     "models/j.json": "{}", "drafts/model/d.yaml": model, "docs/notes.md": "notes\n",
                     "README.md": "fine\n", ".gitignore": "fine\n", "models/.gitkeep": "",
                     ".github/workflows/ci.yml": "on: push\n"})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 0)
        for file, hint in (("model/x.yaml", "did you mean models/x.yaml?"),
                           ("models/sub/y.yaml", "did you mean models/y.yaml?"),
                           ("models/z.YAML", "did you mean models/z.yaml?"),
                           ("models/j.json", "did you mean models/j.yaml? ferry reads YAML files"),
                           ("drafts/model/d.yaml", "did you mean drafts/models/d.yaml?"),
                           ("docs/notes.md", "other files belong at its top level")):
            with self.subTest(file=file):
                w = self.assertJsonDiag(result, data, "unknown-file", severity="warnings", file=file)
                self.assertIn(hint, w["hint"])
        warned = {w["file"] for w in data["warnings"] if w["code"] == "unknown-file"}
        self.assertEqual(len(warned), 6, warned)
        text = self.ferry("validate")
        self.assertTextDiag(text, "unknown-file", severity="warning", file="model/x.yaml")

    def test_every_location_names_its_workspace(self):
        # SPEC 4.1: `--> dev:models/bad.yaml:4:9` in text, `workspace` beside `file` in JSON.
        self.single({"models/bad.yaml": b"name: Bad\nsource: warehouse\ntype: sql\nsql: sel\xffect 1\n"})
        text = self.ferry("validate")
        self.assertRegex(text.stderr, r"(?m)^  --> dev:models/bad\.yaml:4:9$")
        result, data = self.ferry_json("validate")
        bad = self.assertJsonDiag(result, data, "yaml-syntax", file="models/bad.yaml", line=4, column=9)
        self.assertEqual(bad["workspace"], "dev")
        self.assertEqual(bad["file"], "models/bad.yaml")
        markdown = self.ferry("validate", "--format", "markdown")
        self.assertIn("`dev:models/bad.yaml:4:9`", markdown.stdout)

    def test_nul_and_control_bytes_are_yaml_syntax_where_they_are(self):
        # "sql: sel" is 8 characters, so the byte is at column 9 of line 4.
        for label, byte in (("NUL", b"\x00"), ("escape", b"\x1b")):
            with self.subTest(byte=label):
                folder = self.tmp / label
                folder.mkdir()
                self.make_org({"dev": valid_tree(extra={
                    "models/bad.yaml": b"name: Bad\nsource: warehouse\ntype: sql\nsql: sel" + byte + b"ect 1\n"})},
                    folder=folder)
                self.assertInvalid("yaml-syntax", cwd=folder, file="models/bad.yaml", line=4, column=9)

    def test_a_value_that_does_not_match_its_tag(self):
        self.single({"models/bad.yaml": "name: Bad\nsource: warehouse\ntype: sql\nsql: select 1\n"
                                        "description: !!int abc\n"})
        self.assertInvalid("yaml-syntax", file="models/bad.yaml", line=5, column=14)

    def test_invalid_utf8_in_a_comment(self):
        # A truncated two-byte sequence (0xc3 then a space) at line 2, column 6.
        self.single({"models/bad.yaml": b"name: Bad\n# caf\xc3 ok\nsource: warehouse\ntype: sql\nsql: select 1\n"})
        self.assertInvalid("yaml-syntax", file="models/bad.yaml", line=2, column=6)

    def test_invalid_utf8_first_of_several_bad_bytes(self):
        self.single({"models/bad.yaml": b"name: Bad\nsource: warehouse\ntype: sql\nsql: select 1\ntags: [\xfe\xff]\n\xff\n"})
        self.assertInvalid("yaml-syntax", file="models/bad.yaml", line=5, column=8)

    def test_invalid_utf8_overlong_surrogate_and_out_of_range(self):
        # "description: a" is 14 bytes, so the bad sequence starts at column 15.
        for label, bad in (("overlong", b"\xc0\x80"), ("surrogate", b"\xed\xa0\x80"), ("above U+10FFFF", b"\xf4\x90\x80\x80")):
            with self.subTest(sequence=label):
                folder = self.tmp / label.replace(" ", "-").replace("+", "")
                folder.mkdir()
                self.make_org(
                    {"dev": valid_tree(extra={"models/bad.yaml": b"name: Bad\nsource: warehouse\ntype: sql\nsql: select 1\ndescription: a" + bad + b"b\n"})},
                    folder=folder,
                )
                self.assertInvalid("yaml-syntax", cwd=folder, file="models/bad.yaml", line=5, column=15)

    def test_utf16_file_is_yaml_syntax_at_first_byte(self):
        text = "name: Bad\nsource: warehouse\ntype: sql\nsql: select 1\n"
        self.single({"models/bad.yaml": text.encode("utf-16")})  # starts with the BOM ff fe
        self.assertInvalid("yaml-syntax", file="models/bad.yaml", line=1, column=1)

    def test_utf8_byte_order_mark_is_read_fine(self):
        # EF BB BF is valid UTF-8 (U+FEFF) and YAML allows it at the start
        # of a stream; editors on Windows write it.
        tree = valid_tree()
        tree = {path: b"\xef\xbb\xbf" + text.encode("utf-8") for path, text in tree.items()}
        self.make_org({"dev": tree})
        self.assertValid()

    def test_duplicate_key_is_an_error(self):
        self.single({"models/bad.yaml": "name: Bad\nsource: warehouse\ntype: sql\nsql: select 1\nname: Again\n"})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertTrue([e for e in data["errors"] if e.get("file", "").endswith("models/bad.yaml") and e.get("line") == 5],
                        result.describe())

    def test_two_documents_in_one_file_is_an_error(self):
        self.single({"models/bad.yaml": "name: Bad\nsource: warehouse\ntype: sql\nsql: select 1\n---\nname: Other\n"})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertTrue([e for e in data["errors"] if e.get("file", "").endswith("models/bad.yaml")], result.describe())

    def test_crlf_files_read_fine(self):
        tree = {path: text.replace("\n", "\r\n") for path, text in valid_tree().items()}
        tree["models/multi.yaml"] = "name: Multi\r\nsource: warehouse\r\ntype: sql\r\nsql: |\r\n  select *\r\n  from users\r\n"
        self.make_org({"dev": tree})
        result, data = self.assertValid()
        self.assertEqual(data["warnings"], [], result.describe())

    def test_crlf_file_reports_lf_line_numbers(self):
        self.single({"models/orphan.yaml": MODEL_BAD_SOURCE.replace("\n", "\r\n")})
        self.assertInvalid("dangling-reference", file="models/orphan.yaml", line=2, address="dev:models/orphan")


class SchemaTest(FerryTestCase):
    def test_missing_required_field(self):
        self.single({"models/bad.yaml": "source: warehouse\ntype: sql\nsql: select 1\n"})
        result, data, text = self.assertInvalid(
            "schema", file="models/bad.yaml", address="dev:models/bad", message_contains="name"
        )

    def test_model_type_sql_needs_sql(self):
        self.single({"models/bad.yaml": "name: Bad\nsource: warehouse\ntype: sql\n"})
        self.assertInvalid("schema", file="models/bad.yaml", address="dev:models/bad", message_contains="sql")

    def test_unknown_field_has_did_you_mean_hint(self):
        self.single(
            {"models/bad.yaml": "name: Bad\nsource: warehouse\ntype: sql\nsql: select 1\ndescripton: typo\n"}
        )
        result, data, text = self.assertInvalid(
            "schema",
            file="models/bad.yaml",
            line=5,
            address="dev:models/bad",
            message_contains="descripton",
            hint_contains="description",
        )
        self.assertIn("did you mean", self.find_json(data, "schema")[0]["hint"].lower(), result.describe())
        self.assertIn("description", text.stderr, text.describe())

    def test_unknown_field_in_workspace_yaml(self):
        self.single({"workspace.yaml": "organization: acme\nmembers:\n  alice@acme.com: admin\nalert:\n  x: { type: email }\n"})
        self.assertInvalid("schema", file="workspace.yaml", line=4, message_contains="alert", hint_contains="alerts")

    def test_wrong_type(self):
        self.single(
            {"syncs/bad.yaml": "name: Bad\nmodel: active-users\ndestination: crm\nenabled: \"yes\"\n"}
        )
        self.assertInvalid("schema", file="syncs/bad.yaml", line=4, address="dev:syncs/bad", message_contains="enabled")

    def test_wrong_type_list_expected(self):
        self.single({"models/bad.yaml": "name: Bad\nsource: warehouse\ntype: sql\nsql: select 1\ntags: crm\n"})
        self.assertInvalid("schema", file="models/bad.yaml", line=5, address="dev:models/bad", message_contains="tags")

    def test_unknown_nested_field_has_did_you_mean_hint(self):
        self.single(
            {"syncs/bad.yaml": "name: Bad\nmodel: active-users\ndestination: crm\nschedule:\n  type: interval\n  evry: 1h\n"}
        )
        self.assertInvalid("schema", file="syncs/bad.yaml", line=6, address="dev:syncs/bad", message_contains="evry",
                           hint_contains="every")

    def test_every_unknown_field_is_reported(self):
        self.single(
            {"models/bad.yaml": "name: Bad\nsource: warehouse\ntype: sql\nsql: select 1\ndescripton: a\nprimary_kee: id\n"}
        )
        result, data, text = self.assertInvalid("schema", file="models/bad.yaml", line=5, message_contains="descripton")
        self.assertJsonDiag(result, data, "schema", file="models/bad.yaml", line=6, message_contains="primary_kee")

    def test_missing_and_unknown_fields_reported_beside_a_nested_error(self):
        self.single({"models/bad.yaml": "source: warehouse\ntype: sql\nsql: select 1\ndescripton: a\ntags: crm\n"})
        result, data, text = self.assertInvalid("schema", file="models/bad.yaml", line=5, message_contains="tags")
        self.assertJsonDiag(result, data, "schema", file="models/bad.yaml", message_contains="name")
        self.assertJsonDiag(result, data, "schema", file="models/bad.yaml", line=4, message_contains="descripton")

    def test_missing_workspace_yaml(self):
        self.single({"workspace.yaml": None})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertTrue(data["errors"], result.describe())

    def test_missing_organization(self):
        self.single({"workspace.yaml": "name: Dev\nmembers:\n  alice@acme.com: admin\n"})
        self.assertInvalid("schema", file="workspace.yaml", message_contains="organization")

    def test_config_is_opaque(self):
        # Anything goes under `config`: unknown keys, any types.
        self.single(
            {
                "destinations/crm.yaml": dedent(
                    """
                    name: CRM
                    type: salesforce
                    config:
                      descripton: not a typo check here
                      anything: [1, 2, { deep: true }]
                      enabled: "yes"
                    """
                )
            }
        )
        self.assertValid()


class WorkspaceIdentifiedTest(FerryTestCase):
    def test_workspace_yaml_problem_names_its_workspace(self):
        # Two workspaces in two repositories: "workspace.yaml:5" alone does not
        # say which one is wrong; the diagnostic must (address, file or message).
        self.make_org(
            {
                "dev": valid_tree(),
                "prod": valid_tree(extra={"workspace.yaml": workspace_yaml(members={"alice@acme.com": "admin", "*": "editor"}, extra="bogus: 1\n")}),
            }
        )
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        for entry in self.find_json(data, "schema") + self.find_json(data, "broad-grant", "warnings"):
            shown = " ".join(str(entry.get(k, "")) for k in ("address", "file", "message"))
            self.assertIn("prod", shown, "diagnostic does not say which workspace: %s\n%s" % (json.dumps(entry), result.describe()))


class IdTest(FerryTestCase):
    def test_bad_id_uppercase_file_name(self):
        self.single({"models/Active-Users.yaml": "name: Bad\nsource: warehouse\ntype: sql\nsql: select 1\n"})
        self.assertInvalid("bad-id", file="models/Active-Users.yaml")

    def test_bad_id_leading_dash(self):
        self.single({"sources/-wh.yaml": "name: Bad\ntype: snowflake\n"})
        self.assertInvalid("bad-id", file="sources/-wh.yaml")

    def test_bad_id_too_long(self):
        name = "a" * 65
        self.single({"sources/%s.yaml" % name: "name: Long\ntype: snowflake\n"})
        self.assertInvalid("bad-id", file="sources/%s.yaml" % name)

    def test_id_of_64_characters_is_fine(self):
        name = "a" * 64
        self.single({"sources/%s.yaml" % name: "name: Long\ntype: snowflake\n"})
        self.assertValid()

    def test_yml_extension_is_accepted(self):
        self.single({"models/other.yml": "name: Other\nsource: warehouse\ntype: sql\nsql: select 1\n"})
        self.assertValid()

    def test_duplicate_id_yaml_and_yml(self):
        self.single({"models/active-users.yml": "name: Again\nsource: warehouse\ntype: sql\nsql: select 2\n"})
        result, data, text = self.assertInvalid("duplicate-id", address="dev:models/active-users")
        entry = self.find_json(data, "duplicate-id")[0]
        self.assertTrue(
            entry.get("file", "").endswith(("models/active-users.yml", "models/active-users.yaml")), result.describe()
        )

    def test_same_id_in_two_kinds_is_fine(self):
        # Ids are unique per kind only.
        self.single({"destinations/warehouse.yaml": "name: Also warehouse\ntype: hubspot\n"})
        self.assertValid()


class DraftTest(FerryTestCase):
    DRAFT = "draft: { author: carol@acme.com, created: 2026-11-20T10:00:00Z, approval: requested }\n"

    def test_valid_drafts(self):
        self.single(
            {
                "drafts/models/active-users.yaml": self.DRAFT + "name: Active users\nsource: warehouse\ntype: sql\nsql: select 2\n",
                "drafts/models/new-model.yaml": self.DRAFT + "name: New\nsource: warehouse\ntype: table\ntable: users\n",
                "drafts/syncs/new-sync.yaml": self.DRAFT + "name: New\nmodel: new-model\ndestination: crm\n",
            }
        )
        self.assertValid()

    def test_draft_without_draft_block(self):
        self.single({"drafts/models/x.yaml": "name: X\nsource: warehouse\ntype: sql\nsql: select 1\n"})
        self.assertInvalid("schema", file="drafts/models/x.yaml")

    def test_draft_bad_approval(self):
        self.single({"drafts/models/x.yaml": self.DRAFT.replace("requested", "maybe") + "name: X\nsource: warehouse\ntype: sql\nsql: select 1\n"})
        self.assertInvalid("schema", file="drafts/models/x.yaml", line=1)

    def test_draft_dangling_reference(self):
        self.single({"drafts/models/x.yaml": self.DRAFT + "name: X\nsource: nosuch\ntype: sql\nsql: select 1\n"})
        self.assertInvalid("dangling-reference", file="drafts/models/x.yaml", line=3)

    def test_published_sync_on_draft_only_model_is_dangling(self):
        # A published resource needs published dependencies.
        self.single(
            {
                "drafts/models/new-model.yaml": self.DRAFT + "name: New\nsource: warehouse\ntype: sql\nsql: select 1\n",
                "syncs/new-sync.yaml": "name: New\nmodel: new-model\ndestination: crm\n",
            }
        )
        self.assertInvalid("dangling-reference", file="syncs/new-sync.yaml", line=2, address="dev:syncs/new-sync")


class DanglingReferenceTest(FerryTestCase):
    def test_model_source_missing(self):
        self.single({"models/orphan.yaml": MODEL_BAD_SOURCE})
        result, data, text = self.assertInvalid(
            "dangling-reference", file="models/orphan.yaml", line=2, address="dev:models/orphan", message_contains="nosuch"
        )

    def test_sync_destination_missing(self):
        self.single(
            {
                "syncs/orphan.yaml": "name: Orphan\nmodel: active-users\ndestination: nowhere\n",
            }
        )
        self.assertInvalid(
            "dangling-reference", file="syncs/orphan.yaml", line=3, address="dev:syncs/orphan", message_contains="nowhere"
        )

    def test_sync_model_missing(self):
        self.single({"syncs/orphan.yaml": "name: Orphan\nmodel: ghost\ndestination: crm\n"})
        self.assertInvalid("dangling-reference", file="syncs/orphan.yaml", line=2, address="dev:syncs/orphan")

    def test_sync_alert_missing_from_workspace_yaml(self):
        self.single(
            {
                "syncs/alerting.yaml": "name: Alerting\nmodel: active-users\ndestination: crm\nalerts: [oncall, pager-x]\n",
            }
        )
        result, data, text = self.assertInvalid(
            "dangling-reference", file="syncs/alerting.yaml", line=4, address="dev:syncs/alerting", message_contains="pager-x"
        )
        # oncall is defined in workspace.yaml: only one problem.
        self.assertEqual(len(self.find_json(data, "dangling-reference")), 1, result.describe())

    def test_alert_defined_is_fine(self):
        self.single()  # the valid tree's sync names `oncall`, defined in workspace.yaml
        self.assertValid()

    def test_reference_to_another_kind_with_that_id_is_dangling(self):
        # `crm` is a destination, not a source.
        self.single({"models/wrong.yaml": "name: Wrong\nsource: crm\ntype: sql\nsql: select 1\n"})
        self.assertInvalid("dangling-reference", file="models/wrong.yaml", address="dev:models/wrong")


class DidYouMeanTest(FerryTestCase):
    """SPEC 6: a dangling reference, an unknown role, an unknown workspace
    and an unknown branch each get a "did you mean" when a close name
    exists, and none when nothing is close."""

    def test_dangling_reference(self):
        self.single({"models/typo.yaml": "name: Typo\nsource: warehose\ntype: sql\nsql: select 1\n",
                     "syncs/far.yaml": "name: Far\nmodel: zzzzzzzz\ndestination: crm\n"})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "dangling-reference", address="dev:models/typo",
                            hint_contains="did you mean 'warehouse'?")
        far = self.assertJsonDiag(result, data, "dangling-reference", address="dev:syncs/far")
        self.assertNotIn("did you mean", far.get("hint", ""))

    def test_unknown_role(self):
        self.single({"workspace.yaml": workspace_yaml(members={"alice@acme.com": "admni"})})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "schema", file="workspace.yaml", line=4, hint_contains="did you mean 'admin'?")

    def test_unknown_workspace(self):
        self.single()
        result, data = self.ferry_json("validate", "dve")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "unknown-workspace", hint_contains="dev")

    def test_unknown_branch(self):
        self.single()
        result, data = self.ferry_json("validate", "dev@mian")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "git", message_contains="mian", hint_contains="did you mean 'main'?")
        write_config(self.tmp, {"dev": {"repo": "dev", "branch": "mainn"}})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "git", message_contains="mainn", hint_contains="did you mean 'main'?")
        text = self.ferry("validate")
        self.assertIn("did you mean 'main'?", text.stderr)


class PlaintextSecretTest(FerryTestCase):
    SECRET = "hunter2-TOPSECRET-v4lue"
    OTHER = "sk_live_ANOTHER-s3cret"

    def formats(self):
        return [
            ("validate",),
            ("validate", "-v"),
            ("validate", "-q"),
            ("validate", "--format", "json"),
            ("validate", "--format", "markdown"),
            ("validate", "--format", "github"),
            ("validate", "dev", "--format", "json", "-v"),
        ]

    def assertNeverShown(self, *secrets):
        for args in self.formats():
            result = self.ferry(*args)
            self.assertExit(result, 1)
            for s in secrets:
                self.assertNotIn(s, result.stdout, "secret value printed on stdout\n" + result.describe())
                self.assertNotIn(s, result.stderr, "secret value printed on stderr\n" + result.describe())
                # Not even a recognisable part of it.
                self.assertNotIn(s[:12], result.stdout + result.stderr, result.describe())

    def test_secrets_found_by_their_value_whatever_the_key(self):
        # SPEC 2.4: a URL with a password and a token shape, in a source and
        # in a model, under keys that name no secret.
        url = "postgres://app:%s@db/x" % self.SECRET
        token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
        self.single({
            "sources/app-db.yaml": "name: App DB\ntype: postgres\nconfig:\n  host: db\n  connection_string: %s\n" % url,
            "models/leaky.yaml": "name: Leaky\nsource: warehouse\ntype: sql\nsql: select 1\n"
                                 "description: 'deploy with %s'\n" % token,
        })
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "plaintext-secret", file="sources/app-db.yaml", line=5,
                            message_contains="'config.connection_string' holds a password in a URL")
        self.assertJsonDiag(result, data, "plaintext-secret", file="models/leaky.yaml", line=5,
                            message_contains="'description' holds a GitHub token")
        self.assertNeverShown(self.SECRET, token)

    def test_literal_password_in_source_config(self):
        self.single(
            {
                "sources/warehouse.yaml": "name: Warehouse\ntype: snowflake\nconfig:\n  account: acme\n  password: %s\n"
                % self.SECRET
            }
        )
        self.assertInvalid("plaintext-secret", file="sources/warehouse.yaml", line=5, address="dev:sources/warehouse")
        self.assertNeverShown(self.SECRET)

    def test_literal_secrets_nested_and_in_destinations(self):
        self.single(
            {
                "destinations/crm.yaml": dedent(
                    """
                    name: CRM
                    type: salesforce
                    config:
                      auth:
                        headers:
                          - { name: x, api_key: "%s" }
                      refresh_token: '%s'
                    """
                    % (self.OTHER, self.SECRET)
                ),
                "sources/db.yaml": dedent(
                    """
                    name: DB
                    type: postgres
                    config:
                      private_key: |
                        -----BEGIN PRIVATE KEY-----
                        %s
                        -----END PRIVATE KEY-----
                    """
                    % self.SECRET
                ),
            }
        )
        result, data, text = self.assertInvalid("plaintext-secret", address="dev:destinations/crm")
        self.assertJsonDiag(result, data, "plaintext-secret", file="destinations/crm.yaml", line=6)
        self.assertJsonDiag(result, data, "plaintext-secret", file="destinations/crm.yaml", line=7)
        self.assertJsonDiag(result, data, "plaintext-secret", file="sources/db.yaml", address="dev:sources/db")
        self.assertNeverShown(self.SECRET, self.OTHER)

    def test_literal_secret_outside_config(self):
        # An unknown top-level field holding a secret: a schema error too, and
        # the value is still never shown.
        self.single(
            {"sources/warehouse.yaml": "name: Warehouse\ntype: snowflake\npassword: %s\n" % self.SECRET}
        )
        result, data, text = self.assertInvalid("plaintext-secret", file="sources/warehouse.yaml", line=3)
        self.assertNeverShown(self.SECRET)

    def test_secret_reference_is_accepted(self):
        self.single(
            {
                "sources/warehouse.yaml": dedent(
                    """
                    name: Warehouse
                    type: snowflake
                    config:
                      account: acme
                      password: { secret: SNOWFLAKE_PW }
                      nested:
                        - api_key: { secret: API_KEY }
                      client_secret:
                        secret: CLIENT_SECRET
                      pw: { secret: UNDER_A_NEUTRAL_KEY }
                      keys: [{ secret: IN_A_LIST }]
                    """
                ),
            }
        )
        result, data = self.assertValid()
        self.assertFalse(self.find_json(data, "plaintext-secret", "warnings"), result.describe())


class UnsafeTreeTest(FerryTestCase):
    def test_symlink_resource_file(self):
        repo = make_repo(self.tmp / "dev", valid_tree(), symlinks={"models/link.yaml": "active-users.yaml"})
        write_config(self.tmp, {"dev": {"repo": "dev"}})
        self.assertEqual(
            self.git_mode(repo, "models/link.yaml"), "120000", "the test setup must commit a symbolic link"
        )
        self.assertInvalid("unsafe-tree", file="models/link.yaml")

    def test_symlink_anywhere_in_tree(self):
        make_repo(self.tmp / "dev", valid_tree(), symlinks={"docs/passwd": "/etc/passwd"})
        write_config(self.tmp, {"dev": {"repo": "dev"}})
        self.assertInvalid("unsafe-tree", file="docs/passwd")

    def git_mode(self, repo, path):
        return git(repo, "ls-tree", "HEAD", path).split()[0]

    def test_oversized_resource_file(self):
        sql = "select '" + "x" * (1024 * 1024 + 100) + "'"
        self.single({"models/big.yaml": "name: Big\nsource: warehouse\ntype: sql\nsql: %s\n" % sql})
        start = time.monotonic()
        self.assertInvalid("unsafe-tree", file="models/big.yaml")
        self.assertLess(time.monotonic() - start, 10)

    def test_alias_bomb_refused_quickly(self):
        self.single({"models/bomb.yaml": "name: Bomb\nsource: warehouse\ntype: sql\nsql: select 1\n" + billion_laughs()})
        self.ferry("--help")  # warm-up: load the binary before timing
        start = time.monotonic()
        result, data = self.ferry_json("validate", timeout=30)
        self.assertLess(time.monotonic() - start, 5, result.describe())
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "unsafe-tree", file="models/bomb.yaml")
        text = self.ferry("validate", timeout=30)
        self.assertLess(text.seconds, 5, text.describe())
        self.assertExit(text, 1)
        self.assertTextDiag(text, "unsafe-tree", file="models/bomb.yaml")

    def test_alias_bomb_inside_config(self):
        self.single(
            {"sources/bomb.yaml": "name: Bomb\ntype: postgres\nconfig:\n" + billion_laughs(indent="  ")}
        )
        start = time.monotonic()
        self.assertInvalid("unsafe-tree", file="sources/bomb.yaml")
        self.assertLess(time.monotonic() - start, 10)

    def test_alias_bomb_in_workspace_yaml(self):
        self.single(
            {
                "workspace.yaml": "organization: acme\nmembers:\n  alice@acme.com: admin\nextensions:\n  dbt:\n"
                + billion_laughs(indent="    ")
            }
        )
        start = time.monotonic()
        self.assertInvalid("unsafe-tree", file="workspace.yaml")
        self.assertLess(time.monotonic() - start, 10)

    def test_small_alias_is_fine(self):
        self.single(
            {
                "destinations/crm.yaml": dedent(
                    """
                    name: CRM
                    type: salesforce
                    config:
                      base: &base { region: eu, retries: 3 }
                      backup: *base
                    """
                )
            }
        )
        self.assertValid()

    def test_nesting_deeper_than_64_in_config_flow(self):
        deep = "{a: " * 100 + "1" + "}" * 100
        self.single({"sources/deep.yaml": "name: Deep\ntype: postgres\nconfig: %s\n" % deep})
        self.assertInvalid("unsafe-tree", file="sources/deep.yaml", address="dev:sources/deep")

    def test_nesting_deeper_than_64_in_config_block(self):
        lines = ["name: Deep", "type: postgres", "config:"]
        for i in range(80):
            lines.append("  " * (i + 1) + "k%d:" % i)
        lines.append("  " * 81 + "leaf: 1")
        self.single({"sources/deep.yaml": "\n".join(lines) + "\n"})
        self.assertInvalid("unsafe-tree", file="sources/deep.yaml")

    def test_nesting_deeper_than_64_sequences_in_sync_config(self):
        deep = "[" * 70 + "1" + "]" * 70
        self.single(
            {"syncs/deep.yaml": "name: Deep\nmodel: active-users\ndestination: crm\nconfig:\n  mappings: %s\n" % deep}
        )
        self.assertInvalid("unsafe-tree", file="syncs/deep.yaml")

    def test_nesting_deeper_than_64_outside_config(self):
        deep = "[" * 200 + "x" + "]" * 200
        self.single({"models/deep.yaml": "name: Deep\nsource: warehouse\ntype: sql\nsql: select 1\ntags: %s\n" % deep})
        self.assertInvalid("unsafe-tree", file="models/deep.yaml")

    def test_very_deep_nesting_does_not_crash(self):
        deep = "[" * 100000 + "]" * 100000
        self.single({"models/deep.yaml": "name: Deep\nsource: warehouse\ntype: sql\nsql: select 1\ntags: %s\n" % deep})
        self.assertInvalid("unsafe-tree", file="models/deep.yaml")

    def test_moderate_nesting_in_config_is_fine(self):
        deep = "{a: " * 40 + "1" + "}" * 40
        self.single({"sources/deep.yaml": "name: Deep\ntype: postgres\nconfig: %s\n" % deep})
        self.assertValid()

    def test_large_links_file_is_not_refused(self):
        # 100,000 links to `prod`, a workspace ferry.yaml does not define.
        lines = ["sources:"]
        lines += ["  s%05d: { prod: p%05d }" % (i, i) for i in range(100000)]
        self.single({"links.yaml": "\n".join(lines) + "\n"})
        start = time.monotonic()
        result, data = self.ferry_json("validate", timeout=60)
        elapsed = time.monotonic() - start
        self.assertLess(elapsed, 20, result.describe())
        self.assertFalse(self.find_json(data, "unsafe-tree"), result.describe())
        self.assertEqual(data["errors"], [], result.describe())
        self.assertExit(result, 0)
        quiet = self.ferry("validate", "-q", timeout=60)
        self.assertLess(quiet.seconds, 20, quiet.describe())
        self.assertExit(quiet, 0)
        self.assertNotIn("unsafe-tree", quiet.stderr)


class ConfigTest(FerryTestCase):
    def test_ferry_yaml_syntax_error(self):
        make_repo(self.tmp / "dev", valid_tree())
        write_config(self.tmp, "workspaces:\n  dev:\n    repo: [dev\n")
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "config", file="ferry.yaml")
        text = self.ferry("validate")
        self.assertExit(text, 1)
        self.assertTextDiag(text, "config", file="ferry.yaml")

    def test_ferry_yaml_unknown_field(self):
        make_repo(self.tmp / "dev", valid_tree())
        write_config(self.tmp, "workspaces:\n  dev:\n    repo: dev\n    brnach: main\n")
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "config", file="ferry.yaml", line=4, message_contains="brnach")
        text = self.ferry("validate")
        self.assertExit(text, 1)
        self.assertTextDiag(text, "config", file="ferry.yaml", line=4)

    def test_ferry_yaml_unknown_top_level_field(self):
        make_repo(self.tmp / "dev", valid_tree())
        write_config(self.tmp, "workspaces:\n  dev:\n    repo: dev\norganisation: acme\n")
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "config", file="ferry.yaml", line=4)

    def test_repo_not_a_git_repository(self):
        (self.tmp / "plain").mkdir()
        (self.tmp / "plain" / "workspace.yaml").write_text("organization: acme\n")
        write_config(self.tmp, {"dev": {"repo": "plain"}})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "config")
        text = self.ferry("validate")
        self.assertExit(text, 1)
        self.assertTextDiag(text, "config")

    def test_path_outside_the_repository(self):
        make_repo(self.tmp / "dev", valid_tree())
        write_config(self.tmp, {"dev": {"repo": "dev", "path": "../elsewhere"}})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "config", file="ferry.yaml", line=4)

    def test_repo_missing(self):
        write_config(self.tmp, {"dev": {"repo": "nowhere"}})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "config")


class UnknownWorkspaceTest(FerryTestCase):
    def test_unknown_workspace(self):
        self.single()
        result, data = self.ferry_json("validate", "nosuch")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "unknown-workspace", message_contains="nosuch")
        text = self.ferry("validate", "nosuch")
        self.assertExit(text, 1)
        self.assertTextDiag(text, "unknown-workspace")

    def test_unknown_workspace_with_ref(self):
        self.single()
        result, data = self.ferry_json("validate", "nosuch@main")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "unknown-workspace")

    def test_unknown_workspace_among_known(self):
        self.single()
        result, data = self.ferry_json("validate", "dev", "nosuch")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "unknown-workspace", message_contains="nosuch")


class LinksTest(FerryTestCase):
    def two_sources(self):
        return {
            "sources/x.yaml": "name: X\ntype: snowflake\n",
            "sources/z.yaml": "name: Z\ntype: snowflake\n",
        }

    def test_link_conflict_between_the_two_files(self):
        dev = valid_tree(extra=dict(self.two_sources(), **{"links.yaml": links_file({"sources": {"x": {"prod": "y"}}})}))
        prod = valid_tree(
            extra={
                "sources/y.yaml": "name: Y\ntype: snowflake\n",
                "links.yaml": links_file({"sources": {"y": {"dev": "z"}}}),
            }
        )
        self.make_org({"dev": dev, "prod": prod})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "link-conflict")
        text = self.ferry("validate")
        self.assertExit(text, 1)
        self.assertTextDiag(text, "link-conflict")

    def test_link_conflict_not_one_to_one_in_one_file(self):
        dev = valid_tree(
            extra=dict(
                self.two_sources(), **{"links.yaml": links_file({"sources": {"x": {"prod": "y"}, "z": {"prod": "y"}}})}
            )
        )
        prod = valid_tree(extra={"sources/y.yaml": "name: Y\ntype: snowflake\n"})
        self.make_org({"dev": dev, "prod": prod})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "link-conflict")

    def test_agreeing_links_in_both_files_are_fine(self):
        dev = valid_tree(extra=dict(self.two_sources(), **{"links.yaml": links_file({"sources": {"x": {"prod": "y"}}})}))
        prod = valid_tree(
            extra={
                "sources/y.yaml": "name: Y\ntype: snowflake\n",
                "links.yaml": links_file({"sources": {"y": {"dev": "x"}}}),
            }
        )
        self.make_org({"dev": dev, "prod": prod})
        result, data = self.assertValid()
        self.assertEqual(data["warnings"], [], result.describe())

    def test_audiences_cannot_be_linked(self):
        dev = valid_tree(
            extra={
                "audiences/vip.yaml": "name: VIP\nmodel: active-users\nfilter: { plan: enterprise }\n",
                "links.yaml": links_file({"audiences": {"vip": {"prod": "vip"}}}),
            }
        )
        prod = valid_tree(extra={"audiences/vip.yaml": "name: VIP\nmodel: active-users\nfilter: { plan: enterprise }\n"})
        self.make_org({"dev": dev, "prod": prod})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        codes = {e["code"] for e in data["errors"]}
        self.assertTrue(codes & {"schema", "link-kind-not-allowed"}, result.describe())

    def test_stale_link_local_resource_missing(self):
        dev = valid_tree(extra={"links.yaml": links_file({"sources": {"gone": {"prod": "warehouse"}}})})
        self.make_org({"dev": dev, "prod": valid_tree()})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 0)
        self.assertEqual(data["errors"], [], result.describe())
        self.assertJsonDiag(result, data, "stale-link", severity="warnings")
        text = self.ferry("validate")
        self.assertExit(text, 0)
        self.assertTextDiag(text, "stale-link", severity="warning")

    def test_stale_link_other_resource_missing(self):
        dev = valid_tree(extra={"links.yaml": links_file({"sources": {"warehouse": {"prod": "gone"}}})})
        self.make_org({"dev": dev, "prod": valid_tree()})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 0)
        self.assertEqual(data["errors"], [], result.describe())
        self.assertJsonDiag(result, data, "stale-link", severity="warnings")


class BroadGrantTest(FerryTestCase):
    def members(self, star):
        return {"workspace.yaml": workspace_yaml(members={"alice@acme.com": "admin", "*": star})}

    def test_star_editor_is_a_warning(self):
        self.single(self.members("editor"))
        result, data = self.ferry_json("validate")
        self.assertExit(result, 0)
        self.assertEqual(data["errors"], [], result.describe())
        self.assertJsonDiag(result, data, "broad-grant", severity="warnings", file="workspace.yaml", line=5)
        text = self.ferry("validate")
        self.assertExit(text, 0)
        self.assertTextDiag(text, "broad-grant", severity="warning", file="workspace.yaml", line=5)

    def test_star_per_kind_draft_is_a_warning(self):
        self.single(self.members("{ models: draft }"))
        result, data = self.ferry_json("validate")
        self.assertExit(result, 0)
        self.assertJsonDiag(result, data, "broad-grant", severity="warnings", file="workspace.yaml")

    def test_star_viewer_is_fine(self):
        self.single(self.members("viewer"))
        result, data = self.assertValid()
        self.assertEqual(data["warnings"], [], result.describe())


if __name__ == "__main__":
    unittest.main()
