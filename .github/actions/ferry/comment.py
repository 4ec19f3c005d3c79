#!/usr/bin/env python3
"""The ferry action's pull-request comment: composed from what `ferry
reconcile --format markdown` printed, and kept as ONE comment per target
environment, found again by a hidden marker and edited in place.

  comment.py compose --key prod --title TEXT --markdown FILE --stderr FILE
                     --exit-code N --mode plan|apply [--limit BYTES]
  comment.py post --key prod --body FILE [--pull-request N]

`compose` prints the comment body: the marker, ferry's markdown (its summary
and errors first, the diffs in a collapsed <details>), ferry's standard
error when it said anything (in view, before the collapsed section), and a
footer naming the commit and the workflow run. The body never exceeds
--limit bytes of UTF-8 (65,536 by default, GitHub's limit for a comment,
which counts characters: bytes are never fewer): a longer one is cut at a
line, with open code fences and <details> closed and a note added.

`post` creates the comment, or edits the one that carries the marker, on the
pull request named by --pull-request or by the event ($GITHUB_EVENT_PATH).
It reads GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_API_URL, prints the
comment's address, and only warns when the token may not comment (a pull
request from a fork gets a read-only token).

Only the Python standard library is used.
"""

import argparse
import json
import os
import re
import sys
import time

COMMENT_LIMIT = 65536
STDERR_LIMIT = 6000
CUT_NOTE = (
    "\n_The rest was cut to fit GitHub's limit of 65,536 characters for a comment; "
    "the job's step summary and log have the whole plan._\n"
)


def marker(key):
    """The hidden line that finds a comment again: one per target environment."""
    safe = re.sub(r"[^A-Za-z0-9._/@:+-]", "-", key.strip()) or "default"
    return "<!-- ferry-plan: %s -->" % safe


def utf8_len(text):
    return len(text.encode("utf-8"))


def _fence_of(line):
    """The backtick run that opens or closes a code fence on this line, if any."""
    m = re.match(r"^ {0,3}(`{3,})", line)
    return m.group(1) if m else None


def open_constructs(text):
    """(open fence or None, number of <details> not closed) at the end of text."""
    fence = None
    details = 0
    for line in text.split("\n"):
        run = _fence_of(line)
        if fence is None:
            if run is not None:
                fence = run
                continue
            details += len(re.findall(r"<details\b", line, re.IGNORECASE))
            details -= len(re.findall(r"</details\s*>", line, re.IGNORECASE))
            details = max(details, 0)
        elif run is not None and len(run) >= len(fence) and line.strip() == run:
            fence = None
    return fence, details


def fit(text, limit, note=CUT_NOTE):
    """text if it fits in limit bytes, else its longest prefix ending at a line
    break that still fits once open fences and <details> are closed and the
    note is added."""
    if utf8_len(text) <= limit:
        return text
    budget = limit - utf8_len(note)
    cut = text.encode("utf-8")[: max(budget, 0)].decode("utf-8", "ignore")
    while True:
        cut = cut[: cut.rfind("\n") + 1] if "\n" in cut else ""
        fence, details = open_constructs(cut)
        closing = ((fence + "\n") if fence else "") + "</details>\n" * details
        if utf8_len(cut) + utf8_len(closing) <= budget or not cut:
            return cut + closing + note
        cut = cut[:-1]  # drop the last line break and so the last line


