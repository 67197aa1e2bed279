"""An upload handler that bounds a whole multipart body, even one sent without Content-Length.

DATA_UPLOAD_MAX_MEMORY_SIZE leaves file parts out, and FILE_UPLOAD_MAX_MEMORY_SIZE only decides
when an upload is spooled to disk: without this, a multipart body could fill the temporary disk.
First in FILE_UPLOAD_HANDLERS, it sees every chunk before the handlers that store it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler


class BodySizeLimitUploadHandler(FileUploadHandler):
    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.received = 0

    def handle_raw_input(
        self, input_data: Any, META: dict[str, Any], content_length: int, boundary: Any, encoding: Any = None
    ) -> None:
        if content_length and content_length > settings.MAX_REQUEST_BODY_SIZE:
            raise RequestDataTooBig("Request body exceeded MAX_REQUEST_BODY_SIZE.")

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.MAX_REQUEST_BODY_SIZE:
            raise RequestDataTooBig("Uploaded files exceeded MAX_REQUEST_BODY_SIZE.")
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
