"""Runs a composite action's steps the way GitHub's runner does, on this
machine: `${{ }}` expressions substituted from the inputs, the github
context, env and the steps' outputs; each `run:` step through
`bash --noprofile --norc -eo pipefail`, with its own GITHUB_OUTPUT and
GITHUB_STEP_SUMMARY files and the job's GITHUB_ENV and GITHUB_EVENT_PATH;
and the log read for workflow commands with the runner's rules: a command
is a line that starts, after leading whitespace, with `::name props::message`
(or the older `##[name props]message`), `%25`, `%0D`, `%0A` (and in
properties `%3A`, `%2C`) decoded, and nothing obeyed between
`::stop-commands::TOKEN` and `::TOKEN::`."""

import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

import yaml

SUMMARY_LIMIT = 1024 * 1024  # the runner refuses a step summary over 1 MiB


# --------------------------------------------------------------------------
# Expressions: the subset actions use (contexts, literals, ==, !=, !, &&,
# ||, parentheses, format(), always(), success(), failure()).

TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+(?:\.\d+)?)|(?P<op>==|!=|&&|\|\||[()!,])"
                   r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_*][A-Za-z0-9_-]*|\[[^\]]*\])*))")


class Expr:
    def __init__(self, text, context):
        self.tokens = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise ValueError("cannot read expression %r at %d" % (text, pos))
            kind = m.lastgroup
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.i = 0
        self.context = context

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None)

    def take(self, value=None):
        tok = self.peek()
        if value is not None and tok[1] != value:
            raise ValueError("expected %s, got %s" % (value, tok[1]))
        self.i += 1
        return tok

    def value(self):
        v = self.or_()
        if self.i != len(self.tokens):
            raise ValueError("unexpected %s" % (self.peek(),))
        return v

    def or_(self):
        v = self.and_()
        while self.peek()[1] == "||":
            self.take()
            w = self.and_()
            v = v if truthy(v) else w
        return v

    def and_(self):
        v = self.cmp()
        while self.peek()[1] == "&&":
            self.take()
            w = self.cmp()
            v = w if truthy(v) else v
        return v

    def cmp(self):
        v = self.unary()
        while self.peek()[1] in ("==", "!="):
            op = self.take()[1]
            w = self.unary()
            eq = loose_equal(v, w)
            v = eq if op == "==" else not eq
        return v

    def unary(self):
        if self.peek()[1] == "!":
            self.take()
            return not truthy(self.unary())
        return self.primary()

    def primary(self):
        kind, text = self.take()
        if text == "(":
            v = self.or_()
            self.take(")")
            return v
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "name":
            if self.peek()[1] == "(":
                self.take("(")
                args = []
                while self.peek()[1] != ")":
                    args.append(self.or_())
                    if self.peek()[1] == ",":
                        self.take()
                self.take(")")
                return call(text, args, self.context)
            if text in ("true", "false"):
                return text == "true"
            if text == "null":
                return None
            return lookup(text, self.context)
        raise ValueError("unexpected token %s" % text)


def truthy(v):
    return v not in (None, False, 0, "", )


def loose_equal(a, b):
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return a == b


def to_text(v):
    if v is None:
        return ""
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return str(v)


def call(name, args, context):
    name = name.lower()
    if name == "format":
        fmt = to_text(args[0])
        return re.sub(r"\{(\d+)\}", lambda m: to_text(args[int(m.group(1)) + 1]), fmt)
    if name in ("always", "success", "cancelled", "failure"):
        failed = context.get("__failed__", False)
        return {"always": True, "success": not failed, "cancelled": False, "failure": failed}[name]
    if name == "contains":
        return to_text(args[1]).lower() in to_text(args[0]).lower()
    if name == "startswith":
        return to_text(args[0]).lower().startswith(to_text(args[1]).lower())
    if name == "tojson":
        return json.dumps(args[0])
    raise ValueError("unknown function %s" % name)


def lookup(path, context):
    parts = re.findall(r"[A-Za-z_*][A-Za-z0-9_-]*|\[[^\]]*\]", path)
    v = context
    for p in parts:
        if p.startswith("["):
            p = p[1:-1].strip("'")
        if isinstance(v, dict):
            v = v.get(p, v.get(p.lower()) if isinstance(p, str) else None)
        else:
            return None
    return v


def evaluate(expr, context):
    return Expr(expr, context).value()


