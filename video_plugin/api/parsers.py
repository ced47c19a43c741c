"""The job API's JSON parser: bounded in size and in nesting, so no body can exhaust memory or the stack.

DRF's ``JSONParser`` is unbounded in depth (``[`` a hundred thousand times is a ``RecursionError``, a 500)
and reads the body through ``request.body``, whose size limit, Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``,
raises an exception DRF does not handle (Django's HTML 400). This parser is not a ``JSONParser`` subclass on
purpose: DRF copies ``request.body`` for those before parsing, and this parser reads the stream itself.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Mapping
from itertools import accumulate
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer

from video_plugin.api.errors import RequestTooLarge
from video_plugin.conf import video_settings

# A job request is one flat object; 32 leaves room for any client's wrapping without letting the decoder's
# recursion anywhere near Python's limit.
MAX_JSON_DEPTH = 32

# A string, to its closing quote or, unterminated, to the end: one pass over the body whatever it holds.
STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
NOT_BRACKET = re.compile(r"[^\[\]{}]+")
BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def nesting_depth(text: str) -> int:
    """How deep JSON ``text`` nests arrays and objects, found without recursion and without a Python-level
    loop per character (brackets inside strings do not count)."""
    brackets = NOT_BRACKET.sub("", STRING.sub("", text))
    return max(accumulate(map(BRACKET_STEP.__getitem__, brackets)), default=0)


def declared_length(request: Any) -> int:
    """The request's ``Content-Length``, 0 when absent or not a number (as DRF reads it)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        return 0


def too_large(size: str, limit: int) -> RequestTooLarge:
    return RequestTooLarge(
        f"the request body has {size} bytes; at most {limit} are accepted "
        f"(WAGTAIL_VIDEO['API_MAX_BODY_BYTES']); send only page, script, voice and image"
    )


def utf8_charset(parser_context: Mapping) -> str:
    """The request's charset, which must be UTF-8: JSON between systems is UTF-8 (RFC 8259, section 8.1).

    Refusing every other charset also refuses the byte-to-byte codecs Python knows (``bz2_codec``,
    ``zlib_codec``) that would inflate a small body past the size limit while decoding it.
    """
    charset = parser_context.get("encoding") or "utf-8"
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        name = ""
    if name not in ("utf-8", "utf-8-sig"):
        raise ParseError(f'unsupported charset "{charset}" in the Content-Type header; send UTF-8 JSON')
    return name


class BoundedJSONParser(BaseParser):
    """``application/json`` bodies of at most ``API_MAX_BODY_BYTES`` bytes, nested at most
    :data:`MAX_JSON_DEPTH` deep; anything else is a 413 ``too_large`` or a 400 ``parse_error``."""

    media_type = "application/json"
    renderer_class = JSONRenderer

    def parse(
        self, stream: IO[bytes], media_type: str | None = None, parser_context: Mapping | None = None
    ) -> Any:
        parser_context = parser_context or {}
        limit = int(video_settings.API_MAX_BODY_BYTES)
        request = parser_context.get("request")
        declared = declared_length(request) if request is not None else 0
        if declared > limit:
            raise too_large(str(declared), limit)  # refused before a byte is read
        # One byte past the limit tells an oversized body (an understated Content-Length) from a full one.
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise too_large(f"more than {limit}", limit)
        try:
            text = body.decode(utf8_charset(parser_context))
        except UnicodeDecodeError as exc:
            raise ParseError(
                f"JSON parse error - the body is not valid {exc.encoding}: {exc.reason}"
            ) from None
        if nesting_depth(text) > MAX_JSON_DEPTH:
            raise ParseError(
                f"JSON parse error - the body nests arrays or objects more than {MAX_JSON_DEPTH} deep; "
                'send one flat object, e.g. {"page": 42}'
            )
        try:
            return json.loads(text, parse_constant=reject_constant)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


def reject_constant(name: str) -> None:
    """``NaN`` and ``Infinity`` are not JSON (DRF's ``STRICT_JSON``)."""
    raise ValueError(f"{name} is not valid JSON")
