"""Connector types (SPEC 2.7): every shipped connector schema applied to
`config`, with located `schema` errors and "did you mean" hints; a sync's
config checked against its destination's type; an organization's own
schemas under connectors/; `validate --strict`."""

import json
import os
import unittest
from pathlib import Path

from harness import (
    FerryTestCase,
    commit,
    dedent,
    valid_tree,
    write_config,
)

SOURCE_DIR = Path(os.environ.get("FERRY_SOURCE_DIR", Path(__file__).resolve().parents[2]))
CONNECTORS = SOURCE_DIR / "schemas" / "connectors"


def schemas(kind):
    """{type: schema} of the shipped connector schemas of one kind."""
    return {p.name[: -len(".schema.json")]: json.loads(p.read_text()) for p in sorted((CONNECTORS / kind).glob("*.schema.json"))}


def misspelt(key):
    """key with its middle letter left out: `account` -> `accunt`."""
    middle = len(key) // 2
    return key[:middle] + key[middle + 1 :]


def resource(name, type_, config_lines):
    return "name: %s\ntype: %s\nconfig:\n%s" % (name, type_, "".join("  %s\n" % line for line in config_lines))


def sync(destination, config_lines):
    return (
        "name: Sync\nmodel: active-users\ndestination: %s\nconfig:\n%s"
        % (destination, "".join("  %s\n" % line for line in config_lines))
    )


