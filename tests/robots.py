"""A local stand-in for the 企业微信 and 钉钉 group robots: a threading HTTP server on 127.0.0.1 (a free port).

It checks what the real APIs check and answers like them:
- `/wecom/<mode>?key=K`: JSON with msgtype image (`image.base64`, `image.md5` = md5 of the decoded bytes, a
  PNG of at most 2 MB) or markdown (`markdown.content`, at most 4096 bytes).
- `/dingtalk/<mode>?access_token=T[&timestamp=..&sign=..]`: JSON with msgtype markdown (`title`, `text`);
  when the robot has a secret (`secrets[T]`), the signature must be base64(HMAC-SHA256(secret,
  "timestamp\\nsecret")) and the timestamp within an hour.
A request that breaks a rule gets errcode 40000 / 310000 and `errmsg` saying why (and is recorded with
`problem`). `<mode>`: `ok`; `errcode` (errcode 93000 for every request); `image-errcode` (only the image
refused); `http500`; `slow` (answers after `slow_s`). Nothing leaves the machine.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    kind: str
    mode: str
    query: dict
    body: dict
    problem: str | None = None

    @property
    def msgtype(self) -> str:
        return self.body.get("msgtype", "")


@dataclass
class FakeRobots:
    secrets: dict[str, str] = field(default_factory=dict)  # dingtalk access_token → secret
    slow_s: float = 3.0
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def wecom(self, mode: str = "ok", key: str = "wecom-key-0001") -> str:
        return f"{self.url}/wecom/{mode}?key={key}"

    def dingtalk(self, mode: str = "ok", token: str = "ding-token-0001") -> str:
        return f"{self.url}/dingtalk/{mode}?access_token={token}"

    def check(self, kind: str, query: dict, body: dict) -> str | None:
        if kind == "wecom":
            if body.get("msgtype") == "image":
                img = body.get("image") or {}
                try:
                    raw = base64.b64decode(img.get("base64", ""), validate=True)
                except ValueError:
                    return "base64 invalid"
                if hashlib.md5(raw).hexdigest() != img.get("md5"):
                    return "md5 does not match"
                if len(raw) > 2 * 1024 * 1024:
                    return "image over 2 MB"
                if not raw.startswith(b"\x89PNG\r\n\x1a\n"):
                    return "not a PNG"
                return None
            if body.get("msgtype") == "markdown":
                content = (body.get("markdown") or {}).get("content")
                if not isinstance(content, str) or not content:
                    return "markdown.content missing"
                if len(content.encode("utf-8")) > 4096:
                    return "markdown over 4096 bytes"
                return None
            return f"unexpected msgtype {body.get('msgtype')!r}"
        md = body.get("markdown") or {}
        if body.get("msgtype") != "markdown" or not md.get("title") or not md.get("text"):
            return "markdown.title/text missing"
        secret = self.secrets.get(query.get("access_token", ""))
        if secret is not None:
            ts, sign = query.get("timestamp"), query.get("sign")
            if not ts or not sign:
                return "sign missing"
            if abs(int(ts) - time.time() * 1000) > 3600 * 1000:
                return "timestamp too far from now"
            want = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest())
            if sign != want.decode():  # parse_qs has already url-decoded it once
                return "sign not match"
        return None

    def of(self, kind: str) -> list[Received]:
        return [r for r in self.received if r.kind == kind]


def _handler(robots: FakeRobots):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            u = urllib.parse.urlsplit(self.path)
            _, kind, mode = (u.path.split("/") + ["", ""])[:3]
            query = {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            problem = robots.check(kind, query, body)
            robots.received.append(Received(kind, mode, query, body, problem))
            if mode == "slow":
                time.sleep(robots.slow_s)
            if mode == "http500":
                self.send_response(500)
                self.end_headers()
                self.wfile.write(b"internal error")
                return
            if problem:
                answer = {"errcode": 310000 if "sign" in problem else 40000, "errmsg": problem}
            elif mode == "errcode" or (mode == "image-errcode" and body.get("msgtype") == "image"):
                answer = {"errcode": 93000, "errmsg": "invalid webhook url"}
            else:
                answer = {"errcode": 0, "errmsg": "ok"}
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

        def log_message(self, *args):  # quiet
            pass

    return Handler


@contextlib.contextmanager
def fake_robots(secrets: dict[str, str] | None = None):
    robots = FakeRobots(secrets=dict(secrets or {}))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(robots))
    server.daemon_threads = True
    robots.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield robots
    finally:
        server.shutdown()
        server.server_close()