def substitute(text, context):
    """Every ${{ expr }} in text replaced by its value as text."""
    if not isinstance(text, str):
        return text
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: to_text(evaluate(m.group(1), context)), text, flags=re.S)


def condition(text, context):
    """A step's `if:`: an expression with or without ${{ }}; success() by default."""
    if text is None or text == "":
        return not context.get("__failed__", False)
    text = str(text).strip()
    m = re.fullmatch(r"\$\{\{(.*)\}\}", text, flags=re.S)
    expr = m.group(1) if m else text
    if not re.search(r"\b(always|success|failure|cancelled)\s*\(", expr):
        if context.get("__failed__", False):
            return False
    return truthy(evaluate(expr, context))


# --------------------------------------------------------------------------
# The log


def decode(text, prop):
    text = text.replace("%0D", "\r").replace("%0A", "\n")
    if prop:
        text = text.replace("%3A", ":").replace("%2C", ",")
    return text.replace("%25", "%")


V2 = re.compile(r"^::([A-Za-z-]+)(?: ([^:]*))?::(.*)$")
LEGACY = re.compile(r"^##\[([A-Za-z-]+)(?: ([^\]]*))?\](.*)$")


def parse_log(log):
    """The workflow commands the runner would obey in log (text), as
    dicts {command, properties, message}, honouring stop-commands."""
    commands = []
    stopped_by = None
    for raw in log.split("\n"):
        line = raw.rstrip("\r").lstrip()
        if stopped_by is not None:
            # Nothing is obeyed until the line that ends the stop.
            if line == "::%s::" % stopped_by:
                stopped_by = None
            continue
        m = V2.match(line)
        legacy = False
        if not m:
            m = LEGACY.match(line)
            legacy = bool(m)
        if not m:
            continue
        name, props, message = m.group(1).lower(), m.group(2) or "", m.group(3)
        properties = {}
        for part in filter(None, props.split(";" if legacy else ",")):
            key, _, value = part.partition("=")
            properties[key.strip()] = decode(value, True)
        message = decode(message, False)
        if name == "stop-commands":
            stopped_by = message
            continue
        commands.append({"command": name, "properties": properties, "message": message})
    return commands


def read_file_commands(path):
    """GITHUB_OUTPUT / GITHUB_ENV: `name=value` lines and `name<<DELIM` blocks."""
    out = {}
    if not path.is_file():
        return out
    lines = path.read_text().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            value = []
            while i < len(lines) and lines[i] != delim:
                value.append(lines[i])
                i += 1
            if i >= len(lines):
                raise ValueError("unterminated %s<<%s in %s" % (name, delim, path))
            i += 1
            out[name] = "\n".join(value)
        elif "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        else:
            raise ValueError("invalid line %r in %s" % (line, path))
    return out


# --------------------------------------------------------------------------
# Running


class StepResult:
    def __init__(self, step_id, outcome, log, outputs, summary):
        self.id, self.outcome, self.log, self.outputs, self.summary = step_id, outcome, log, outputs, summary


class ActionRun:
    """What one use of the action did: outcome, outputs, log, commands,
    step summary."""

    def __init__(self, outcome, outputs, steps, summary):
        self.outcome = outcome
        self.outputs = outputs
        self.steps = steps
        self.log = "".join(s.log for s in steps)
        self.commands = parse_log(self.log)
        self.summary = summary

    def annotations(self, kind=None):
        return [c for c in self.commands
                if c["command"] in ("error", "warning", "notice") and (kind is None or c["command"] == kind)]

    def masks(self):
        return [c["message"] for c in self.commands if c["command"] == "add-mask"]

    def describe(self):
        return "outcome %s\noutputs %s\n--- log\n%s\n--- summary\n%s" % (
            self.outcome, json.dumps(self.outputs, indent=1), self.log[-20000:], self.summary[:4000])