class ShippedSchemasTest(FerryTestCase):
    def test_every_listed_type_has_a_schema_for_its_config_and_its_syncs(self):
        self.assertEqual(
            sorted(schemas("sources")), sorted(["snowflake", "bigquery", "redshift", "databricks", "postgres", "mysql"])
        )
        destinations = ["salesforce", "hubspot", "braze", "iterable", "google-ads", "facebook-audiences", "marketo",
                        "zendesk", "intercom", "slack", "webhook"]
        self.assertEqual(sorted(schemas("destinations")), sorted(destinations))
        self.assertEqual(sorted(schemas("syncs")), sorted(destinations))
        for type_, schema in schemas("syncs").items():
            self.assertIs(schema.get("additionalProperties"), False, type_)

    def test_the_spec_examples_and_listed_fields_are_valid(self):
        self.single(
            {
                "sources/warehouse.yaml": dedent(
                    """
                    name: Warehouse
                    type: snowflake
                    config: { account: acme, database: ANALYTICS, password: { secret: SNOWFLAKE_PW } }
                    """
                ),
                "sources/full-snowflake.yaml": resource(
                    "S", "snowflake",
                    ["account: acme", "warehouse: WH", "database: DB", "schema: PUBLIC", "user: U", "role: R",
                     "password: { secret: PW }"],
                ),
                "sources/pg.yaml": resource(
                    "P", "postgres", ["host: db", "port: 5432", "database: app", "user: u", "password: { secret: PW }"]
                ),
                "sources/my.yaml": resource(
                    "M", "mysql", ["host: db", "port: 3306", "database: app", "user: u", "password: { secret: PW }"]
                ),
                "sources/bq.yaml": resource(
                    "B", "bigquery", ["project: p", "dataset: d", "location: US", "credentials: { secret: BQ }"]
                ),
                "destinations/sf.yaml": resource("SF", "salesforce", ["instance: acme", "sandbox: true"]),
                "destinations/hs.yaml": resource("HS", "hubspot", ["portal: 123"]),
                "syncs/users-to-salesforce.yaml": dedent(
                    """
                    name: Users to Salesforce
                    model: active-users
                    destination: sf
                    enabled: true
                    schedule: { type: interval, every: 1h }
                    alerts: [oncall]
                    config:
                      object: Contact
                      mode: upsert
                      mappings: [{ from: email, to: Email }]
                    """
                ),
                "syncs/to-hubspot.yaml": sync(
                    "hs",
                    ["object: contacts", "mode: mirror", "mappings: [{ from: email, to: email }]",
                     "external_id: email"],
                ),
                "syncs/sf-all.yaml": sync(
                    "sf", ["object: Account", "mode: update", "mappings: []", "external_id: External_Id__c"]
                ),
            }
        )
        result, data = self.assertValid("--strict")
        self.assertEqual(data["warnings"], [], result.describe())

    def test_a_misspelt_common_field_of_each_connection_schema_is_caught_with_a_hint(self):
        files = {}
        expected = {}
        for kind in ("sources", "destinations"):
            for type_, schema in schemas(kind).items():
                key = next(iter(schema["properties"]))  # each schema lists its most common field first
                path = "%s/bad-%s.yaml" % (kind, type_)
                files[path] = resource("Bad", type_, ["%s: x" % misspelt(key)])
                expected[path] = (misspelt(key), key)
        self.single(files)
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        for path, (wrong, meant) in expected.items():
            self.assertJsonDiag(result, data, "schema", file=path, line=4, column=3,
                                message_contains=("config", "'%s'" % wrong), hint_contains="did you mean '%s'" % meant)

    def test_a_misspelt_field_of_each_sync_schema_is_caught_with_a_hint(self):
        files = {}
        for type_, schema in schemas("syncs").items():
            files["destinations/d-%s.yaml" % type_] = "name: D\ntype: %s\n" % type_
            required = ["%s: x" % key for key in schema.get("required", [])]
            files["syncs/s-%s.yaml" % type_] = sync("d-" + type_, required + ["mapings: [{ from: a, to: b }]"])
        self.single(files)
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        for type_, schema in schemas("syncs").items():
            line = 5 + len(schema.get("required", []))
            self.assertJsonDiag(result, data, "schema", file="syncs/s-%s.yaml" % type_, line=line, column=3,
                                message_contains="'mapings'", hint_contains="did you mean 'mappings'")

    def test_mapings_in_a_salesforce_sync_is_an_error_located_at_the_key(self):
        self.single(
            {"syncs/users-to-crm.yaml": sync("crm", ["object: Contact", "mode: upsert", "mapings: [{ from: email, to: Email }]"])}
        )
        _, data, text = self.assertInvalid("schema", file="syncs/users-to-crm.yaml", line=7, column=3,
                                           message_contains="'mapings'", hint_contains="did you mean 'mappings'?")
        self.assertIn("did you mean 'mappings'?", text.stderr)

    def test_sync_values_are_checked_too(self):
        self.single(
            {"syncs/users-to-crm.yaml": sync("crm", ["mode: delete", "mappings: [{ from: email }]"])}
        )
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "schema", file="syncs/users-to-crm.yaml", line=5,
                            message_contains=("config.mode", "upsert, update, insert, mirror"))
        self.assertJsonDiag(result, data, "schema", file="syncs/users-to-crm.yaml",
                            message_contains="missing required field 'object'")
        self.assertJsonDiag(result, data, "schema", file="syncs/users-to-crm.yaml", message_contains="'to'")

    def test_required_connection_fields_and_types(self):
        self.single(
            {
                "sources/wh.yaml": resource("W", "snowflake", ["database: DB"]),
                "sources/pg.yaml": resource("P", "postgres", ["database: app"]),
                "sources/bq.yaml": resource("B", "bigquery", ["dataset: d"]),
                "destinations/hs.yaml": resource("H", "hubspot", ["portal: acme"]),
            }
        )
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "schema", file="sources/wh.yaml", message_contains="'account'")
        self.assertJsonDiag(result, data, "schema", file="sources/pg.yaml", message_contains="'host'")
        self.assertJsonDiag(result, data, "schema", file="sources/bq.yaml", message_contains="'project'")
        self.assertJsonDiag(result, data, "schema", file="destinations/hs.yaml", line=4, column=11,
                            message_contains=("config.portal", "integer"))

    def test_an_unknown_key_far_from_every_known_one_is_kept(self):
        self.single(
            {"sources/warehouse.yaml": resource("W", "snowflake", ["account: acme", "client_session_keep_alive: true",
                                                                  "ocsp_fail_open: false"])}
        )
        self.assertValid()

    def test_a_literal_password_is_a_plaintext_secret_not_also_a_schema_error(self):
        self.single({"sources/warehouse.yaml": resource("W", "postgres", ["host: db", "password: hunter2hunter2"])})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "plaintext-secret", file="sources/warehouse.yaml", line=5)
        self.assertEqual(self.find_json(data, "schema"), [], result.describe())
        self.assertNotIn("hunter2", result.stdout + result.stderr)

    def test_a_sync_is_checked_again_when_its_destination_changes_type(self):
        repo = self.single()
        self.assertValid()
        commit(repo, {"destinations/crm.yaml": "name: CRM\ntype: webhook\nconfig: { url: 'https://hooks.acme.com/x' }\n"})
        for _ in range(2):  # the second run reads what the first kept
            result, data = self.ferry_json("validate")
            self.assertExit(result, 1)
            self.assertJsonDiag(result, data, "schema", file="syncs/users-to-crm.yaml", line=8,
                                message_contains="'object'")


