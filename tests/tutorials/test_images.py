"""Step images: checked by content, re-encoded without metadata, resized, bombs refused."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from shared_tools.images import MAX_UPLOAD_BYTES, clean_image
from tests.tutorials.conftest import png_bytes


def test_a_png_is_accepted_and_resized_for_the_web_and_print():
    result = clean_image(io.BytesIO(png_bytes(size=(3000, 1500))))
    web, printed = Image.open(io.BytesIO(result.web.read())), Image.open(io.BytesIO(result.print.read()))
    assert result.format == "png" and web.format == "PNG"
    assert web.size == (1200, 600) and max(printed.size) == 2000


def test_a_renamed_executable_is_refused_whatever_its_name():
    executable = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
    upload = io.BytesIO(executable)
    upload.name = "photo.png"
    with pytest.raises(ValidationError) as error:
        clean_image(upload)
    assert error.value.code == "not_an_image"


def test_a_gif_is_refused_because_of_its_format():
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    with pytest.raises(ValidationError) as error:
        clean_image(io.BytesIO(out.getvalue()))
    assert error.value.code == "image_format"


def test_a_file_over_5_mb_is_refused_before_decoding():
    with pytest.raises(ValidationError) as error:
        clean_image(io.BytesIO(png_bytes() + b"\x00" * MAX_UPLOAD_BYTES))
    assert error.value.code == "image_too_big"


def _png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG claiming `width` × `height` pixels of one grey value (highly compressible)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * width
    body = b"".join(compressor.compress(row) for _ in range(200)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def test_a_decompression_bomb_is_refused():
    bomb = _png_bomb(30_000, 30_000)
    assert len(bomb) < 100_000
    with pytest.raises(ValidationError) as error:
        clean_image(io.BytesIO(bomb))
    assert error.value.code == "image_too_big"


def test_gps_exif_is_stripped_from_a_jpeg():
    exif = Image.Exif()
    exif[0x010F] = "Appareil Espion"  # Make
    exif[0x8825] = {1: "N", 2: (47.0, 23.0, 0.0), 3: "E", 4: (0.0, 41.0, 0.0)}  # GPSInfo
    original = png_bytes(size=(800, 600), fmt="JPEG", exif=exif.tobytes())
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    result = clean_image(io.BytesIO(original))
    for content in (result.web, result.print):
        data = content.read()
        cleaned = Image.open(io.BytesIO(data))
        assert cleaned.format == "JPEG"
        assert not cleaned.getexif() and "exif" not in cleaned.info
        assert b"Espion" not in data and b"GPS" not in data
