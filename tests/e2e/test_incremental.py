"""Incremental dry-run plans (docs/incremental-plans.md): a dry run after
an earlier one plans again only the resources whose files changed, and
prints what a full plan prints, byte for byte, in every format. Anything it
cannot take (a file added or removed, a reference changed, a file with a
problem, a damaged memo) is planned in full, with the same result."""

import unittest

import json
import os

from harness import DeployCase, commit, crashed, dedent, deploy_workspace_yaml, git

PLANNED_AGAIN = "of the selected resources again"
MAGIC = b"ferry plan memo\n"


def checksum(data):
    """The memo's checksum (include/ferry/util/checksum.hpp), to forge memos
    that pass it."""
    mask = (1 << 64) - 1

    def mix(h, word):
        h = ((h ^ word) * 0x9E3779B97F4A7C15) & mask
        return h ^ (h >> 29)

    h = 0x243F6A8885A308D3
    whole = len(data) // 8
    for i in range(whole):
        h = mix(h, int.from_bytes(data[i * 8:i * 8 + 8], "little"))
    rest = data[whole * 8:]
    h = mix(h, int.from_bytes(rest.ljust(8, b"\0"), "little") ^ len(data))
    return h ^ (h >> 32)


def read_memo(data):
    """(key, {section: text}) of a memo, its checksum checked."""
    assert data.startswith(MAGIC)
    key, digest, body = data[len(MAGIC):len(MAGIC) + 64], data[len(MAGIC) + 65:len(MAGIC) + 81], data[len(MAGIC) + 82:]
    assert int(digest, 16) == checksum(body)
    sections = {}
    while body:
        eol = body.index(b"\n")
        name, size = body[:eol].split(b" ")
        sections[name.decode()] = body[eol + 1:eol + 1 + int(size)].decode()
        body = body[eol + 1 + int(size):]
    return key, sections


def write_memo(key, sections):
    body = b"".join(b"%s %d\n%s" % (name.encode(), len(text.encode()), text.encode())
                    for name, text in sections.items())
    return MAGIC + key + b"\n" + b"%016x\n" % checksum(body) + body