class FreeFormTypesTest(FerryTestCase):
    FILES = {
        "destinations/cdp.yaml": resource("CDP", "segment", ["write_key_name: prod", "anything: { goes: [1, 2] }"]),
        "sources/lake.yaml": resource("Lake", "duckdb", ["path: /data/lake.db"]),
        "syncs/to-cdp.yaml": sync("cdp", ["whatever: 1"]),
    }

    def test_a_type_without_a_schema_is_free_form_and_silent(self):
        self.single(self.FILES)
        result, data = self.assertValid()
        self.assertEqual(data["warnings"], [], result.describe())

    def test_strict_warns_once_per_unknown_type_naming_where_it_is_used(self):
        files = dict(self.FILES)
        files["destinations/cdp-2.yaml"] = resource("CDP 2", "segment", ["x: 1"])
        self.single(files)
        result, data = self.ferry_json("validate", "--strict")
        self.assertExit(result, 0)
        warnings = self.find_json(data, "unknown-connector-type", "warnings")
        self.assertEqual(len(warnings), 2, result.describe())
        segment = self.assertJsonDiag(result, data, "unknown-connector-type", "warnings", file="destinations/cdp.yaml",
                                      line=2, column=7, message_contains=("'segment'", "dev:destinations/cdp", "dev:destinations/cdp-2"))
        self.assertIn("connectors/destinations/segment.schema.json", segment["hint"])
        self.assertJsonDiag(result, data, "unknown-connector-type", "warnings", file="sources/lake.yaml",
                            message_contains="'duckdb'")
        text = self.ferry("validate", "--strict")
        self.assertExit(text, 0)
        self.assertTextDiag(text, "unknown-connector-type", severity="warning", file="destinations/cdp.yaml", line=2)


