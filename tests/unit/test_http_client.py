"""The one HTTP client: payload kinds and auth kinds, over a scripted transport (a requests adapter)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import orjson
import pytest
import requests
from requests.adapters import BaseAdapter

from ingestion.http import (
    ApiClient,
    AuthError,
    ExpiringTokenAuth,
    HeaderToken,
    RetryPolicy,
    SourceError,
    StaticToken,
    SystemCredentials,
    TokenAuth,
)
from ingestion.sources import BearerToken, Endpoint, Source, SystemSecret, TokenHeader, TokenLogin

Handler = Callable[[requests.PreparedRequest], tuple[int, dict[str, str], bytes]]


class ScriptedAdapter(BaseAdapter):
    """Answers every request with `handler(request)`; keeps what was sent."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.sent.append(request)
        status, headers, body = self.handler(request)
        response = requests.Response()
        response.status_code = status
        response.headers.update(headers)
        response._content = body
        response._content_consumed = True  # a streamed read takes the body in slices
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        pass

    def paths(self) -> list[str]:
        return [f"{r.method} {r.path_url.split('?')[0]}" for r in self.sent]


def client(
    handler: Handler, auth: Any = None, **kwargs: Any
) -> tuple[ApiClient, ScriptedAdapter, list[float]]:
    adapter = ScriptedAdapter(handler)
    session = requests.Session()
    session.mount("http://", adapter)
    sleeps: list[float] = []
    api = ApiClient(
        "http://source.test",
        auth=auth,
        session=session,
        sleep=sleeps.append,
        policy=RetryPolicy(max_attempts=3, backoff_base=0.01),
        **kwargs,
    )
    return api, adapter, sleeps


XML = "<?xml version='1.0' encoding='utf-8'?><VanBan><TrichYeu>Hồ sơ đến</TrichYeu></VanBan>".encode()


def test_get_text_decodes_with_the_declared_charset_or_utf8() -> None:
    answers = iter(
        [
            (200, {"Content-Type": "text/csv; charset=windows-1258"}, "Đà".encode("cp1258")),
            (200, {"Content-Type": "application/xml"}, XML),
        ]
    )
    api, _, _ = client(lambda request: next(answers))
    assert api.get_text("/a.csv") == "Đà"
    assert api.get_text("/b.xml").endswith("<TrichYeu>Hồ sơ đến</TrichYeu></VanBan>")


def test_get_xml_parses_and_refuses_what_is_not_xml() -> None:
    answers = iter([(200, {}, XML), (200, {}, b"<VanBan><unclosed></VanBan>")])
    api, adapter, _ = client(lambda request: next(answers))
    assert api.get_xml("/vanban").find("TrichYeu").text == "Hồ sơ đến"
    assert adapter.sent[0].headers["Accept"] == "application/xml, text/xml"
    with pytest.raises(SourceError, match="not XML"):
        api.get_xml("/vanban")


def test_get_bytes_returns_the_body_as_sent_after_retries_and_retry_after() -> None:
    pdf = b"%PDF-1.7\x00\xff\xfe binary"
    answers = iter([(503, {}, b""), (429, {"Retry-After": "7"}, b""), (200, {}, pdf)])
    api, adapter, sleeps = client(lambda request: next(answers))
    assert api.get_bytes("/tep/1") == pdf
    assert len(adapter.sent) == 3
    assert sleeps[1] == 7.0  # Retry-After honoured; the first wait is the jittered backoff
    assert 0 <= sleeps[0] <= 0.01


def test_get_bytes_gives_up_after_max_attempts() -> None:
    api, adapter, _ = client(lambda request: (502, {}, b""))
    with pytest.raises(SourceError, match="gave up after 3 attempts"):
        api.get_bytes("/tep/1")
    assert len(adapter.sent) == 3


