"""The clerk's HTTP upload for bench/web_work.py: a streamed multipart POST, the batch polled, CPU read.

``post_file`` sends ``POST /api/v1/batches`` (fields ``department``, ``type``, ``file``; Bearer token)
with ``http.client``: the body is the multipart preamble, the file read from disk 1 MB at a time and
the closing boundary, with its Content-Length computed beforehand, so the client never holds the file
in memory (as ``curl -F file=@…`` sends it). ``wait_done`` polls ``GET /api/v1/batches/<id>`` until
the batch is ``done`` or ``failed``. ``tree_cpu`` is the user + system CPU seconds of a process and
its descendants (gunicorn's master and workers; the worker's forked readers), read from /proc.
"""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_BLOCK = 1 << 20
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _connection(address: str, timeout: float) -> http.client.HTTPConnection:
    parts = urllib.parse.urlsplit(address)
    return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout)


def _body(boundary: str, fields: dict[str, str], path: Path, filename: str) -> tuple[list[bytes], bytes, int]:
    head = b"".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode()
                    for k, v in fields.items())
    head += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
             "Content-Type: text/csv\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return [head], tail, len(head) + path.stat().st_size + len(tail)


def _stream(head: list[bytes], path: Path, tail: bytes) -> Iterator[bytes]:
    yield from head
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            yield block
    yield tail


def post_file(address: str, token: str, department: str, record_type: str, path: Path) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON answer) of one streamed upload."""
    boundary = uuid.uuid4().hex
    head, tail, length = _body(boundary, {"department": department, "type": record_type}, path, path.name)
    conn = _connection(address, timeout=600)
    try:
        conn.putrequest("POST", "/api/v1/batches")
        conn.putheader("Authorization", f"Bearer {token}")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(length))
        conn.putheader("Accept", "application/json")
        conn.endheaders()
        for block in _stream(head, path, tail):
            conn.send(block)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
    finally:
        conn.close()
    try:
        return response.status, json.loads(text)
    except ValueError:
        return response.status, {"message": text[:2000]}


def get_batch(address: str, token: str, batch_id: int) -> dict[str, Any]:
    conn = _connection(address, timeout=60)
    try:
        conn.request("GET", f"/api/v1/batches/{batch_id}", headers={"Authorization": f"Bearer {token}",
                                                                    "Accept": "application/json"})
        response = conn.getresponse()
        answer: dict[str, Any] = json.loads(response.read())
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"GET /api/v1/batches/{batch_id}: {response.status} {answer}")
    return answer


def wait_done(address: str, token: str, batch_id: int, poll: float = 0.5) -> dict[str, Any]:
    """The batch's answer once it is ``done`` or ``failed``."""
    while True:
        answer = get_batch(address, token, batch_id)
        if answer["status"] in ("done", "failed"):
            return answer
        time.sleep(poll)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its living descendants (0 where /proc is missing)."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15]) / _TICK  # utime, stime, and of its children waited for
        todo += _children(p)
    return total