def run_action(action_dir, inputs, github, env=None, workspace=None, runner_temp=None, timeout=300):
    """Runs the composite action in action_dir (its action.yml) with
    `inputs` (strings), the github context `github` (dict: sha, actor,
    repository, event_name, event (dict), api_url, server_url, run_id,
    token, workspace) and extra environment `env`. Returns an ActionRun."""
    action_dir = Path(action_dir)
    meta = yaml.safe_load((action_dir / "action.yml").read_text())
    assert meta["runs"]["using"] == "composite"
    temp = Path(runner_temp or tempfile.mkdtemp(prefix="ferry-runner-"))
    temp.mkdir(parents=True, exist_ok=True)
    workspace = Path(workspace or github["workspace"])
    event_path = temp / "event.json"
    event_path.write_text(json.dumps(github.get("event", {})))
    env_file = temp / "env.txt"
    env_file.touch()

    given = {k: v for k, v in inputs.items()}
    ctx_github = dict(github)
    ctx_github.setdefault("token", "")
    ctx_github["action_path"] = str(action_dir)
    context = {"github": ctx_github, "env": dict(env or {}), "steps": {}, "runner": {"temp": str(temp)}}
    # Inputs: given, else the default (itself an expression).
    values = {}
    for name, spec in (meta.get("inputs") or {}).items():
        spec = spec or {}
        if name in given:
            values[name] = given[name]
        else:
            values[name] = substitute(str(spec.get("default", "")), context)
    unknown = set(given) - set(meta.get("inputs") or {})
    assert not unknown, "inputs the action does not declare: %s" % unknown
    context["inputs"] = values

    base_env = dict(os.environ)
    for name in list(base_env):
        if name.startswith(("GITHUB_", "INPUT_", "RUNNER_")):
            del base_env[name]
    base_env.update({
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_ACTION_PATH": str(action_dir),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_SHA": github.get("sha", ""),
        "GITHUB_REF": github.get("ref", ""),
        "GITHUB_ACTOR": github.get("actor", ""),
        "GITHUB_REPOSITORY": github.get("repository", ""),
        "GITHUB_EVENT_NAME": github.get("event_name", ""),
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_API_URL": github.get("api_url", ""),
        "GITHUB_SERVER_URL": github.get("server_url", "https://github.com"),
        "GITHUB_RUN_ID": str(github.get("run_id", "1")),
        "GITHUB_ENV": str(env_file),
        "RUNNER_TEMP": str(temp),
    })
    base_env.update(env or {})

    steps = []
    failed = False
    summary = ""
    for index, step in enumerate(meta["runs"]["steps"]):
        context["__failed__"] = failed
        step_id = step.get("id", "__step%d" % index)
        if not condition(step.get("if"), context):
            context["steps"][step_id] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}
            continue
        assert "run" in step, "only run: steps are emulated (%s)" % step_id
        assert step.get("shell") == "bash", "the action's steps say shell: bash"
        step_env = dict(base_env)
        step_env.update(read_file_commands(env_file))
        for name, value in (step.get("env") or {}).items():
            step_env[name] = substitute(str(value), context)
        output = temp / ("output-%d.txt" % index)
        step_summary = temp / ("summary-%d.md" % index)
        output.write_text("")
        step_summary.write_text("")
        step_env["GITHUB_OUTPUT"] = str(output)
        step_env["GITHUB_STEP_SUMMARY"] = str(step_summary)
        script = temp / ("step-%d.sh" % index)
        script.write_text(substitute(step["run"], context))
        cwd = workspace / substitute(step.get("working-directory", "."), context)
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=str(cwd),
                              env=step_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
        log = proc.stdout.decode("utf-8", "replace")
        outcome = "success" if proc.returncode == 0 else "failure"
        text = step_summary.read_text()
        if len(text.encode("utf-8")) > SUMMARY_LIMIT:
            log += "##[error]$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of 1024k\n"
        else:
            summary += text
        outputs = read_file_commands(output)
        context["steps"][step_id] = {"outputs": outputs, "outcome": outcome, "conclusion": outcome}
        steps.append(StepResult(step_id, outcome, log, outputs, text))
        failed = failed or proc.returncode != 0
    context["__failed__"] = failed
    action_outputs = {name: substitute(str(spec.get("value", "")), context)
                      for name, spec in (meta.get("outputs") or {}).items()}
    return ActionRun("failure" if failed else "success", action_outputs, steps, summary)


def workflow_step(path, name):
    """A step of a workflow file, by its name."""
    doc = yaml.safe_load(Path(path).read_text())
    for job in doc["jobs"].values():
        for step in job.get("steps", []):
            if step.get("name") == name:
                return step
    raise KeyError("no step %r in %s" % (name, path))


def step_inputs(step, context):
    """A workflow step's `with:`, its expressions substituted."""
    return {k: substitute(to_text(v), context) for k, v in (step.get("with") or {}).items()}
