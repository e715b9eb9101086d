"""The request class: file parts of an upload route are written straight into the upload folder.

A view that takes batch files sets ``request.spool_uploads`` (with its raised size limit) before
it reads ``request.files``; the multipart parser then writes each file part with an accepted
extension into a ``credit.domain.batch_files.SpooledUpload`` (hashed as it arrives) instead of a
temporary file, and ``submit_uploads`` adopts that file instead of copying it: a large upload is on
disk once. Every spool the request opened is closed with it, which deletes those not adopted.
"""

from __future__ import annotations

from typing import IO, Any

from flask import Request

from credit.domain.batch_files import spool_for


class SpoolingRequest(Request):
    spool_uploads = False

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None, content_length: int | None = None) -> IO[bytes]:
        spool = spool_for(filename) if self.spool_uploads else None
        if spool is None:
            return super()._get_file_stream(total_content_length, content_type, filename, content_length)
        self.__dict__.setdefault("_spools", []).append(spool)
        return spool  # type: ignore[return-value]

    def close(self) -> None:
        super().close()
        spools: list[Any] = self.__dict__.get("_spools", [])
        for spool in spools:
            spool.close()
