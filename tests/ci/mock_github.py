"""A mock of the parts of GitHub's REST API the ferry action uses, served
on 127.0.0.1 by a threaded http.server: issue comments (listed a page at a
time with a Link header, created, edited, deleted), /user, and the pull
requests of a commit. Tokens map to logins; the workflow's own token
(`ghs_...`) is refused by /user and writes as github-actions[bot], as on
GitHub. It can seed comments by anyone, fail chosen requests (403, 5xx,
once or always), refuse bodies over 65,536 characters, and be stopped so
that its address is unreachable."""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY_LIMIT = 65536
BOT = "github-actions[bot]"


class MockGitHub:
    def __init__(self, repository="acme/config", tokens=None):
        self.repository = repository
        # token -> login; None: an installation token, refused by /user.
        self.tokens = {"ghs_workflow": None, "ghp_alice": "alice-a"}
        self.tokens.update(tokens or {})
        self.comments = {}  # id -> comment
        self.pulls = {}  # commit sha -> [pull request]
        self.failures = []  # [method, path regex, status, times left (None: always)]
        self.requests = []
        self.next_id = 1000
        self.lock = threading.Lock()
        self.server = None

    # -- seeding -----------------------------------------------------------

    def add_comment(self, number, body, login):
        with self.lock:
            self.next_id += 1
            c = {"id": self.next_id, "number": number, "body": body,
                 "user": {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"},
                 "html_url": "https://github.example/%s/pull/%d#issuecomment-%d" % (self.repository, number,
                                                                                 self.next_id)}
            self.comments[c["id"]] = c
            return dict(c)

    def add_pull(self, sha, number, merged=True):
        self.pulls.setdefault(sha, []).append({"number": number, "merge_commit_sha": sha if merged else None,
                                               "merged_at": "2026-01-01T00:00:00Z" if merged else None})

    def fail(self, method, path, status, times=None):
        """Answers `status` to requests `method` (or "*") whose path matches
        the regex `path`, `times` times (None: always)."""
        self.failures.append([method, re.compile(path), status, times])

    def bodies(self, number):
        return [c["body"] for c in sorted(self.comments.values(), key=lambda c: c["id"]) if c["number"] == number]

    def comments_on(self, number):
        return [dict(c) for c in sorted(self.comments.values(), key=lambda c: c["id"]) if c["number"] == number]

    # -- the API -----------------------------------------------------------

    def handle(self, method, path, token, body):
        self.requests.append((method, path))
        for f in self.failures:
            if f[0] in ("*", method) and f[1].search(path) and (f[3] is None or f[3] > 0):
                if f[3] is not None:
                    f[3] -= 1
                return f[2], {"message": "mock failure %d" % f[2]}
        if token not in self.tokens:
            return 401, {"message": "Bad credentials"}
        login = self.tokens[token]
        route, _, query = path.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        parts = route.strip("/").split("/")
        if parts == ["user"]:
            if login is None:
                return 403, {"message": "Resource not accessible by integration"}
            return 200, {"login": login}
        writer = login or BOT
        if parts[:3] != ["repos"] + self.repository.split("/"):
            return 404, {"message": "Not Found"}
        rest = parts[3:]
        if len(rest) == 3 and rest[0] == "commits" and rest[2] == "pulls" and method == "GET":
            return 200, self.pulls.get(rest[1], [])
        if len(rest) == 3 and rest[0] == "issues" and rest[2] == "comments":
            number = int(rest[1])
            if method == "GET":
                per, page = min(int(params.get("per_page", 30)), 100), int(params.get("page", 1))
                on = self.comments_on(number)
                return 200, on[(page - 1) * per: page * per]
            if method == "POST":
                if len(body["body"]) > BODY_LIMIT:
                    return 422, {"message": "Validation Failed: body is too long (maximum is 65536 characters)"}
                return 201, self.add_comment(number, body["body"], writer)
        if len(rest) == 3 and rest[:2] == ["issues", "comments"]:
            cid = int(rest[2])
            with self.lock:
                c = self.comments.get(cid)
                if c is None:
                    return 404, {"message": "Not Found"}
                if method == "PATCH":
                    if c["user"]["login"] != writer:
                        return 403, {"message": "Must have admin rights to Repository."}
                    if len(body["body"]) > BODY_LIMIT:
                        return 422, {"message": "Validation Failed: body is too long (maximum is 65536 characters)"}
                    c["body"] = body["body"]
                    return 200, dict(c)
                if method == "DELETE":
                    if c["user"]["login"] != writer:
                        return 403, {"message": "Must have admin rights to Repository."}
                    del self.comments[cid]
                    return 204, None
        return 404, {"message": "Not Found: %s %s" % (method, path)}

    # -- serving -----------------------------------------------------------

    def start(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self):
                auth = self.headers.get("Authorization", "")
                token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                status, data = api.handle(self.command, self.path, token, body)
                payload = b"" if data is None else json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                if self.command == "GET" and isinstance(data, list) and "page=" in self.path:
                    page = int(re.search(r"[?&]page=(\d+)", self.path).group(1))
                    self.send_header("Link", '<%s>; rel="next"' % re.sub(r"page=\d+", "page=%d" % (page + 1),
                                                                       self.path))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_DELETE = reply

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        return self.url

    def stop(self):
        """Stops serving: the address is then unreachable (connection refused)."""
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(5)
            self.server = None
