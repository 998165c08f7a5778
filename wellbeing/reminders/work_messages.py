"""Personal work notifications: WeCom application messages (企业微信应用消息) and DingTalk work
notifications (钉钉工作通知), each to one person by their user id in that service.

Both services work the same way: the app's credentials buy an access token (``gettoken``, valid for
about two hours), which every send call carries in its query string. The token is kept in Django's
cache until shortly before it expires, and fetched again at once when a call says it expired or is
invalid (errcode 40014, 42001, 41001); the call is then made once more with the new token.

A channel is on when all its settings are set (``wecom_configured``, ``dingtalk_configured``); half a
set is a configuration error (``configuration_gaps``). Errors never carry a URL (the token and, for
``gettoken``, the secret travel in the query string), only the service's errcode and message.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

#: The access token expired, is invalid or missing: fetch a new one and try once more.
TOKEN_ERRCODES = frozenset({40014, 41001, 42001})
#: The recipient does not exist there (or the app may not reach them): retrying cannot help.
#: WeCom: 60111 userid not found, 81013 every recipient invalid, 40031 invalid user list.
#: DingTalk: 33012 invalid userid, 60121 user not found.
RECIPIENT_ERRCODES = {"wecom": frozenset({60111, 81013, 40031}), "dingtalk": frozenset({33012, 60121})}
#: Tokens are kept this long less than the service says they last.
TOKEN_MARGIN_SECONDS = 300
#: WeCom drops a message identical to one sent within this window (its own duplicate check): a retry
#: after a lost response does not reach the person twice. Four hours is WeCom's maximum.
WECOM_DUPLICATE_CHECK_SECONDS = 4 * 3600


class WorkMessageError(Exception):
    """The service refused or could not be reached: a transient failure (retried)."""


class RecipientRejected(WorkMessageError):
    """The service does not know the recipient: retrying cannot help."""


@dataclass(frozen=True)
class Service:
    """One of the two services, as configured."""

    name: str  # "wecom" or "dingtalk"
    base: str
    gettoken_path: str
    gettoken_params: dict[str, str]
    send_path: str

    def cache_key(self) -> str:
        # Keyed by the credentials' identity, so new credentials never use an old token.
        ident = hashlib.sha256(repr(sorted(self.gettoken_params.items())).encode()).hexdigest()[:16]
        return f"tanxin:work-messages:{self.name}:token:{ident}"


def wecom_configured() -> bool:
    return all((settings.WECOM_CORP_ID, settings.WECOM_AGENT_ID, settings.WECOM_SECRET))


def dingtalk_configured() -> bool:
    return all((settings.DINGTALK_APP_KEY, settings.DINGTALK_APP_SECRET, settings.DINGTALK_AGENT_ID))


def configuration_gaps() -> list[tuple[str, list[str]]]:
    """Services with some but not all of their settings: ("wecom" or "dingtalk", the missing settings)."""
    gaps = []
    for service, names in (
        ("wecom", ("WECOM_CORP_ID", "WECOM_AGENT_ID", "WECOM_SECRET")),
        ("dingtalk", ("DINGTALK_APP_KEY", "DINGTALK_APP_SECRET", "DINGTALK_AGENT_ID")),
    ):
        missing = [name for name in names if not getattr(settings, name)]
        if missing and len(missing) < len(names):
            gaps.append((service, missing))
    return gaps


def wecom() -> Service:
    return Service(
        name="wecom",
        base=settings.WECOM_API_BASE,
        gettoken_path="/cgi-bin/gettoken",
        gettoken_params={"corpid": settings.WECOM_CORP_ID, "corpsecret": settings.WECOM_SECRET},
        send_path="/cgi-bin/message/send",
    )


def dingtalk() -> Service:
    return Service(
        name="dingtalk",
        base=settings.DINGTALK_API_BASE,
        gettoken_path="/gettoken",
        gettoken_params={"appkey": settings.DINGTALK_APP_KEY, "appsecret": settings.DINGTALK_APP_SECRET},
        send_path="/topapi/message/corpconversation/asyncsend_v2",
    )


# --- Calls -----------------------------------------------------------------------------------------


def _json(service: Service, method: str, path: str, **kwargs) -> dict:
    """One call; the answer's JSON. Transport errors and non-2xx answers are WorkMessageErrors that
    name the service and the kind of failure, never the URL."""
    try:
        response = httpx.request(method, service.base + path, timeout=settings.WORK_MESSAGE_TIMEOUT_SECONDS, **kwargs)
    except httpx.HTTPError as exc:
        raise WorkMessageError(f"{service.name}: {type(exc).__name__}") from None
    if response.status_code >= 300:
        raise WorkMessageError(f"{service.name}: HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError:
        raise WorkMessageError(f"{service.name}: the answer is not JSON") from None
    if not isinstance(data, dict):
        raise WorkMessageError(f"{service.name}: unexpected answer")
    return data


def _errcode(data: dict) -> int:
    try:
        return int(data.get("errcode", 0) or 0)
    except (TypeError, ValueError):
        return -1


def _sub_errcode(data: dict) -> int | None:
    """DingTalk's newer answers put the detail in ``sub_code`` (errcode 88 with sub_code 40014)."""
    try:
        return int(data["sub_code"])
    except (KeyError, TypeError, ValueError):
        return None


