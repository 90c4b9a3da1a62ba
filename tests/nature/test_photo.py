"""Survey photos: the type is read from the bytes (JPEG, PNG, WebP written by Pillow), the
EXIF GPS point is read (signs from its N/S, E/W references), whatever follows the image is
cut off, and hostile or damaged files are refused with a message saying why; the Darwin Core
Archive lists the photos in its multimedia extension."""

from __future__ import annotations

import csv
import datetime as dt
import io
import struct
import xml.etree.ElementTree as ET
import zipfile
import zlib

import pytest

from junkan.core.errors import JunkanError
from junkan.nature import photo as ph
from junkan.nature.survey import Observation, darwin_core_archive


def _image(
    fmt: str, size: tuple[int, int] = (40, 30), gps: tuple[float, float] | None = None
) -> bytes:
    image = pytest.importorskip("PIL.Image")  # Pillow writes the test images (maps extra)
    img = image.new("RGB", size, (30, 120, 60))
    exif = image.Exif()
    if gps is not None:
        lat, lon = gps

        def dms(v: float) -> tuple[float, float, float]:
            d = int(abs(v))
            m = int((abs(v) - d) * 60)
            return (float(d), float(m), round((abs(v) - d - m / 60) * 3600, 4))

        exif[0x8825] = {
            1: "N" if lat >= 0 else "S",
            2: dms(lat),
            3: "E" if lon >= 0 else "W",
            4: dms(lon),
        }
    buf = io.BytesIO()
    img.save(buf, fmt, exif=exif.tobytes() if gps is not None else b"")
    return buf.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def test_types_sizes_and_exif_point() -> None:
    jpeg = _image("JPEG", gps=(-12.675, 108.0501))
    p = ph.check_photo(jpeg + b"<html><script>alert(1)</script></html>")  # a polyglot's tail
    assert (p.media_type, p.width, p.height) == ("image/jpeg", 40, 30)
    assert p.data == jpeg  # the tail after EOI is cut off
    assert p.exif_lat == pytest.approx(-12.675, abs=1e-5)
    assert p.exif_lon == pytest.approx(108.0501, abs=1e-5)
    # 1 km from the recorded point, by the haversine formula: 1/111.195 ° of latitude
    assert ph.distance_m(0, 0, 1 / 111.19508, 0) == pytest.approx(1000, rel=1e-4)
    png = ph.check_photo(_image("PNG", (7, 5)))
    assert (png.media_type, png.width, png.height, png.exif_lat) == ("image/png", 7, 5, None)
    if "WEBP" in pytest.importorskip("PIL.Image").SAVE:
        webp = ph.check_photo(_image("WEBP", (33, 21), gps=(35.0, -139.5)))
        assert (webp.media_type, webp.width, webp.height) == ("image/webp", 33, 21)
        assert webp.exif_lon == pytest.approx(-139.5, abs=1e-5)


def test_hostile_and_damaged_files_are_refused() -> None:
    jpeg = _image("JPEG")
    png = _image("PNG")
    bad = {
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>": "not a JPEG, PNG or WebP",
        b"<!DOCTYPE html><title>x</title>": "not a JPEG, PNG or WebP",
        b"GIF89a" + b"\0" * 20: "not a JPEG, PNG or WebP",
        jpeg[: len(jpeg) // 2]: "photo: (the image is cut short|damaged JPEG)",
        jpeg[:-2]: "photo: the image is cut short",
        png[:16] + bytes([png[16] ^ 1]) + png[17:]: "chunk 'IHDR' fails its CRC",
        b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IEND", b""): "IHDR is not first",
        b"RIFF\xff\xff\xff\x7fWEBPVP8 ": "RIFF size",
    }
    for data, words in bad.items():
        with pytest.raises(ph.PhotoError, match=words):
            ph.check_photo(data, "photo")
    # a decompression bomb: a valid 60,000 × 60,000 header is refused before any decoding
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 60_000, 60_000, 8, 2, 0, 0, 0))
        + _png_chunk(b"IDAT", zlib.compress(b"\0" * 100))
        + _png_chunk(b"IEND", b"")
    )
    with pytest.raises(ph.PhotoError, match="60000 × 60000 pixels"):
        ph.check_photo(bomb)
    with pytest.raises(ph.PhotoTooLarge, match="at most 10,485,760") as exc:
        ph.check_photo(jpeg + b"\0" * ph.MAX_BYTES)
    assert isinstance(exc.value, JunkanError) and exc.value.http_status == 413
    # a malformed EXIF block is ignored, not an error: the photo is kept without a point
    assert ph.gps(b"II*\0\x08\0\0\0\xff\xff") == (None, None)


def test_darwin_core_archive_lists_photos() -> None:
    t = dt.datetime(2024, 5, 1, 7, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    obs = [
        Observation(
            id=i,
            species="Apis cerana",
            count=3,
            lat=12.6,
            lon=108.0,
            time=t,
            observer="N. Surveyor",
            photo=f"{i}.jpg",
        )
        for i in ("o1", "o2")
    ]
    url = "https://example.org/api/nature/survey/observations/o1/photo"
    z = zipfile.ZipFile(
        io.BytesIO(darwin_core_archive(obs, {"o1": {"identifier": url, "format": "image/jpeg"}}))
    )
    occ = list(csv.DictReader(io.StringIO(z.read("occurrence.csv").decode())))
    assert [(r["occurrenceID"], r["associatedMedia"]) for r in occ] == [("o1", url), ("o2", "")]
    media = list(csv.DictReader(io.StringIO(z.read("multimedia.csv").decode())))
    assert media == [
        {
            "coreid": "o1",
            "type": "StillImage",
            "format": "image/jpeg",
            "identifier": url,
            "created": t.isoformat(),
            "creator": "N. Surveyor",
            "title": "o1.jpg",
        }
    ]
    ns = {"d": "http://rs.tdwg.org/dwc/text/"}
    meta = ET.fromstring(z.read("meta.xml"))
    ext = meta.find("d:extension", ns)
    assert ext is not None and ext.get("rowType") == "http://rs.gbif.org/terms/1.0/Multimedia"
    terms = {int(f.get("index", -1)): f.get("term") for f in ext.findall("d:field", ns)}
    assert terms[3] == "http://purl.org/dc/terms/identifier"
    core = meta.find("d:core", ns)
    assert core is not None and core.find("d:files/d:location", ns).text == "occurrence.csv"  # type: ignore[union-attr]
