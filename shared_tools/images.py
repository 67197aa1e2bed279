"""Step images: checked by their content, re-encoded, resized, stripped of metadata.

The uploaded bytes are opened with Pillow whatever the file is called; only PNG, JPEG and WebP
pass. Re-encoding from the decoded pixels drops every metadata block (EXIF with GPS positions,
XMP, comments) and whatever else was hidden in the file. Decompression bombs are refused: Pillow
raises DecompressionBombError beyond twice `MAX_IMAGE_PIXELS` and only warns between one and two
times; the warning is turned into an error here, and the size read from the header is checked
against our own, lower limit before any pixel is decoded (the global `Image.MAX_IMAGE_PIXELS` is
left alone: WeasyPrint shares it).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# 24 megapixels: a recent phone's photo passes, a crafted 50 000 × 50 000 PNG does not.
MAX_PIXELS = 24_000_000
WEB_MAX_SIDE = 1200
PRINT_MAX_SIDE = 2000
ALLOWED_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}


@dataclass(frozen=True)
class CleanImage:
    web: ContentFile
    print: ContentFile
    format: str  # "png", "jpg" or "webp": the extension of both files


def _too_big_error() -> ValidationError:
    return ValidationError(
        _("The image is too big: at most %(mb)s MB and %(mp)s megapixels.")
        % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024), "mp": MAX_PIXELS // 1_000_000},
        code="image_too_big",
    )


def _encode(image: Image.Image, fmt: str, max_side: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if fmt == "JPEG":
        copy.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    elif fmt == "WEBP":
        copy.save(out, "WEBP", quality=85)
    else:
        copy.save(out, "PNG", optimize=True)
    return out.getvalue()


def clean_image(upload: IO[bytes], *, size: int | None = None) -> CleanImage:
    """Validate an uploaded image by its content and return web and print versions without metadata.

    Raises ValidationError (translated, with a code) for a file that is too big, not an image, of
    another format than PNG/JPEG/WebP, or a decompression bomb.
    """
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size > MAX_UPLOAD_BYTES:
        raise _too_big_error()
    upload.seek(0)
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise _too_big_error()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # First pass: verify() checks the structure without decoding the pixels.
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                if fmt not in ALLOWED_FORMATS:
                    raise ValidationError(_("Only PNG, JPEG and WebP images are accepted."), code="image_format")
                # The header gives the size before any pixel is decoded: a bomb stops here.
                # Pillow's own check (MAX_IMAGE_PIXELS, warnings made errors) is the second belt.
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise _too_big_error()
                probe.verify()
            # verify() leaves the image unusable: open again to decode.
            with Image.open(io.BytesIO(data)) as opened:
                opened.load()
                image: Image.Image = ImageOps.exif_transpose(opened)
                if image.mode not in ("RGB", "RGBA", "L", "LA"):
                    image = image.convert("RGBA" if "transparency" in image.info else "RGB")
                web = _encode(image, fmt, WEB_MAX_SIDE)
                printed = _encode(image, fmt, PRINT_MAX_SIDE)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_big_error() from exc
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            _("This file is not an image we can read: send a PNG, JPEG or WebP picture."), code="not_an_image"
        ) from exc
    ext = ALLOWED_FORMATS[fmt]
    return CleanImage(
        web=ContentFile(web, name=f"web.{ext}"), print=ContentFile(printed, name=f"print.{ext}"), format=ext
    )