def _describe(service: Service, data: dict, call: str = "") -> str:
    """E.g. "wecom: errcode 81013: user & party & tag all invalid" (the service's own words)."""
    message = str(data.get("errmsg") or data.get("sub_msg") or "")[:200]
    prefix = f"{service.name}: {call} " if call else f"{service.name}: "
    return f"{prefix}errcode {_errcode(data)}: {message}".strip()


def access_token(service: Service, *, refresh: bool = False) -> str:
    """The app's access token: from the cache, or a new one from ``gettoken``."""
    key = service.cache_key()
    if not refresh:
        token = cache.get(key)
        if token:
            return token
    data = _json(service, "GET", service.gettoken_path, params=service.gettoken_params)
    token = data.get("access_token")
    if _errcode(data) or not token:
        raise WorkMessageError(_describe(service, data, "gettoken"))
    try:
        lifetime = int(data.get("expires_in") or 7200)
    except (TypeError, ValueError):
        lifetime = 7200
    cache.set(key, token, timeout=max(lifetime - TOKEN_MARGIN_SECONDS, 60))
    return token


def _expired_token(data: dict) -> bool:
    return _errcode(data) in TOKEN_ERRCODES or _sub_errcode(data) in TOKEN_ERRCODES


def _send(service: Service, body: dict) -> dict:
    """POST ``body`` with the access token; on a token error, once more with a fresh token."""
    data = _json(service, "POST", service.send_path, params={"access_token": access_token(service)}, json=body)
    if _expired_token(data):
        logger.info("%s: access token refused (errcode %s); fetching a new one", service.name, _errcode(data))
        cache.delete(service.cache_key())
        token = access_token(service, refresh=True)
        data = _json(service, "POST", service.send_path, params={"access_token": token}, json=body)
    code = _errcode(data)
    if code in RECIPIENT_ERRCODES[service.name] or _sub_errcode(data) in RECIPIENT_ERRCODES[service.name]:
        raise RecipientRejected(_describe(service, data))
    if code:
        raise WorkMessageError(_describe(service, data))
    return data


def send_wecom_markdown(*, user_id: str, content: str) -> None:
    """A WeCom application message (markdown) to one member."""
    body = {
        "touser": user_id,
        "msgtype": "markdown",
        "agentid": _agent_id(settings.WECOM_AGENT_ID),
        "markdown": {"content": content},
        "enable_duplicate_check": 1,
        "duplicate_check_interval": WECOM_DUPLICATE_CHECK_SECONDS,
    }
    data = _send(wecom(), body)
    # A member the app may not reach is not an error: WeCom sends to the others and names the rest.
    invalid = str(data.get("invaliduser") or "")
    if user_id in invalid.split("|"):
        raise RecipientRejected(f"wecom: the app cannot reach user {user_id}")


def send_dingtalk_markdown(*, user_id: str, title: str, text: str) -> None:
    """A DingTalk work notification (markdown) to one user. DingTalk queues it (``task_id``); it
    drops a message identical to one the user already got from the app that day."""
    body = {
        "agent_id": _agent_id(settings.DINGTALK_AGENT_ID),
        "userid_list": user_id,
        "msg": {"msgtype": "markdown", "markdown": {"title": title, "text": text}},
    }
    _send(dingtalk(), body)


def _agent_id(value: str) -> int | str:
    """Both services document the agent id as a number; a non-numeric value is passed as given."""
    return int(value) if str(value).isdigit() else value