class OverridesTest(FerryTestCase):
    SEGMENT = {
        "type": "object",
        "required": ["write_key"],
        "properties": {"write_key": {"$ref": "#/definitions/secret"}, "region": {"enum": ["us", "eu"]}},
        "definitions": {"secret": {"type": "object", "required": ["secret"]}},
    }
    SEGMENT_SYNC = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"event": {"type": "string"}, "mappings": {"type": "array"}},
    }

    def org_with(self, folder_files, extra_config=""):
        self.single(
            {
                "destinations/cdp.yaml": resource("CDP", "segment", ["regoin: eu"]),
                "syncs/to-cdp.yaml": sync("cdp", ["evnt: signup"]),
                "sources/warehouse.yaml": resource("W", "snowflake", ["account: acme"]),
            }
        )
        for rel, body in folder_files.items():
            path = self.tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body if isinstance(body, str) else json.dumps(body))
        if extra_config:
            with open(self.tmp / "ferry.yaml", "a") as f:
                f.write(extra_config)

    def check_overrides_apply(self, folder):
        result, data = self.ferry_json("validate", "--strict")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "schema", file="destinations/cdp.yaml", line=4, column=3,
                            message_contains="'regoin'", hint_contains="did you mean 'region'")
        self.assertJsonDiag(result, data, "schema", file="destinations/cdp.yaml", message_contains="'write_key'")
        self.assertJsonDiag(result, data, "schema", file="syncs/to-cdp.yaml", line=5, column=3,
                            message_contains="'evnt'", hint_contains="did you mean 'event'")
        # A replaced built-in schema: snowflake now needs a warehouse.
        self.assertJsonDiag(result, data, "schema", file="sources/warehouse.yaml", message_contains="'warehouse'")
        self.assertEqual(self.find_json(data, "unknown-connector-type", "warnings"), [], result.describe())

    SNOWFLAKE = {"type": "object", "required": ["account", "warehouse"]}

    def test_connectors_beside_ferry_yaml_add_and_replace_schemas(self):
        self.org_with(
            {
                "connectors/destinations/segment.schema.json": self.SEGMENT,
                "connectors/syncs/segment.schema.json": self.SEGMENT_SYNC,
                "connectors/sources/snowflake.schema.json": self.SNOWFLAKE,
                "connectors/README.md": "not a schema\n",
            }
        )
        self.check_overrides_apply("connectors")

    def test_the_connectors_key_names_another_folder(self):
        self.org_with(
            {
                "schemas/ours/destinations/segment.schema.json": self.SEGMENT,
                "schemas/ours/syncs/segment.schema.json": self.SEGMENT_SYNC,
                "schemas/ours/sources/snowflake.schema.json": self.SNOWFLAKE,
                # Not read: the key names another folder.
                "connectors/sources/snowflake.schema.json": "{ not json",
            },
            extra_config="connectors: schemas/ours\n",
        )
        self.check_overrides_apply("schemas/ours")

    def test_a_bad_override_is_a_config_error_naming_the_file(self):
        self.org_with({"connectors/destinations/segment.schema.json": "{ not json"})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "config", file="connectors/destinations/segment.schema.json")

    def test_a_schema_in_a_folder_of_no_kind_is_a_config_error(self):
        self.org_with({"connectors/destinations/segment.schema.json": {"type": "object"},
                       "connectors/destination/segment.schema.json": {"type": "object"}})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "config", file="connectors/destination/segment.schema.json",
                            hint_contains="destinations/")

    def test_an_override_with_a_bad_pattern_is_a_config_error(self):
        self.org_with({"connectors/destinations/segment.schema.json":
                       {"type": "object", "properties": {"key": {"type": "string", "pattern": "(["}}}})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "config", file="connectors/destinations/segment.schema.json")

    def test_an_override_may_list_numbers(self):
        self.org_with({"connectors/destinations/segment.schema.json":
                       {"type": "object", "properties": {"regoin": {"enum": [1, 2]}}}})
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "schema", file="destinations/cdp.yaml", message_contains="1, 2")

    def test_a_connectors_key_naming_no_folder_is_a_config_error(self):
        self.org_with({}, extra_config="connectors: nowhere\n")
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "config", file="ferry.yaml", message_contains="nowhere")

    def test_editing_an_override_is_seen_by_the_next_run(self):
        self.org_with({"connectors/destinations/segment.schema.json": {"type": "object"}})
        self.assertValid()
        (self.tmp / "connectors/destinations/segment.schema.json").write_text(json.dumps(self.SEGMENT))
        result, data = self.ferry_json("validate")
        self.assertExit(result, 1)
        self.assertJsonDiag(result, data, "schema", file="destinations/cdp.yaml", message_contains="'write_key'")


if __name__ == "__main__":
    unittest.main()
