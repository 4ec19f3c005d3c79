"""A stand-in for GitHub's issue-comment API, kept in memory: called
directly (request(), like comment.GitHub) or served over HTTP on the
loopback interface (serve()) for the action's whole main step."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ApiError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class FakeGitHub:
    """Issue comments of one repository, kept in memory, behind the same
    request(method, path, body) the real client has."""

    error = ApiError

    def __init__(self, comments=None, login="github-actions[bot]"):
        self.login = login
        self.comments = {}
        self.calls = []
        self.next_id = 100
        for c in comments or []:
            self.add(c["body"], c.get("user", login), c.get("number", 7))

    def add(self, body, user, number=7):
        self.next_id += 1
        self.comments[self.next_id] = {
            "id": self.next_id,
            "number": number,
            "body": body,
            "user": {"login": user},
            "html_url": "https://github.example/acme/config/pull/%d#issuecomment-%d" % (number, self.next_id),
        }
        return self.comments[self.next_id]

    def request(self, method, path, body=None):
        self.calls.append((method, path))
        parts = path.split("?")[0].strip("/").split("/")
        if parts == ["user"]:
            # The workflow's GITHUB_TOKEN: /user refuses it, as GitHub does.
            raise self.error(403, "Resource not accessible by integration")
        query = dict(kv.split("=") for kv in path.split("?")[1].split("&")) if "?" in path else {}
        if parts[:3] != ["repos", "acme", "config"]:
            raise self.error(404, "no such repository")
        rest = parts[3:]
        if method == "GET" and rest[0] == "issues" and rest[2] == "comments":
            on = [c for c in self.comments.values() if c["number"] == int(rest[1])]
            per, page = int(query.get("per_page", 30)), int(query.get("page", 1))
            return [dict(c) for c in on[(page - 1) * per : page * per]]
        if method == "POST" and rest[0] == "issues" and rest[2] == "comments":
            return dict(self.add(body["body"], self.login, int(rest[1])))
        if rest[:2] == ["issues", "comments"]:
            cid = int(rest[2])
            if method == "PATCH":
                self.comments[cid]["body"] = body["body"]
                return dict(self.comments[cid])
            if method == "DELETE":
                del self.comments[cid]
                return None
        raise AssertionError("unexpected request %s %s" % (method, path))

    def bodies(self, number=7):
        return [c["body"] for c in self.comments.values() if c["number"] == number]




def serve(api, token="test-token"):
    """Serves api (a FakeGitHub) on 127.0.0.1; returns (base URL, stop())."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def handle_one(self):
            if self.headers.get("Authorization") != "Bearer " + token:
                return 401, {"message": "Bad credentials"}
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            try:
                return 200, api.request(self.command, self.path, body)
            except Exception as e:  # the fake's errors, whichever class they are
                if not hasattr(e, "status"):
                    raise
                return e.status, {"message": str(e)}

        def reply(self):
            status, data = self.handle_one()
            payload = b"" if data is None else json.dumps(data).encode()
            self.send_response(204 if data is None and status == 200 else status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_DELETE = reply

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()
        thread.join(5)

    return "http://127.0.0.1:%d" % server.server_address[1], stop
