"""Uploads larger than ``FILE_MAX_BYTES`` are not kept while the request is read.

Django's handlers write every file part of a multipart body to memory or a temporary file
before any view runs (``RequestGuardMiddleware`` reads the form first), so without this a
1 GB "photo" would fill the temporary directory before being refused. This handler, first
in ``FILE_UPLOAD_HANDLERS``, skips a file part as soon as it passes the limit (the rest of
the part is read and thrown away, the other handlers' partial files are closed) and flags the
request, so the view answers with the size message instead of "no file"."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


class FileSizeLimitUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.FILE_MAX_BYTES:
            if self.request is not None:
                self.request.upload_too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler builds the file


def upload_too_large(request) -> bool:
    return bool(getattr(request, "upload_too_large", False))
