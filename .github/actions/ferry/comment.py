#!/usr/bin/env python3
"""The ferry action's pull-request comment and its other uses of GitHub's
REST API, kept apart from the plan itself: run.sh sets the step's outputs
and summary from ferry's own files first, and only then calls this.

  comment.py facts --plan PLAN.json
  comment.py compose --key prod --title TEXT --markdown FILE --stderr FILE --exit-code N
                     --mode plan|apply [--plan PLAN.json] [--written TEXT]
  comment.py post --key prod --body FILE [--pull-request N]
  comment.py reviewed-digest --key prod [--pull-request N]

`facts` prints the plan's status, counts and digest as `name=value` lines.

`compose` prints the comment body: the marker, ferry's markdown placed as
ferry made it (ferry fits it to a comment, naming every changed resource),
what ferry said on standard error, and a footer naming the commit planned
and the workflow run. Should the whole not fit GitHub's 65,536 characters,
the parts the action adds go first; a body still too long is replaced by
the plan's summary line and the list of its changes, from the JSON plan,
with a note saying where the whole plan is.

`post` creates the comment, or edits the one that is this action's: it
carries the marker AND its author is the token's own account (GET /user,
or `github-actions[bot]` for the workflow's GITHUB_TOKEN, which may not
read /user; the `comment-author` input names another). A comment by anyone
else is never edited, deleted or trusted. A refusal is a warning only for
a pull request from a fork (whose token is read-only); anything else fails,
after the action's old comment, if any, is edited to say that it is
outdated, so that an old plan never looks current.

`reviewed-digest` prints the digest of the plan last commented on the pull
request (the event's, the one given, or the one the pushed commit was merged
from) by this action's account, for `ferry reconcile --expect-digest`, and
that pull request's number.

Reads GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_EVENT_PATH,
GITHUB_SHA, GITHUB_SERVER_URL, GITHUB_RUN_ID and FERRY_COMMENT_AUTHOR.
Only the Python standard library is used.
"""

import argparse
import json
import os
import re
import sys
import time

COMMENT_LIMIT = 65536  # characters: GitHub's limit for a comment body
STDERR_LIMIT = 6000
ACTIONS_BOT = "github-actions[bot]"
DIGEST_LINE = re.compile(r"^<!-- ferry-plan-digest: (sha256:[0-9a-f]{64}) -->$")


def marker(key):
    """The hidden first line that finds a comment again: one per target."""
    safe = re.sub(r"[^A-Za-z0-9._/@:+-]", "-", key.strip()) or "default"
    return "<!-- ferry-plan: %s -->" % safe


def command_text(text):
    """text as the message of a workflow command: nothing in it can end the
    command or start another (the runner's escapes for %, CR and LF)."""
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def warn(text):
    print("::warning title=ferry::" + command_text(text), file=sys.stderr)


def fail_message(text):
    print("::error title=ferry::" + command_text(text), file=sys.stderr)