def code_block(text):
    """text in a fence longer than any backtick run inside it."""
    longest = max((len(r) for r in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return "%s\n%s\n%s\n" % (fence, text.rstrip("\n"), fence)


def stderr_section(stderr, exit_code):
    stderr = stderr.strip("\n")
    if not stderr:
        return ""
    if len(stderr) > STDERR_LIMIT:
        kept = stderr[:STDERR_LIMIT]
        kept = kept[: kept.rfind("\n")] if "\n" in kept else kept
        stderr = kept + "\n... (%d more characters in the job's log)" % (len(stderr) - len(kept))
    return "**ferry exited %d and said:**\n\n%s\n" % (exit_code, code_block(stderr))


def footer(mode, env=None, event=None):
    """One small line: what ran, on which commit, and a link to the run."""
    env = os.environ if env is None else env
    sha = ((event or {}).get("pull_request") or {}).get("head", {}).get("sha") or env.get("GITHUB_SHA", "")
    parts = ["ferry " + ("plan (dry run)" if mode == "plan" else "apply")]
    if sha:
        parts.append("commit `%s`" % sha[:12])
    server, repo, run = env.get("GITHUB_SERVER_URL"), env.get("GITHUB_REPOSITORY"), env.get("GITHUB_RUN_ID")
    if server and repo and run:
        parts.append("[workflow run](%s/%s/actions/runs/%s)" % (server, repo, run))
    return "<sub>%s</sub>\n" % " · ".join(parts)


def compose(key, title, markdown, stderr, exit_code, mode, limit=COMMENT_LIMIT, env=None, event=None):
    """The whole comment body, at most limit bytes, starting with the marker."""
    head = marker(key) + "\n"
    tail = "\n" + footer(mode, env, event)
    markdown = markdown.strip("\n")
    said = stderr_section(stderr, exit_code)
    if not markdown:
        verdict = "ferry could not make a plan" if exit_code not in (0, 2) else "ferry printed no plan"
        markdown = "### %s\n\n**%s (exit %d).**" % (title, verdict, exit_code)
    # What ferry said stays in view: before the collapsed diffs, if any.
    at = markdown.find("<details")
    if said and at >= 0:
        body = markdown[:at] + said + "\n" + markdown[at:] + "\n"
    else:
        body = markdown + "\n" + (("\n" + said) if said else "")
    return head + fit(body, limit - utf8_len(head) - utf8_len(tail)) + tail


# --------------------------------------------------------------------------
# GitHub


class GitHubError(Exception):
    def __init__(self, status, message):
        super().__init__("%s: %s" % (status, message))
        self.status = status


class GitHub:
    """A minimal REST client: request(method, path, body) -> decoded JSON."""

    def __init__(self, api_url, token, opener=None, retries=3, pause=2.0):
        import urllib.request  # only when posting: it takes a while to load

        self.api_url = api_url.rstrip("/")
        self.token = token
        self.opener = opener or urllib.request.urlopen
        self.retries = retries
        self.pause = pause

    def request(self, method, path, body=None):
        import urllib.error
        import urllib.request

        data = None if body is None else json.dumps(body).encode("utf-8")
        for attempt in range(1, self.retries + 1):
            req = urllib.request.Request(self.api_url + path, data=data, method=method)
            req.add_header("Accept", "application/vnd.github+json")
            req.add_header("X-GitHub-Api-Version", "2022-11-28")
            req.add_header("User-Agent", "ferry-action")
            if self.token:
                req.add_header("Authorization", "Bearer " + self.token)
            if data is not None:
                req.add_header("Content-Type", "application/json")
            try:
                with self.opener(req, timeout=30) as resp:
                    text = resp.read().decode("utf-8")
                    return json.loads(text) if text else None
            except urllib.error.HTTPError as e:
                detail = e.read().decode("utf-8", "replace")[:500]
                if e.code < 500 or attempt == self.retries:
                    raise GitHubError(e.code, "%s %s: %s" % (method, path, detail)) from None
            except urllib.error.URLError as e:
                if attempt == self.retries:
                    raise GitHubError(0, "%s %s: %s" % (method, path, e.reason)) from None
            time.sleep(self.pause * attempt)
        raise AssertionError("unreachable")


def list_comments(api, repo, number):
    comments, page = [], 1
    while True:
        batch = api.request("GET", "/repos/%s/issues/%d/comments?per_page=100&page=%d" % (repo, number, page))
        comments += batch or []
        if not batch or len(batch) < 100:
            return comments
        page += 1


def upsert_comment(api, repo, number, key, body):
    """Creates the comment for key, or edits the one that has its marker;
    removes later copies by the same author (two runs that raced). Returns
    (what was done: created|updated|unchanged, the comment's address)."""
    mark = marker(key)
    mine = [c for c in list_comments(api, repo, number) if (c.get("body") or "").lstrip().startswith(mark)]
    if not mine:
        made = api.request("POST", "/repos/%s/issues/%d/comments" % (repo, number), {"body": body})
        return "created", made.get("html_url", "")
    first, rest = mine[0], mine[1:]
    author = (first.get("user") or {}).get("login")
    for extra in rest:
        if (extra.get("user") or {}).get("login") == author:
            api.request("DELETE", "/repos/%s/issues/comments/%d" % (repo, extra["id"]))
    if first.get("body") == body:
        return "unchanged", first.get("html_url", "")
    edited = api.request("PATCH", "/repos/%s/issues/comments/%d" % (repo, first["id"]), {"body": body})
    return "updated", (edited or first).get("html_url", "")


def pull_request_number(given, event):
    """The pull request to comment on: --pull-request, else the event's."""
    if given:
        return int(given)
    if (event.get("pull_request") or {}).get("number"):
        return int(event["pull_request"]["number"])
    issue = event.get("issue") or {}
    if "pull_request" in issue and issue.get("number"):
        return int(issue["number"])
    return None


def read_event(env):
    path = env.get("GITHUB_EVENT_PATH")
    if not path or not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# --------------------------------------------------------------------------
# Command line


def read_text(path):
    if not path or not os.path.exists(path):
        return ""
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def main(argv=None, env=None, api=None, out=sys.stdout):
    env = os.environ if env is None else env
    parser = argparse.ArgumentParser(prog="comment.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("compose", help="print the comment body")
    c.add_argument("--key", required=True)
    c.add_argument("--title", default="ferry")
    c.add_argument("--markdown", help="file holding ferry's standard output")
    c.add_argument("--stderr", help="file holding ferry's standard error")
    c.add_argument("--exit-code", type=int, required=True)
    c.add_argument("--mode", choices=["plan", "apply"], default="plan")
    c.add_argument("--limit", type=int, default=COMMENT_LIMIT)
    p = sub.add_parser("post", help="create or update the pull request's comment")
    p.add_argument("--key", required=True)
    p.add_argument("--body", required=True)
    p.add_argument("--pull-request", default="")
    args = parser.parse_args(argv)

    event = read_event(env)
    if args.command == "compose":
        out.write(
            compose(args.key, args.title, read_text(args.markdown), read_text(args.stderr), args.exit_code,
                    args.mode, args.limit, env, event)
        )
        return 0

    number = pull_request_number(args.pull_request, event)
    if number is None:
        print("No pull request to comment on: comment skipped.", file=sys.stderr)
        return 0
    repo = env.get("GITHUB_REPOSITORY", "")
    if not repo:
        print("::error::GITHUB_REPOSITORY is not set: cannot comment", file=sys.stderr)
        return 1
    body = fit(read_text(args.body), COMMENT_LIMIT)
    api = api or GitHub(env.get("GITHUB_API_URL", "https://api.github.com"), env.get("GITHUB_TOKEN", ""))
    try:
        done, url = upsert_comment(api, repo, number, args.key, body)
    except GitHubError as e:
        if e.status in (401, 403, 404):
            print(
                "::warning::ferry could not comment on pull request #%d (%s). The token needs "
                "'pull-requests: write'; a pull request from a fork only gets a read-only token." % (number, e),
                file=sys.stderr,
            )
            return 0
        print("::error::ferry could not comment on pull request #%d: %s" % (number, e), file=sys.stderr)
        return 1
    print("Comment %s on #%d: %s" % (done, number, url), file=sys.stderr)
    out.write(url + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
