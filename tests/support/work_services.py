"""Local fakes of WeCom (企业微信) and DingTalk (钉钉): real HTTP servers on 127.0.0.1 at a random port,
so the code under test makes its real httpx calls.

Each fake issues access tokens for the credentials it was given (``gettoken``), accepts application
messages / work notifications with a valid token and records them, and can be told to

- ``fail(n)``: answer the next n sends with a failure (``"errcode"``: the service's "system busy";
  ``"http"``: HTTP 502),
- ``expire_token()``: refuse the current token as expired (WeCom 42001; DingTalk errcode 88 with
  sub_code 42001) until a new one is fetched,
- ``reject(user_id)``: not know a user (WeCom 81013; DingTalk 33012).

Everything it received is kept in ``raw`` (method, path with query, body), to check what left Tanxin.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

WECOM = "wecom"
DINGTALK = "dingtalk"

PATHS = {
    WECOM: {"token": "/cgi-bin/gettoken", "send": "/cgi-bin/message/send"},
    DINGTALK: {"token": "/gettoken", "send": "/topapi/message/corpconversation/asyncsend_v2"},
}
CREDENTIAL_PARAMS = {WECOM: ("corpid", "corpsecret"), DINGTALK: ("appkey", "appsecret")}


@dataclass
class FakeWorkService:
    kind: str  # WECOM or DINGTALK
    client_id: str  # corpid / appkey
    secret: str  # corpsecret / appsecret
    agent_id: int
    url: str = ""
    tokens: list[str] = field(default_factory=list)  # every token issued, in order
    messages: list[dict] = field(default_factory=list)  # accepted send bodies
    raw: list[tuple[str, str, bytes]] = field(default_factory=list)
    failures_left: int = 0
    failure_mode: str = "errcode"
    expired: set[str] = field(default_factory=set)
    rejected_users: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- Controls ---------------------------------------------------------------------------------

    def fail(self, times: int, mode: str = "errcode") -> None:
        with self.lock:
            self.failures_left, self.failure_mode = times, mode

    def expire_token(self) -> None:
        with self.lock:
            self.expired.update(self.tokens)

    def reject(self, user_id: str) -> None:
        with self.lock:
            self.rejected_users.add(user_id)

    @property
    def token_requests(self) -> int:
        return sum(
            1 for method, path, _body in self.raw if method == "GET" and path.startswith(PATHS[self.kind]["token"])
        )

    def received_text(self) -> str:
        """Everything Tanxin sent, as text (URL-decoded query strings and bodies)."""
        parts = []
        for method, path, body in self.raw:
            query = parse_qs(urlsplit(path).query)
            parts.append(f"{method} {urlsplit(path).path} {json.dumps(query, ensure_ascii=False)}")
            parts.append(body.decode("utf-8", "replace"))
            if body:
                parts.append(json.dumps(json.loads(body), ensure_ascii=False))  # \\u escapes decoded
        return "\n".join(parts)

    def texts_to(self, user_id: str) -> list[str]:
        """The markdown of each message accepted for ``user_id``."""
        if self.kind == WECOM:
            return [m["markdown"]["content"] for m in self.messages if m["touser"] == user_id]
        return [m["msg"]["markdown"]["text"] for m in self.messages if m["userid_list"] == user_id]

    # --- The service ------------------------------------------------------------------------------

    def handle(self, method: str, path: str, body: bytes) -> tuple[int, dict]:
        with self.lock:
            self.raw.append((method, path, body))
            parts = urlsplit(path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if method == "GET" and parts.path == PATHS[self.kind]["token"]:
                return self._token(query)
            if method == "POST" and parts.path == PATHS[self.kind]["send"]:
                return self._send(query, body)
            return 404, {"errcode": 404, "errmsg": "not found"}

    def _token(self, query: dict) -> tuple[int, dict]:
        id_param, secret_param = CREDENTIAL_PARAMS[self.kind]
        if query.get(id_param) != self.client_id or query.get(secret_param) != self.secret:
            return 200, {"errcode": 40001 if self.kind == WECOM else 40089, "errmsg": "invalid credential"}
        token = f"{self.kind}-token-{len(self.tokens) + 1}-{secrets.token_hex(4)}"
        self.tokens.append(token)
        return 200, {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}

    def _send(self, query: dict, body: bytes) -> tuple[int, dict]:
        token = query.get("access_token", "")
        if token in self.expired:
            if self.kind == WECOM:
                return 200, {"errcode": 42001, "errmsg": "access_token expired"}
            return 200, {"errcode": 88, "errmsg": "ding talk error", "sub_code": "42001", "sub_msg": "access_token超时"}
        if token not in self.tokens:
            return 200, {"errcode": 40014, "errmsg": "invalid access_token"}
        if self.failures_left:
            self.failures_left -= 1
            if self.failure_mode == "http":
                return 502, {"errcode": -1, "errmsg": "bad gateway"}
            return 200, {"errcode": -1, "errmsg": "system busy"}
        message = json.loads(body)
        if self.kind == WECOM:
            assert message["agentid"] == self.agent_id and message["msgtype"] == "markdown", message
            if message["touser"] in self.rejected_users:
                return 200, {"errcode": 81013, "errmsg": "user & party & tag all invalid"}
            self.messages.append(message)
            return 200, {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": secrets.token_hex(8)}
        assert message["agent_id"] == self.agent_id and message["msg"]["msgtype"] == "markdown", message
        if message["userid_list"] in self.rejected_users:
            return 200, {"errcode": 33012, "errmsg": "无效的USERID"}
        self.messages.append(message)
        return 200, {"errcode": 0, "errmsg": "ok", "task_id": len(self.messages), "request_id": secrets.token_hex(6)}


def _handler(service: FakeWorkService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, data = service.handle(method, self.path, body)
            payload = json.dumps(data, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self):
            self._answer("GET")

        def do_POST(self):
            self._answer("POST")

        def log_message(self, *args):
            pass

    return Handler


@contextmanager
def running(kind: str, *, client_id: str, secret: str, agent_id: int) -> Iterator[FakeWorkService]:
    """Serve a fake on 127.0.0.1 (a free port) for the duration of the block."""
    service = FakeWorkService(kind=kind, client_id=client_id, secret=secret, agent_id=agent_id)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(service))
    service.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
