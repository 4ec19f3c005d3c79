#!/usr/bin/env python3
"""Checks every step of the given workflows that uses the ferry action
(`./.github/actions/ferry` or `OWNER/REPO/.github/actions/ferry@REF`)
against .github/actions/ferry/action.yml: each `with:` key is an input of
the action, every required input is given, and every
`steps.ID.outputs.NAME` of such a step names an output of the action.
actionlint cannot see a local or unpublished action's metadata; this can.

  tests/check-action-uses.py WORKFLOW.yml...

Needs PyYAML (Debian: python3-yaml, which yamllint brings).
"""

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
USES = re.compile(r"^(\./|[^/]+/[^/]+/)\.github/actions/ferry(@.+)?$")


def main(paths):
    action = yaml.safe_load((ROOT / ".github/actions/ferry/action.yml").read_text())
    inputs = action["inputs"]
    required = {name for name, spec in inputs.items() if spec.get("required")}
    outputs = set(action["outputs"])
    problems = []
    for path in paths:
        text = Path(path).read_text()
        workflow = yaml.safe_load(text)
        for job_name, job in (workflow.get("jobs") or {}).items():
            ids = set()
            for n, step in enumerate(job.get("steps") or [], 1):
                if not USES.match(str(step.get("uses", ""))):
                    continue
                where = "%s: job %s, step %d (%s)" % (path, job_name, n, step.get("name", step["uses"]))
                given = set((step.get("with") or {}).keys())
                for key in sorted(given - set(inputs)):
                    problems.append("%s: '%s' is not an input of the ferry action" % (where, key))
                for key in sorted(required - given):
                    problems.append("%s: the required input '%s' is missing" % (where, key))
                if "id" in step:
                    ids.add(step["id"])
            job_text = yaml.safe_dump(job)
            for step_id, output in re.findall(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)", job_text):
                if step_id in ids and output not in outputs:
                    problems.append("%s: job %s: '%s' is not an output of the ferry action" % (path, job_name, output))
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