def _token_server(tokens: list[str], valid: set[str], lifetime: int | None = None) -> Handler:
    """Logs in with the next token of `tokens`; other calls succeed only with a token in `valid`."""

    def handle(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        if request.path_url == "/token":
            answer: dict[str, Any] = {"access_token": tokens.pop(0)}
            if lifetime is not None:
                answer["expires_in"] = lifetime
            return 200, {}, orjson.dumps(answer)
        token = (request.headers.get("Authorization") or "").removeprefix("Bearer ")
        if token not in valid:
            return 401, {}, b"expired"
        return 200, {"Content-Type": "text/plain; charset=utf-8"}, token.encode()

    return handle


def test_token_login_is_refreshed_once_on_401_for_any_payload_kind() -> None:
    valid = {"t1"}
    api, adapter, _ = client(_token_server(["t1", "t2", "t3"], valid), auth=TokenAuth("/token", "u", "p"))
    assert api.get_text("/x") == "t1"
    valid.clear()
    valid.add("t2")  # the source revoked t1
    assert api.get_bytes("/x") == b"t2"
    assert adapter.paths() == ["POST /token", "GET /x", "GET /x", "POST /token", "GET /x"]
    valid.clear()
    with pytest.raises(AuthError, match="401 even with a fresh token"):
        api.get_text("/x")  # a fresh token refused too: no endless loop
    assert orjson.loads(adapter.sent[0].body) == {"username": "u", "password": "p"}


def test_expiring_bearer_is_renewed_before_it_expires_and_on_401() -> None:
    now = [0.0]
    valid = {"t1", "t2", "t3"}
    auth = ExpiringTokenAuth("/token", "u", "p", margin=30)
    api, adapter, _ = client(
        _token_server(["t1", "t2", "t3"], valid, lifetime=90), auth=auth, clock=lambda: now[0]
    )
    assert api.get_text("/x") == "t1"  # expires at 90, renewed from 60 on
    now[0] = 59.0
    assert api.get_text("/x") == "t1"
    now[0] = 60.0
    assert api.get_text("/x") == "t2"  # renewed before the call, no 401 needed
    assert api.logins == 2
    valid.discard("t2")
    assert api.get_text("/x") == "t3"  # revoked early: renewed on the 401
    assert adapter.paths() == [
        "POST /token",
        "GET /x",
        "GET /x",
        "POST /token",
        "GET /x",
        "GET /x",
        "POST /token",
        "GET /x",
    ]


def test_a_client_credentials_grant_sends_the_form_with_basic_auth_and_no_json() -> None:
    valid = {"t1", "t2"}
    auth = ExpiringTokenAuth("/token", "client", "secret", client_credentials=True)
    api, adapter, _ = client(_token_server(["t1", "t2"], valid, lifetime=3600), auth=auth)
    assert api.get_text("/x") == "t1"
    valid.discard("t1")
    assert api.get_text("/x") == "t2"  # revoked before its time: a new grant on the 401
    login = adapter.sent[0]
    assert login.body == b"grant_type=client_credentials"
    assert login.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert login.headers["Authorization"] == "Basic " + base64.b64encode(b"client:secret").decode()
    assert adapter.paths() == ["POST /token", "GET /x", "GET /x", "POST /token", "GET /x"]


def test_expiring_bearer_without_a_lifetime_is_an_auth_error() -> None:
    api, _, _ = client(_token_server(["t1"], {"t1"}), auth=ExpiringTokenAuth("/token", "u", "p"))
    with pytest.raises(AuthError, match="expires_in"):
        api.get_text("/x")


def test_static_bearer_is_sent_and_a_401_is_not_retried() -> None:
    api, adapter, _ = client(_token_server([], {"fixed"}), auth=StaticToken("fixed"))
    assert api.get_text("/x") == "fixed"
    api.auth = StaticToken("other")
    api._token = "other"
    with pytest.raises(AuthError, match="HTTP 401"):
        api.get_text("/x")
    assert adapter.paths() == ["GET /x", "GET /x"]


def test_no_auth_sends_no_authorization_header() -> None:
    api, adapter, _ = client(lambda request: (200, {}, b"[]"))
    assert api.get_json("/open") == []
    assert "Authorization" not in adapter.sent[0].headers


def test_a_source_chooses_its_auth_from_its_declaration() -> None:
    endpoint = Endpoint("http://x", "user", "pw", token="tok")

    def source(auth: Any) -> Source:
        return Source("s", "test source", (), "@daily", auth=auth)

    assert source(TokenLogin("/login")).client_auth(endpoint) == TokenAuth("/login", "user", "pw")
    expiring = source(TokenLogin("/login", expires_field="ttl")).client_auth(endpoint)
    assert isinstance(expiring, ExpiringTokenAuth) and expiring.expires_field == "ttl"
    granted = source(TokenLogin("/token", expires_field="expires_in", client_credentials=True))
    assert granted.client_auth(endpoint) == ExpiringTokenAuth(
        "/token", "user", "pw", client_credentials=True, expires_field="expires_in"
    )
    assert source(BearerToken()).client_auth(endpoint) == StaticToken("tok")
    assert source(SystemSecret()).client_auth(endpoint) == SystemCredentials("user", "pw")
    assert source(TokenHeader("token")).client_auth(endpoint) == HeaderToken("token", "pw")
    assert source(None).client_auth(endpoint) is None


def test_a_system_id_and_secret_go_with_every_call_as_headers_and_a_401_is_not_retried() -> None:
    def axis(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        known = request.headers.get("systemid") == "vxp.saas.03" and request.headers.get("secret") == "s3"
        return (200, {}, b'{"status": "OK"}') if known else (401, {}, b'{"status": "FAIL"}')

    api, adapter, _ = client(axis, auth=SystemCredentials("vxp.saas.03", "s3"))
    assert api.put_json("/vxp/v1/edocs/a1/status", {"status": "done"}) == {"status": "OK"}
    assert "Authorization" not in adapter.sent[0].headers and adapter.sent[0].method == "PUT"
    api.auth = SystemCredentials("vxp.saas.03", "wrong")
    with pytest.raises(AuthError, match="HTTP 401"):
        api.post_json("/vxp/v1/edocs/received", {})
    assert len(adapter.sent) == 2
    assert "s3" not in repr(SystemCredentials("vxp.saas.03", "s3"))


def test_a_token_goes_in_its_header_and_a_body_is_posted_as_it_is() -> None:
    search = b"<EventSearchDescription><maxResults>100</maxResults></EventSearchDescription>"

    def ioc(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        if request.headers.get("token") != "t0k":
            return 401, {}, b'{"error": "invalid token"}'
        return 200, {"Content-Type": "application/xml"}, b"<EventSearchResult/>"

    api, adapter, _ = client(ioc, auth=HeaderToken("token", "t0k"))
    answer = api.post_bytes("/search", search, content_type="application/xml", accept="application/xml")
    assert answer == b"<EventSearchResult/>"
    sent = adapter.sent[0]
    assert (sent.body, sent.headers["Content-Type"]) == (search, "application/xml")
    assert "Authorization" not in sent.headers
    api.auth = HeaderToken("token", "wrong")
    with pytest.raises(AuthError, match="HTTP 401"):
        api.get_json("/paht/chuyenmuc")
    assert len(adapter.sent) == 2  # a fixed token is not retried
    assert "t0k" not in repr(HeaderToken("token", "t0k"))


def test_a_streamed_answer_reaches_its_reader_in_chunks_after_the_retries() -> None:
    answers = iter([(503, {}, b"busy"), (200, {"Content-Type": "application/xml"}, XML)])
    api, adapter, sleeps = client(lambda request: next(answers))
    chunks = api.read_stream("/vxp/v1/edocs/a1", list, chunk_size=10)
    assert b"".join(chunks) == XML and len(chunks) == -(-len(XML) // 10)
    assert adapter.paths() == ["GET /vxp/v1/edocs/a1"] * 2 and len(sleeps) == 1