class IncrementalPlanTest(DeployCase):
    def setUp(self):
        super().setUp()
        extra = {f"models/m{i:02d}.yaml": f"name: M{i}\nsource: wh-dev\ntype: sql\nsql: select {i}\n"
                 for i in range(12)}
        self.org = self.deploy_org(dev_extra=extra)
        self.dev = self.org / "dev"
        self.prod = self.org / "prod"
        self.cache = self.dev / ".git" / "ferry" / "cache"

    def plan(self, *args, fmt="json", memo=True):
        env = {"FERRY_NO_CACHE": None if memo else "1"}
        return self.ferry("-v", "reconcile", "--from", "dev", "--to", "prod", "--dry-run", "--format", fmt, *args,
                          cwd=self.org, env=env)

    def reason(self, result):
        """Why the plan was made in full, as -v says, or None."""
        for line in result.stderr.splitlines():
            if line.startswith("ferry: planning in full: "):
                return line[len("ferry: planning in full: "):]
        return None

    def memos(self):
        return sorted(self.cache.glob("plan-*.memo")) if self.cache.exists() else []

    def assert_same_as_full(self, *args, incremental=True):
        """Every format, from the memo and in full: the same exit, output
        and diagnostics. `incremental` says whether the first plan used the
        memo; when it did not, it left one for the plans after it, which do."""
        for i, fmt in enumerate(("json", "text", "markdown", "github")):
            with self.subTest(fmt=fmt):
                full = self.plan(*args, fmt=fmt, memo=False)
                warm = self.plan(*args, fmt=fmt)
                self.assertEqual(warm.returncode, full.returncode, warm.describe())
                self.assertEqual(warm.stdout, full.stdout, warm.describe())
                self.assertEqual(self.without_debug(warm.stderr), self.without_debug(full.stderr))
                self.assertEqual(PLANNED_AGAIN in warm.stderr, incremental or i > 0, warm.describe())

    @staticmethod
    def without_debug(stderr):
        return "\n".join(line for line in stderr.splitlines() if not line.startswith("ferry: "))

    def prime(self, *args):
        before = len(self.memos())
        r = self.plan(*args)
        self.assertNotIn(PLANNED_AGAIN, r.stderr)
        self.assertEqual(len(self.memos()), before + 1, r.describe())

    def test_a_changed_model_is_planned_again_alone(self):
        self.prime()
        commit(self.dev, {"models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 333\n"})
        self.assert_same_as_full()
        r = self.plan()
        self.assertIn("planned 1 of the selected resources again", r.stderr)

    def test_a_change_to_a_resource_not_selected(self):
        # m03 is not linked: the default selection leaves it out, and says so.
        self.prime()
        self.prime("--all")
        commit(self.dev, {"models/m03.yaml": "name: M3\nsource: wh-dev\ntype: sql\nsql: select 333\n"})
        self.assert_same_as_full()
        self.assertIn("planned 0 of the selected resources again", self.plan().stderr)
        self.assert_same_as_full("--all")

    def test_changes_on_both_sides_and_drafts(self):
        self.prime()
        commit(self.dev, {"syncs/users-crm.yaml": dedent(
            """
            name: Users to CRM, renamed
            model: users
            destination: crm-sandbox
            enabled: true
            schedule: { type: interval, every: 2h }
            config:
              object: Contact
              mappings: [{ from: email, to: EmailAddress }, { from: id, to: Id }]
            """)})
        commit(self.prod, {"models/users.yaml": "name: Users\nsource: warehouse\ntype: sql\nsql: select 7\n"})
        self.assert_same_as_full()

    def test_the_note_on_uncommitted_changes_is_said_from_a_memo_too(self):
        self.prime()
        commit(self.dev, {"models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 4\n"})
        (self.dev / "models" / "users.yaml").write_text("name: Users\nsource: wh-dev\ntype: sql\nsql: not yet\n")
        self.assert_same_as_full()
        self.assertIn("uncommitted changes", self.plan(fmt="text").stderr)

    def test_a_change_that_undoes_the_difference(self):
        # users differs from prod (select 2 / select 1): once dev has what
        # prod has, its change leaves the plan.
        self.prime()
        commit(self.dev, {"models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 1\n"})
        self.assert_same_as_full()

    def test_other_options_and_actors_have_their_own_memo(self):
        self.prime()
        self.prime("--all")
        # dan may only draft: his plan's changes land as drafts naming dev's commit.
        r = self.plan("--actor", "dan@acme.com")
        self.assertEqual(len(self.memos()), 3, r.describe())
        commit(self.dev, {"models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 9\n"})
        self.assert_same_as_full()
        self.assert_same_as_full("--all")
        self.assert_same_as_full("--actor", "dan@acme.com")

    def test_what_is_planned_in_full(self):
        cases = {
            "a model added": (self.dev, {"models/zz.yaml": "name: Z\nsource: wh-dev\ntype: sql\nsql: select 0\n"}),
            "a model removed": (self.dev, {"models/m05.yaml": None}),
            "a reference changed": (self.dev, {"models/m04.yaml": "name: M4\nsource: other\ntype: sql\nsql: x\n"}),
            "a source changed": (self.dev, {"sources/wh-dev.yaml": "name: WH dev 2\ntype: snowflake\n"}),
            "workspace.yaml changed": (self.prod, {"workspace.yaml": deploy_workspace_yaml(extra="# changed\n")}),
            "a schema error": (self.dev, {"models/m06.yaml": "name: M6\nsource: wh-dev\ntype: sql\nsqll: x\n"}),
            "a yaml error": (self.prod, {"models/users.yaml": "name: [unclosed\n"}),
        }
        for what, (repo, files) in cases.items():
            with self.subTest(what):
                for memo in self.memos():
                    memo.unlink()
                self.prime()
                base = git(repo, "rev-parse", "HEAD")
                commit(repo, files)
                self.assert_same_as_full(incremental=False)
                git(repo, "reset", "-q", "--hard", base)

    def test_a_file_that_had_a_problem_is_planned_in_full_once_fixed(self):
        commit(self.dev, {"models/m07.yaml": "name: M7\nsource: wh-dev\ntype: sql\nsqll: x\n"})
        self.prime()
        commit(self.dev, {"models/m07.yaml": "name: M7\nsource: wh-dev\ntype: sql\nsql: x\n"})
        self.assert_same_as_full(incremental=False)

    def test_a_damaged_or_foreign_memo_is_ignored(self):
        self.prime()
        commit(self.dev, {"models/m02.yaml": "name: M2\nsource: wh-dev\ntype: sql\nsql: select 22\n"})
        [memo] = self.memos()
        good = memo.read_bytes()
        damages = {
            "garbage": b"not a memo\n" * 10,
            "empty": b"",
            "truncated": good[: len(good) // 2],
            "one byte flipped": good[:-10] + bytes([good[-10] ^ 0x01]) + good[-9:],
            "hostile lines": good.replace(b"models users ", b"models users\n\x1b[31m ", 1),
        }
        for what, data in damages.items():
            with self.subTest(what):
                memo.write_bytes(data)
                self.assert_same_as_full(incremental=False)

    def test_a_fifo_or_a_folder_in_the_memos_place(self):
        self.prime()
        commit(self.dev, {"models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 5\n"})
        [memo] = self.memos()
        for what in ("fifo", "folder"):
            with self.subTest(what):
                memo.unlink(missing_ok=True)
                os.mkfifo(memo) if what == "fifo" else memo.mkdir()
                full = self.plan(memo=False)
                warm = self.plan()  # a read that blocked would hang here (the harness's timeout)
                self.assertEqual((warm.returncode, warm.stdout), (full.returncode, full.stdout), warm.describe())
                self.assertIsNotNone(self.reason(warm), warm.describe())
                # The plan in full replaced the pipe with a memo; a folder stays.
                memo.rmdir() if memo.is_dir() else memo.unlink()

    def test_a_forged_memo_with_a_valid_checksum(self):
        """Bytes that pass the checksum but that ferry never writes: a draft
        block that is not a mapping, values nested 300,000 deep, thousands
        of made-up codes. Each plans in full (or as the memo says), never
        crashes."""
        self.prime("--actor", "dan@acme.com")
        commit(self.dev, {"models/users.yaml": "name: Users\nsource: wh-dev\ntype: sql\nsql: select 5\n"})
        [memo] = self.memos()
        key, sections = read_memo(memo.read_bytes())
        parts = json.loads(sections["parts"])
        [change] = [c for pair in parts["pairs"] for c in pair[3] if pair[1] == "users-crm"]
        self.assertEqual(change[4], 1, "dan's changes land as drafts")
        forgeries = {}
        forged = json.loads(sections["parts"])
        [c] = [c for pair in forged["pairs"] for c in pair[3] if pair[1] == "users-crm"]
        c[6]["draft"] = "x"
        forgeries["a draft block that is a string"] = json.dumps(forged)
        forgeries["values nested 300,000 deep"] = sections["parts"].replace(
            '"diagnostics":', '"deep": ' + "[" * 300000 + "]" * 300000 + ', "diagnostics":', 1)
        many = json.loads(sections["parts"])
        many["models_said"] = [[0, f"code-{i}", "m", "", "", 0, 0, "", ""] for i in range(20000)]
        forgeries["20,000 made-up codes"] = json.dumps(many)
        for what, text in forgeries.items():
            with self.subTest(what):
                memo.write_bytes(write_memo(key, dict(sections, parts=text)))
                r = self.plan("--actor", "dan@acme.com")
                self.assertFalse(crashed(r), r.describe())
                self.assertNotIn("internal", r.stdout + r.stderr, r.describe())

    def test_text_that_is_not_utf8_leaves_no_memo_and_the_same_plan(self):
        # An actor from an old git configuration, in Latin-1.
        actor = "jos\udce9@acme.com"  # the byte 0xE9, passed through as it is
        for fmt in ("json", "text"):
            with self.subTest(fmt=fmt):
                full = self.plan("--actor", actor, fmt=fmt, memo=False)
                warm = self.plan("--actor", actor, fmt=fmt)
                self.assertEqual((warm.returncode, warm.stdout), (full.returncode, full.stdout), warm.describe())
                self.assertNotIn("internal", warm.stderr)

    def test_two_workspaces_in_one_repository(self):
        """A monorepo: dev and prod are folders of one repository, so the
        memo's two trees are read through one handle."""
        mono = self.tmp / "mono"
        (mono / "repo").mkdir(parents=True)
        git(mono / "repo", "init", "-q", "-b", "main")
        for name in ("dev", "prod"):
            src = self.org / name
            for path in src.rglob("*"):
                if ".git" in path.parts or not path.is_file():
                    continue
                target = mono / "repo" / "workspaces" / name / path.relative_to(src)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(path.read_bytes())
        commit(mono / "repo", message="both")
        (mono / "ferry.yaml").write_text(
            "workspaces:\n"
            "  dev: { repo: repo, path: workspaces/dev }\n"
            "  prod: { repo: repo, path: workspaces/prod }\n")
        run = lambda memo: self.ferry("-v", "reconcile", "--from", "dev", "--to", "prod", "--dry-run", "--format",
                                      "json", cwd=mono, env={"FERRY_NO_CACHE": None if memo else "1"})
        run(True)
        commit(mono / "repo", {"workspaces/dev/models/m01.yaml": "name: M1\nsource: wh-dev\ntype: sql\nsql: select 11\n"})
        full, warm = run(False), run(True)
        self.assertIn(PLANNED_AGAIN, warm.stderr, warm.describe())
        self.assertEqual((warm.returncode, warm.stdout), (full.returncode, full.stdout))

    def test_a_write_always_plans_in_full(self):
        self.prime()
        commit(self.dev, {"models/m08.yaml": "name: M8\nsource: wh-dev\ntype: sql\nsql: select 88\n"})
        r = self.ferry("-v", "reconcile", "--from", "dev", "--to", "prod", "--yes", cwd=self.org,
                       env={"FERRY_NO_CACHE": None})
        self.assertExit(r, 0)
        self.assertNotIn(PLANNED_AGAIN, r.stderr)
        # T moved on: the deployment changed prod's model and sync, which the
        # next dry run plans again.
        self.assert_same_as_full()


if __name__ == "__main__":
    unittest.main()
