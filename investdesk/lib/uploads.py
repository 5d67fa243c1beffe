"""Checking uploaded attachments: allowed kinds (by extension *and* by their first bytes) and size."""

from pathlib import PurePath

from django.utils.translation import gettext as _

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024

# extension → the file signatures it may start with (Office files are ZIP containers).
ALLOWED = {
    ".pdf": [b"%PDF"],
    ".png": [b"\x89PNG"],
    ".jpg": [b"\xff\xd8\xff"],
    ".jpeg": [b"\xff\xd8\xff"],
    ".docx": [b"PK\x03\x04"],
    ".xlsx": [b"PK\x03\x04"],
    ".pptx": [b"PK\x03\x04"],
    ".doc": [b"\xd0\xcf\x11\xe0"],
    ".xls": [b"\xd0\xcf\x11\xe0"],
    ".ofd": [b"PK\x03\x04"],  # China's fixed-layout format (GB/T 33190)
}


class UploadError(ValueError):
    pass


def check_attachment(*, name: str, head: bytes, size: int) -> str:
    """The lower-case extension of an acceptable file, or UploadError saying what is wrong."""
    extension = PurePath(name or "").suffix.lower()
    if extension not in ALLOWED:
        raise UploadError(_("Attach PDF, images (PNG, JPG) or office files (Word, Excel, PowerPoint, OFD)."))
    if size == 0:
        raise UploadError(_("The file is empty."))
    if size > MAX_ATTACHMENT_BYTES:
        raise UploadError(_("An attachment may be at most 20 MB."))
    if not any(head.startswith(signature) for signature in ALLOWED[extension]):
        raise UploadError(_("The file's content does not match its extension %(ext)s.") % {"ext": extension})
    return extension
