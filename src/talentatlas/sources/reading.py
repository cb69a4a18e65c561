"""Tolerant readers for JSON and JSON Lines files, plain or gzip-compressed.

They never raise on bad content: a truncated gzip stream yields what could be
decompressed plus a problem note; a JSON array that breaks midway yields every record
before and after the break that can be decoded, and the broken stretch as an error item.
Each item is ``(record index, decoded object or exception, raw text)``.

Documents are decoded with orjson; a document it refuses is decoded again with the
standard library, which accepts what orjson does not (``NaN``, lone surrogates) and
words the error of a truly malformed one. One difference remains: an integer beyond
64 bits decodes as a float.
"""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

Item = tuple[int, Any, str]

_DECODER = json.JSONDecoder()
_CHUNK = 1 << 20


def loads(text: str) -> Any:
    """One JSON document (see the module doc)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def read_text(path: Path) -> tuple[str, list[str]]:
    """The decoded text of a file and the problems met while reading it."""
    problems: list[str] = []
    data = path.read_bytes()
    if path.suffix == ".gz" or data[:2] == b"\x1f\x8b":
        data = b"".join(_gunzip_blocks(io.BytesIO(data), problems))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        problems.append(f"invalid UTF-8 at byte {e.start}; undecodable bytes replaced")
        text = data.decode("utf-8", errors="replace")
    return text.lstrip("\ufeff"), problems


def stream_lines(path: Path, problems: list[str]) -> Iterator[bytes]:
    """The lines of a file, plain or gzip-compressed (several members allowed), read
    in chunks so that memory stays bounded whatever the file size. A truncated or
    corrupt gzip stream ends the lines with what could be read, and a note in
    ``problems``; a last line cut short by it is yielded as it is (and fails to decode)."""
    with path.open("rb") as f:
        head = f.read(2)
        f.seek(0)
        gz = path.suffix == ".gz" or head == b"\x1f\x8b"
        pending = b""
        for block in _gunzip_blocks(f, problems) if gz else iter(lambda: f.read(_CHUNK), b""):
            pending += block
            lines = pending.split(b"\n")
            pending = lines.pop()
            yield from lines
        if pending:
            yield pending


def _gunzip_blocks(f: Any, problems: list[str]) -> Iterator[bytes]:
    d = zlib.decompressobj(zlib.MAX_WBITS | 16)
    fresh = True  # no byte of the current member read yet
    while chunk := f.read(_CHUNK):
        while chunk:
            if fresh:
                chunk = chunk.lstrip(b"\x00")  # padding between or after members
                if not chunk:
                    break
            try:
                out = d.decompress(chunk)
            except zlib.error as e:
                problems.append(f"corrupt gzip stream ({e}); kept what was readable")
                return
            fresh = False
            if out:
                yield out
            if not d.eof:
                break  # the whole chunk was consumed: read on
            chunk = d.unused_data  # the end of a member: the rest may hold another
            d = zlib.decompressobj(zlib.MAX_WBITS | 16)
            fresh = True
    if not fresh:
        if tail := d.flush():
            yield tail
        problems.append("truncated gzip stream; kept what was readable")


def iter_json_lines(text: str) -> list[Item]:
    items: list[Item] = []
    for n, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            items.append((n, loads(line), line))
        except json.JSONDecodeError as e:
            items.append((n, ValueError(f"line {n + 1}: malformed JSON ({e.msg})"), line))
    return items


def iter_json_array(text: str) -> list[Item]:
    """Records of a file holding one JSON array of objects."""
    if not text.strip():
        return []
    try:
        doc = loads(text)
    except json.JSONDecodeError:
        return _salvage_array(text)
    if isinstance(doc, list):
        return [(i, obj, "") for i, obj in enumerate(doc)]
    if isinstance(doc, dict):
        return [(0, doc, "")]
    return [(0, ValueError(f"top-level JSON is a {type(doc).__name__}, not an array"), text[:2000])]


def _salvage_array(text: str) -> list[Item]:
    """Decode element by element; skip over broken stretches to the next object."""
    items: list[Item] = []
    pos = text.find("[")
    if pos < 0:
        return [(0, ValueError("malformed JSON: no array found"), text)]
    pos += 1
    n = len(text)
    index = 0
    while pos < n:
        while pos < n and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= n or text[pos] == "]":
            break
        try:
            obj, end = _DECODER.raw_decode(text, pos)
            items.append((index, obj, text[pos:end] if not isinstance(obj, dict) else ""))
            pos = end
        except json.JSONDecodeError as e:
            resume = _next_object(text, e.pos if e.pos > pos else pos + 1)
            raw = text[pos:resume]
            msg = f"record {index}: malformed JSON at character {e.pos} ({e.msg})"
            if resume >= n:
                msg += "; file ends inside this record"
            items.append((index, ValueError(msg), raw))
            pos = resume
        index += 1
    return items


def _next_object(text: str, start: int) -> int:
    """Position of the next ``{`` that begins a decodable object, or the end of text."""
    pos = text.find("{", start)
    while pos >= 0:
        try:
            obj, _ = _DECODER.raw_decode(text, pos)
            if isinstance(obj, dict):
                return pos
        except json.JSONDecodeError:
            pass
        pos = text.find("{", pos + 1)
    return len(text)