def code_block(text):
    """text in a fence longer than any backtick run inside it."""
    longest = max((len(r) for r in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return "%s\n%s\n%s\n" % (fence, text.rstrip("\n"), fence)


def read_text(path):
    if not path or not os.path.exists(path):
        return ""
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def read_plan(path):
    text = read_text(path)
    try:
        plan = json.loads(text) if text.strip() else None
    except ValueError:
        return None
    return plan if isinstance(plan, dict) else None


# --------------------------------------------------------------------------
# What the plan says


def facts(plan):
    """The plan's status, counts and digest, for the step's outputs."""
    plan = plan or {}
    changes = plan.get("changes") or []
    written = plan.get("written") or {}
    return {
        "plan-status": plan.get("status", ""),
        "creates": str(sum(1 for c in changes if c.get("action") == "create")),
        "updates": str(sum(1 for c in changes if c.get("action") == "update")),
        "errors": str(len(plan.get("errors") or [])),
        "warnings": str(len(plan.get("warnings") or [])),
        "digest": plan.get("digest", ""),
        "commit": written.get("commit", ""),
        "pushed": "true" if written.get("pushed") else "false",
    }


def stderr_section(stderr, exit_code):
    stderr = stderr.strip("\n")
    if not stderr:
        return ""
    if len(stderr) > STDERR_LIMIT:
        kept = stderr[:STDERR_LIMIT]
        kept = kept[: kept.rfind("\n")] if "\n" in kept else kept
        stderr = kept + "\n... (%d more characters in the job's log)" % (len(stderr) - len(kept))
    return "**ferry exited %d and said:**\n\n%s" % (exit_code, code_block(stderr))


def footer(mode, env):
    """One small line: what ran, on which commit, and a link to the run."""
    parts = ["ferry " + ("plan (dry run)" if mode == "plan" else "apply")]
    sha = env.get("GITHUB_SHA", "")
    if re.fullmatch(r"[0-9a-f]{7,64}", sha):
        parts.append("planned on commit `%s`" % sha[:12])
    server, repo, run = env.get("GITHUB_SERVER_URL"), env.get("GITHUB_REPOSITORY"), env.get("GITHUB_RUN_ID")
    if server and repo and run and re.fullmatch(r"[0-9]+", run):
        parts.append("[workflow run](%s/%s/actions/runs/%s)" % (server, repo, run))
    return "<sub>%s</sub>\n" % " · ".join(parts)


def change_list(plan):
    """The plan's summary and every change it makes, one line each, from
    the JSON plan: the comment's last resort when ferry's markdown and the
    action's lines cannot fit together."""
    lines = []
    for c in (plan or {}).get("changes") or []:
        lines.append("- %s `%s`%s" % (c.get("action", "?"), c.get("address", "?"),
                                      " as a draft" if c.get("mode") == "draft" else ""))
    return lines


def compose(key, title, markdown, stderr, exit_code, mode, limit=COMMENT_LIMIT, env=None, event=None, plan=None,
            written=""):
    """The whole comment body, at most limit characters, starting with the
    marker and, when there is a plan, the line with its digest."""
    env = os.environ if env is None else env
    head = marker(key) + "\n"
    digest = (plan or {}).get("digest", "")
    markdown = markdown.strip("\n")
    if digest and not markdown.startswith("<!-- ferry-plan-digest: "):
        head += "<!-- ferry-plan-digest: %s -->\n" % digest
    if not markdown:
        verdict = "ferry could not make a plan" if exit_code not in (0, 2) else "ferry printed no plan"
        markdown = "### %s\n\n**%s (exit %d).**" % (title, verdict, exit_code)
    said = stderr_section(stderr, exit_code)
    done = ("\n**%s**\n" % written) if written else ""
    # Every changed resource is named: those ferry's markdown left out (an
    # older ferry's cut) are listed after it.
    missing = [line for line, c in zip(change_list(plan), (plan or {}).get("changes") or [])
               if c.get("address", "") not in markdown]
    if missing:
        markdown += ("\n\n**Also changed** (%d, diffs not shown here; the step summary has them):\n\n%s"
                     % (len(missing), "\n".join(missing)))
    tail = "\n" + footer(mode, env)
    # What ferry said stays in view: before the collapsed diffs, if any.
    at = markdown.find("<details")
    if said and at >= 0:
        body = markdown[:at] + said + "\n" + markdown[at:] + "\n"
    else:
        body = markdown + "\n" + (("\n" + said) if said else "")
    for candidate in (head + body + done + tail, head + markdown + "\n" + done + tail, head + markdown + "\n"):
        if len(candidate) <= limit:
            return candidate
    # ferry's markdown alone is at the limit: the plan's list of changes,
    # from its JSON, with a note that says truthfully where the rest is.
    summary = next((line for line in markdown.split("\n") if line.startswith("**")), "")
    note = ("\n_The plan is too long for a comment: the step summary of the workflow run has it whole "
            "(up to 1 MiB), and the step's `plan-json` output names the JSON plan._\n" + footer(mode, env))
    lines = change_list(plan)
    out = head + summary + "\n\n"
    room = limit - len(out) - len(note) - len(done) - 80
    listed = []
    for line in lines:
        if sum(len(x) + 1 for x in listed) + len(line) + 1 > room:
            break
        listed.append(line)
    out += "\n".join(listed) + "\n"
    if len(listed) < len(lines):
        out += "- _and %d more changes, listed in the step summary_\n" % (len(lines) - len(listed))
    return out + done + note


# --------------------------------------------------------------------------
# GitHub


class GitHubError(Exception):
    def __init__(self, status, message):
        super().__init__("%s: %s" % (status, message))
        self.status = status


class GitHub:
    """A minimal REST client: request(method, path, body) -> decoded JSON,
    retrying server errors and unreachable servers a few times."""

    def __init__(self, api_url, token, opener=None, retries=3, pause=None):
        import urllib.request

        self.api_url = api_url.rstrip("/")
        self.token = token
        self.opener = opener or urllib.request.urlopen
        self.retries = retries
        self.pause = float(os.environ.get("FERRY_ACTION_API_PAUSE", "2")) if pause is None else pause

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
                detail = e.read().decode("utf-8", "replace")[:300]
                if e.code < 500 or attempt == self.retries:
                    raise GitHubError(e.code, "%s %s: %s" % (method, path.split("?")[0], detail)) from None
            except (urllib.error.URLError, OSError) as e:
                if attempt == self.retries:
                    raise GitHubError(0, "%s %s: %s" % (method, path.split("?")[0],
                                                         getattr(e, "reason", e))) from None
            time.sleep(self.pause * attempt)
        raise AssertionError("unreachable")


def identity(api, env):
    """The login comments by this action are written as."""
    given = env.get("FERRY_COMMENT_AUTHOR", "").strip()
    if given:
        return given
    try:
        user = api.request("GET", "/user")
        if isinstance(user, dict) and user.get("login"):
            return user["login"]
    except GitHubError as e:
        # The workflow's GITHUB_TOKEN is an installation's token: /user
        # refuses it, and what it writes is github-actions[bot]'s.
        if e.status not in (401, 403):
            raise
    return ACTIONS_BOT


def list_comments(api, repo, number):
    comments, page = [], 1
    while True:
        batch = api.request("GET", "/repos/%s/issues/%d/comments?per_page=100&page=%d" % (repo, number, page))
        if not isinstance(batch, list):
            raise GitHubError(0, "the list of comments is not a list")
        comments += batch
        if len(batch) < 100:
            return comments
        page += 1


def own_comments(comments, key, login):
    """The comments that are this action's for key: the marker first AND
    written by this action's account. Anyone else's are none of ours."""
    mark = marker(key)
    return [c for c in comments
            if (c.get("body") or "").startswith(mark + "\n")
            and ((c.get("user") or {}).get("login") or "").lower() == login.lower()]


def upsert_comment(api, repo, number, key, body, login=ACTIONS_BOT):
    """Creates the comment for key, or edits this action's; removes later
    copies of its own (two runs that raced). Returns (what was done, its
    address). A failed edit's error names the comment (comment_id)."""
    mine = own_comments(list_comments(api, repo, number), key, login)
    if not mine:
        made = api.request("POST", "/repos/%s/issues/%d/comments" % (repo, number), {"body": body})
        return "created", (made or {}).get("html_url", "")
    first, rest = mine[0], mine[1:]
    for extra in rest:
        api.request("DELETE", "/repos/%s/issues/comments/%d" % (repo, extra["id"]))
    if first.get("body") == body:
        return "unchanged", first.get("html_url", "")
    try:
        edited = api.request("PATCH", "/repos/%s/issues/comments/%d" % (repo, first["id"]), {"body": body})
    except GitHubError as e:
        e.comment_id = first["id"]
        raise
    return "updated", (edited or first).get("html_url", "")


def outdated_body(key, reason, env):
    return ("%s\n**This plan is outdated.** A later run of the workflow could not update this comment (%s); "
            "see the workflow run for the current plan.\n\n%s" % (marker(key), reason, footer("plan", env)))


def read_event(env):
    path = env.get("GITHUB_EVENT_PATH")
    if not path or not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        event = json.load(f)
    return event if isinstance(event, dict) else {}


def from_fork(event):
    pr = event.get("pull_request") or {}
    head = ((pr.get("head") or {}).get("repo") or {})
    base = ((pr.get("base") or {}).get("repo") or {})
    return bool(head.get("fork")) or (bool(head.get("full_name")) and head.get("full_name") != base.get("full_name"))


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


def merged_pull_request(api, repo, sha):
    """The pull request whose merge made commit sha (a push to main)."""
    pulls = api.request("GET", "/repos/%s/commits/%s/pulls" % (repo, sha)) or []
    for pr in pulls:
        if pr.get("merge_commit_sha") == sha or pr.get("merged_at"):
            return int(pr["number"])
    return None


# --------------------------------------------------------------------------
# Command line


def main(argv=None, env=None, api=None, out=sys.stdout):
    env = os.environ if env is None else env
    parser = argparse.ArgumentParser(prog="comment.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("facts", help="the plan's outputs")
    f.add_argument("--plan", required=True)
    c = sub.add_parser("compose", help="print the comment body")
    c.add_argument("--key", required=True)
    c.add_argument("--title", default="ferry")
    c.add_argument("--markdown", help="file holding ferry's markdown")
    c.add_argument("--stderr", help="file holding ferry's standard error")
    c.add_argument("--plan", help="the JSON plan")
    c.add_argument("--exit-code", type=int, required=True)
    c.add_argument("--mode", choices=["plan", "apply"], default="plan")
    c.add_argument("--written", default="")
    p = sub.add_parser("post", help="create or update the pull request's comment")
    p.add_argument("--key", required=True)
    p.add_argument("--body", required=True)
    p.add_argument("--pull-request", default="")
    r = sub.add_parser("reviewed-digest", help="the digest of the plan last reviewed on the pull request")
    r.add_argument("--key", required=True)
    r.add_argument("--pull-request", default="")
    args = parser.parse_args(argv)

    if args.command == "facts":
        for name, value in facts(read_plan(args.plan)).items():
            out.write("%s=%s\n" % (name, value))
        return 0
    if args.command == "compose":
        out.write(compose(args.key, args.title, read_text(args.markdown), read_text(args.stderr), args.exit_code,
                          args.mode, env=env, plan=read_plan(args.plan), written=args.written))
        return 0

    event = read_event(env)
    repo = env.get("GITHUB_REPOSITORY", "")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repo):
        fail_message("GITHUB_REPOSITORY is not set: cannot reach the pull request")
        return 1
    api = api or GitHub(env.get("GITHUB_API_URL", "https://api.github.com"), env.get("GITHUB_TOKEN", ""))

    if args.command == "reviewed-digest":
        try:
            number = pull_request_number(args.pull_request, event)
            if number is None and env.get("GITHUB_SHA"):
                number = merged_pull_request(api, repo, env["GITHUB_SHA"])
            if number is None:
                fail_message("no pull request merged commit %s: there is no reviewed plan to apply. Set the "
                             "action's expect-digest input to none to deploy without one." % env.get("GITHUB_SHA"))
                return 1
            login = identity(api, env)
            mine = own_comments(list_comments(api, repo, number), args.key, login)
        except GitHubError as e:
            fail_message("cannot read the plan reviewed on the pull request: %s" % e)
            return 1
        lines = (mine[0].get("body") or "").split("\n") if mine else []
        found = DIGEST_LINE.match(lines[1]) if len(lines) > 1 else None
        if not found:
            fail_message("pull request #%d has no plan for %s commented by %s: nothing was reviewed to apply"
                         % (number, args.key, login))
            return 1
        print("Reviewed plan: %s, on pull request #%d" % (found.group(1), number), file=sys.stderr)
        out.write("%s %d\n" % (found.group(1), number))
        return 0

    number = pull_request_number(args.pull_request, event)
    if number is None:
        print("No pull request to comment on: comment skipped.", file=sys.stderr)
        return 0
    body = read_text(args.body)
    if len(body) > COMMENT_LIMIT:
        # compose never makes one: GitHub would refuse it, and no comment
        # is better than a cut one that looks whole.
        fail_message("the comment is %d characters, over GitHub's %d" % (len(body), COMMENT_LIMIT))
        return 1
    login = None
    try:
        login = identity(api, env)
        done, url = upsert_comment(api, repo, number, args.key, body, login)
    except GitHubError as e:
        if e.status == 403 and from_fork(event):
            warn("ferry could not comment on pull request #%d from a fork: its token is read-only (%s). The plan "
                 "is in the step summary." % (number, e))
            return 0
        # Never leave the previous plan looking current.
        reason = "GitHub answered %s" % (e.status or "nothing")
        cid = getattr(e, "comment_id", None)
        if cid is not None:
            try:
                api.request("PATCH", "/repos/%s/issues/comments/%d" % (repo, cid),
                            {"body": outdated_body(args.key, reason, env)})
                reason += "; the previous plan's comment now says it is outdated"
            except GitHubError:
                reason += "; the previous plan's comment could not be marked outdated either"
        fail_message("ferry could not comment on pull request #%d (%s): %s" % (number, reason, e))
        return 1
    print("Comment %s on #%d: %s" % (done, number, url), file=sys.stderr)
    out.write(url + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
