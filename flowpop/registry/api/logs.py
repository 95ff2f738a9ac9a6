"""What the server writes to its logs leaves without ID numbers, mobile numbers or secrets.

Request lines carry query strings (``GET /v1/persons?q=350402199012062176``), and errors carry
values. A number is matched as ID-number search reads it: percent-decoded, full-width made ASCII, spaces
and hyphens between digits ignored; the line is written so decoded, redacted. A filter on every handler of the server's loggers rewrites each record before it is
formatted. uvicorn's access lines end with the request id (``[request_id=…]``, as flowpop's own lines do).
``flowpop serve`` configures uvicorn with :func:`config`; another runner of the app
factory (``uvicorn flowpop_cli.asgi:create --factory``) gets the filter from :func:`install`."""

from __future__ import annotations

import copy
import logging
import re
import unicodedata
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, unquote

ID_MARK, PHONE_MARK, SECRET_MARK = "[REDACTED-ID]", "[REDACTED-PHONE]", "[REDACTED]"
LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "flowpop")
# uvicorn's access line ends with the request's X-Request-Id (app.tag_log_records puts it on every record), so
# the id a user quotes finds the line; our own lines carry it in their message
ACCESS_SUFFIX = " [request_id=%(request_id)s]"

_ENCODED = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
# decoded, these would forge or hide log lines (line breaks, bidi controls) or break uvicorn's quoting
_UNSAFE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# the digit groups of a number with what ID-number search ignores between them: spaces of any kind,
# hyphens, and "+" (a space in a query string)
_RUN = re.compile(r"(?<!\d)\d+[Xx]?(?:[\s+\-]+\d+[Xx]?)*")
_GROUP = re.compile(r"\d+[Xx]?")
_ID = re.compile(r"\d{17}[\dX]|\d{15}")
_PHONE = re.compile(r"(?:86)?1[3-9]\d{9}")
# a 15-digit grid code is a division, where a division is asked for
_DIVISION_BEFORE = re.compile(r"(?:code|division|grid|village)(?:=|%3[Dd])$|/divisions/$")
_TOKEN = re.compile(r"fp_[A-Za-z0-9_-]+")  # no word boundary: "%20fp_…" and "0fp_…" hide tokens too
_SECRET_PARAM = re.compile(r"(?i)(\b[\w.-]*(?:token|password|passwd|pwd|secret|api_?key)(?:=|%3D))[^&\s\"']*")
_BEARER = re.compile(r"(?i)(\bbearer\s+)[^\s\"',]+")


def _escape(char: str) -> str:
    return quote(char, safe="") if char == '"' or unicodedata.category(char) in _UNSAFE else char


def _decode(match: re.Match[str]) -> str:
    text = unicodedata.normalize("NFKC", unquote(match.group(), errors="backslashreplace"))
    return "".join(_escape(c) for c in text)


def decode(text: str) -> str:
    """Percent-encoding undone (once, as the server reads a query) and full-width forms made ASCII: what is
    matched is what the search is asked. Characters unsafe in a log line stay encoded."""
    text = text if text.isascii() else unicodedata.normalize("NFKC", text)
    return _ENCODED.sub(_decode, text)


def _mark(digits: str) -> str | None:
    return ID_MARK if _ID.fullmatch(digits) else PHONE_MARK if _PHONE.fullmatch(digits) else None


def _numbers(view: str, text: str) -> Iterator[tuple[int, int, str]]:
    """In each run of digit groups (``513436 19851003 652X``), every stretch of whole groups that reads as an
    ID number (15 or 18 characters) or a mobile number (11 digits, 86 before it or not)."""
    for run in _RUN.finditer(view):
        groups = [(run.start() + g.start(), run.start() + g.end(), g.group().upper()) for g in _GROUP.finditer(run.group())]
        i = 0
        while i < len(groups):
            found, digits = None, ""
            for j in range(i, len(groups)):
                digits += groups[j][2]
                if len(digits) > 20 or "X" in digits[:-1]:
                    break
                found = (j, mark) if (mark := _mark(digits)) else found  # the longest stretch
            if found is None:
                i += 1
                continue
            j, mark = found
            start, single = groups[i][0], groups[i][2]
            if not (i == j and len(single) == 15 and _DIVISION_BEFORE.search(text, 0, start)):
                yield start, groups[j][1], mark
            i = j + 1


def _redact_numbers(text: str) -> str:
    # a "%XX" left after decoding is either an escaped character between digits (a separator) or, in a value
    # encoded twice, the digits themselves ("%350402…"): both readings are matched, each span redacted
    escapes = _ENCODED.sub(lambda m: " " * len(m.group()), text)
    spans = sorted([*_numbers(text, text), *(_numbers(escapes, text) if escapes != text else ())])
    out, done, last = [], 0, None
    for start, end, mark in spans:
        if last and start < last[1]:  # overlapping: one span, an ID number if either reads one
            last[1], last[2] = max(last[1], end), ID_MARK if ID_MARK in (last[2], mark) else mark
            continue
        if last:
            out += [text[done:last[0]], last[2]]
            done = last[1]
        last = [start, end, mark]
    if last:
        out += [text[done:last[0]], last[2]]
        done = last[1]
    return "".join(out) + text[done:]


def redact(text: str) -> str:
    text = _SECRET_PARAM.sub(r"\1" + SECRET_MARK, text)  # before decoding, while a value is one piece
    text = decode(text)
    text = _TOKEN.sub("fp_" + SECRET_MARK, text)
    text = _SECRET_PARAM.sub(r"\1" + SECRET_MARK, text)
    text = _BEARER.sub(r"\1" + SECRET_MARK, text)
    return _redact_numbers(text)


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
        if not hasattr(record, "request_id"):  # made before app.tag_log_records was installed
            record.request_id = "-"
        return True


def config() -> dict[str, Any]:
    """uvicorn's logging configuration with the filter on every handler, and a handler for everything
    else the server logs (our loggers, the libraries') so that nothing is written unfiltered."""
    from uvicorn.config import LOGGING_CONFIG

    cfg = copy.deepcopy(LOGGING_CONFIG)
    cfg["formatters"]["access"]["fmt"] += ACCESS_SUFFIX
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
    for handler in logging.getLogger("uvicorn.access").handlers:
        _tag_access(handler)


def _tag_access(handler: logging.Handler) -> None:
    """The access lines of a handler uvicorn configured itself end with the request id too."""
    from uvicorn.logging import AccessFormatter

    formatter = handler.formatter
    if isinstance(formatter, AccessFormatter) and "request_id" not in (formatter._fmt or ""):
        handler.setFormatter(AccessFormatter(fmt=(formatter._fmt or "") + ACCESS_SUFFIX, datefmt=formatter.datefmt,
                                             use_colors=formatter.use_colors))
