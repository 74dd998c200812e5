"""Who may write through the app: upload, delete and run the eval suite need the admin password
(`PLANQA_APP__PASSWORD`); with none set they are off, wherever the app binds.

Why not open on loopback: a loopback address is not a person. A reverse proxy on the same machine
(nginx's default `proxy_pass` even sends `Host: 127.0.0.1:7860`), other users of a shared machine and,
through DNS rebinding, any web page the user opens all reach it. Documents can always be added
without the app: `python -m rag ingest FILE`.

The server checks the password before a write takes a place in the queue (ui/serving.py, with a
limit on wrong guesses per client); `authorise` checks it again inside each write, for callers of
the Python functions.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum

from rag.settings import Settings

WRITES_OFF = (
    "上传、删除和运行评测已停用：未设置管理密码。设置 PLANQA_APP__PASSWORD 后重启即可启用；"
    "也可在命令行运行 python -m rag ingest 文件 添加文件。"
)
WRONG_PASSWORD = "管理密码不正确，未执行任何操作。"
TOO_MANY_GUESSES = "管理密码错误次数过多，请 {seconds} 秒后再试。"


class Access(StrEnum):
    """Whether the app writes: with the password, or not at all."""

    PASSWORD = "password"
    OFF = "off"


class AccessDenied(PermissionError):
    """A write refused by the password gate, with the reason in words."""


def write_access(settings: Settings) -> Access:
    return Access.PASSWORD if settings.app.password.get_secret_value() else Access.OFF


def password_matches(settings: Settings, given: object) -> bool:
    """Constant time: both sides are hashed to 32 bytes first, so the time taken tells neither the
    password's characters nor its length. Anything but a string (an API caller's list) is wrong."""
    secret = settings.app.password.get_secret_value()
    if not secret or not isinstance(given, str):
        return False
    return hmac.compare_digest(_digest(given), _digest(secret))


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def authorise(settings: Settings, given: object) -> None:
    """Raise `AccessDenied` unless this write may go ahead."""
    if write_access(settings) is Access.OFF:
        raise AccessDenied(WRITES_OFF)
    if not password_matches(settings, given):
        raise AccessDenied(WRONG_PASSWORD)
