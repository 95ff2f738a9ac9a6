"""What the server writes to its logs leaves without ID numbers, mobile numbers or secrets.

Request lines carry query strings (``GET /v1/persons?q=350402199012062176``), and errors carry
values; a filter on every handler of the server's loggers rewrites each record before it is
formatted. ``flowpop serve`` configures uvicorn with :func:`config`; another runner of the app
factory (``uvicorn flowpop_cli.asgi:create --factory``) gets the filter from :func:`install`."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

ID_MARK, PHONE_MARK, SECRET_MARK = "[REDACTED-ID]", "[REDACTED-PHONE]", "[REDACTED]"
LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "flowpop")

# 18-digit numbers (check character X) and legacy 15-digit ones, not inside a longer run of digits
_ID = re.compile(r"(?<!\d)(?:\d{17}[\dXx]|\d{15})(?!\d)")
# a 15-digit grid code is a division, where a division is asked for
_DIVISION_BEFORE = re.compile(r"(?:code|division|grid|village)(?:=|%3[Dd])$|/divisions/$")
_PHONE = re.compile(r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?!\d)")
_TOKEN = re.compile(r"\bfp_[A-Za-z0-9_-]+")
_SECRET_PARAM = re.compile(r"(?i)(\b[\w.-]*(?:token|password|passwd|pwd|secret|api_?key)(?:=|%3D))[^&\s\"']*")
_BEARER = re.compile(r"(?i)(\bbearer\s+)[^\s\"',]+")


def _id(match: re.Match[str]) -> str:
    number = match.group()
    if len(number) == 15 and _DIVISION_BEFORE.search(match.string, 0, match.start()):
        return number
    return ID_MARK


def redact(text: str) -> str:
    text = _TOKEN.sub("fp_" + SECRET_MARK, text)
    text = _SECRET_PARAM.sub(r"\1" + SECRET_MARK, text)
    text = _BEARER.sub(r"\1" + SECRET_MARK, text)
    text = _ID.sub(_id, text)
    return _PHONE.sub(PHONE_MARK, text)


def _arg(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, (int, float)):
        return value
    text = str(value)
    cleaned = redact(text)
    return value if cleaned == text else cleaned


class Redact(logging.Filter):
    """Rewrites the message, its arguments (uvicorn's access formatter reads them one by one) and any
    traceback of a record in place, so every handler after it sees the redacted record."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_flowpop_redacted", False):
            return True
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _arg(v) for k, v in record.args.items()}
        if record.exc_info:
            # formatted here so that no formatter renders the exception's values again
            record.exc_text = record.exc_text or self._formatter.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record._flowpop_redacted = True
        return True


def config() -> dict[str, Any]:
    """uvicorn's logging configuration with the filter on every handler, and a handler for everything
    else the server logs (our loggers, the libraries') so that nothing is written unfiltered."""
    from uvicorn.config import LOGGING_CONFIG

    cfg = copy.deepcopy(LOGGING_CONFIG)
    cfg["filters"] = {"redact": {"()": f"{__name__}.Redact"}}
    for handler in cfg["handlers"].values():
        handler["filters"] = ["redact"]
    cfg["root"] = {"handlers": ["default"], "level": "WARNING"}
    return cfg


def install() -> None:
    """Adds the filter to the handlers the server's loggers already have, and to logging's last resort."""
    handlers = [h for name in LOGGERS for h in logging.getLogger(name).handlers]
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    for handler in handlers:
        if not any(isinstance(f, Redact) for f in handler.filters):
            handler.addFilter(Redact())
