"""Survey photos: the image type sniffed from the bytes (never from a file name or a
Content-Type), the file's structure walked to its end, its size checked, and the GPS point of
its EXIF block read for comparison only (the observation's recorded point is the one kept).

- JPEG (ITU-T T.81 / JFIF): markers from SOI through frame (SOF), scans (SOS, the
  entropy-coded data skipped to the next marker) to EOI;
- PNG (ISO/IEC 15948): signature, IHDR first, every chunk's CRC-32, IDAT, IEND;
- WebP (RIFF container, Google's WebP container specification): RIFF size, chunks,
  the VP8 / VP8L / VP8X header with the canvas size.

Whatever follows the image's end (EOI, IEND, the RIFF size: trailers, appended files,
polyglot tails) is cut off, so only the image is stored and served. The EXIF GPS point
comes from the TIFF structure of the JPEG APP1 ``Exif`` segment, the PNG ``eXIf`` chunk or
the WebP ``EXIF`` chunk (CIPA DC-008 Exif 2.32, GPS tags 1–4); a malformed EXIF block is
ignored, never an error (it is optional information)."""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass

from junkan.core.errors import JunkanError

MAX_BYTES = 10 * 1024 * 1024
"""Largest photo accepted (bytes). ASSUMPTION (junkan team, 2026-12-01): a 12–50 MP phone
JPEG is 2–8 MB; under the service's 16 MiB request limit."""
MAX_PIXELS = 100_000_000
"""Most pixels (width × height) accepted: a decompression bomb is refused before anyone
decodes it (assumption: above the largest phone sensors, 50 MP common, 200 MP rare and
binned to 12–50 MP by default)."""
MAX_SIDE = 30_000
"""Longest side accepted (pixels; assumption, as MAX_PIXELS)."""
TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


class PhotoError(JunkanError):
    """Not an acceptable photo (the message says why and what to send)."""

    http_status = 415


class PhotoTooLarge(JunkanError):
    http_status = 413


@dataclass(frozen=True)
class Photo:
    """A checked photo: its bytes up to the image's end, type, pixel size and EXIF point."""

    data: bytes
    media_type: str
    width: int
    height: int
    exif_lat: float | None = None
    exif_lon: float | None = None


def check_photo(data: bytes, name: str = "photo") -> Photo:
    """The photo in ``data`` checked (see the module's doc); :class:`PhotoError` (415) or
    :class:`PhotoTooLarge` (413) naming ``name`` otherwise."""
    if len(data) > MAX_BYTES:
        raise PhotoTooLarge(
            f"{name}: {len(data):,} bytes; at most {MAX_BYTES:,} (send a smaller photo)"
        )
    try:
        if data.startswith(b"\xff\xd8\xff"):
            kind, end, w, h, exif = "jpeg", *_jpeg(data)
        elif data.startswith(b"\x89PNG\r\n\x1a\n"):
            kind, end, w, h, exif = "png", *_png(data)
        elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            kind, end, w, h, exif = "webp", *_webp(data)
        else:
            raise PhotoError(
                f"{name}: not a JPEG, PNG or WebP image (its first bytes say so, whatever its "
                "name); send the camera's photo as JPEG, PNG or WebP"
            )
    except _Damaged as exc:
        raise PhotoError(f"{name}: damaged {exc}; send the camera's file unchanged") from None
    except (IndexError, ValueError, struct.error):
        raise PhotoError(f"{name}: the image is cut short or damaged; send it again") from None
    if w < 1 or h < 1 or w > MAX_SIDE or h > MAX_SIDE or w * h > MAX_PIXELS:
        raise PhotoError(
            f"{name}: {w} × {h} pixels; at most {MAX_SIDE:,} per side and {MAX_PIXELS:,} "
            "in all (send a smaller photo)"
        )
    lat, lon = gps(exif) if exif else (None, None)
    return Photo(data[:end], TYPES[kind], w, h, lat, lon)


class _Damaged(Exception):
    """Raised by the parsers with what is wrong; :func:`check_photo` names the file."""


def _damaged(what: str) -> _Damaged:
    return _Damaged(what)


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(d: bytes) -> tuple[int, int, int, bytes | None]:
    """(end of the image, width, height, EXIF TIFF block) of a JPEG."""
    i, size, exif, scans = 2, None, None, 0
    while True:
        if d[i] != 0xFF:
            raise _damaged("JPEG (no marker where one must be)")
        while d[i] == 0xFF:  # fill bytes
            i += 1
        m = d[i]
        i += 1
        if m == 0xD9:  # EOI
            if size is None or not scans:
                raise _damaged("JPEG (no frame or no scan before its end)")
            return i, size[0], size[1], exif
        if 0xD0 <= m <= 0xD7 or m == 0x01:
            continue
        (n,) = struct.unpack(">H", d[i : i + 2])
        if n < 2 or i + n > len(d):
            raise _damaged("JPEG (a segment runs past the file's end)")
        seg = d[i + 2 : i + n]
        if m in _SOF:
            h, w = struct.unpack(">HH", seg[1:5])
            size = (w, h)
        elif m == 0xE1 and seg.startswith(b"Exif\0\0") and exif is None:
            exif = seg[6:]
        i += n
        if m == 0xDA:  # a scan: entropy-coded data up to the next marker (not RST, not FF00)
            scans += 1
            while True:
                i = d.index(b"\xff", i)
                nxt = d[i + 1]
                if nxt == 0x00 or 0xD0 <= nxt <= 0xD7 or nxt == 0xFF:
                    i += 1 if nxt == 0xFF else 2
                    continue
                break


def _png(d: bytes) -> tuple[int, int, int, bytes | None]:
    i, size, exif, idat = 8, None, None, False
    while True:
        n, kind = struct.unpack(">I4s", d[i : i + 8])
        body = d[i + 8 : i + 8 + n]
        if len(body) != n or i + 12 + n > len(d):
            raise _damaged("PNG (a chunk runs past the file's end)")
        (crc,) = struct.unpack(">I", d[i + 8 + n : i + 12 + n])
        if zlib.crc32(kind + body) != crc:
            raise _damaged(f"PNG (chunk {kind.decode('latin-1')!r} fails its CRC)")
        if size is None and kind != b"IHDR":
            raise _damaged("PNG (IHDR is not first)")
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat = True
        elif kind == b"eXIf":
            exif = body
        i += 12 + n
        if kind == b"IEND":
            if size is None or not idat:
                raise _damaged("PNG (no image data)")
            return i, size[0], size[1], exif


def _webp(d: bytes) -> tuple[int, int, int, bytes | None]:
    (riff,) = struct.unpack("<I", d[4:8])
    end = riff + 8
    if end > len(d) or riff < 12:
        raise _damaged("WebP (the RIFF size runs past the file's end)")
    i, size, exif, image = 12, None, None, False
    while i + 8 <= end:
        kind, n = struct.unpack("<4sI", d[i : i + 8])
        body = d[i + 8 : i + 8 + n]
        if i + 8 + n > end:
            raise _damaged("WebP (a chunk runs past the RIFF size)")
        if kind == b"VP8 ":
            if body[3:6] != b"\x9d\x01\x2a":
                raise _damaged("WebP (VP8 start code)")
            w, h = struct.unpack("<HH", body[6:10])
            size = size or (w & 0x3FFF, h & 0x3FFF)
            image = True
        elif kind == b"VP8L":
            if body[0] != 0x2F:
                raise _damaged("WebP (VP8L signature)")
            (bits,) = struct.unpack("<I", body[1:5])
            size = size or ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
            image = True
        elif kind == b"VP8X":
            w = int.from_bytes(body[4:7], "little") + 1
            h = int.from_bytes(body[7:10], "little") + 1
            size = (w, h)
        elif kind in (b"ANMF", b"ALPH"):
            image = image or kind == b"ANMF"
        elif kind == b"EXIF":
            exif = body[6:] if body.startswith(b"Exif\0\0") else body
        i += 8 + n + (n & 1)
    if size is None or not image:
        raise _damaged("WebP (no image data)")
    return end, size[0], size[1], exif


def gps(tiff: bytes) -> tuple[float | None, float | None]:
    """The EXIF GPS point (decimal degrees, WGS 84 as Exif records it) of a TIFF block, or
    (None, None) when it has none or the block is malformed."""
    try:
        return _gps(tiff)
    except (IndexError, struct.error, ValueError, ZeroDivisionError):
        return None, None


def _gps(t: bytes) -> tuple[float | None, float | None]:
    e = {b"II": "<", b"MM": ">"}[t[:2]]
    if struct.unpack(e + "H", t[2:4])[0] != 42:
        return None, None

    def ifd(off: int) -> dict[int, tuple[int, int, int]]:
        (n,) = struct.unpack(e + "H", t[off : off + 2])
        out = {}
        for k in range(min(n, 512)):
            p = off + 2 + 12 * k
            tag, typ, cnt = struct.unpack(e + "HHI", t[p : p + 8])
            out[tag] = (typ, cnt, p + 8)
        return out

    ifd0 = ifd(struct.unpack(e + "I", t[4:8])[0])
    if 0x8825 not in ifd0:
        return None, None
    g = ifd(struct.unpack(e + "I", t[ifd0[0x8825][2] : ifd0[0x8825][2] + 4])[0])

    def ref(tag: int) -> str:
        return chr(t[g[tag][2]])

    def degrees(tag: int) -> float:
        typ, cnt, p = g[tag]
        if typ != 5 or cnt != 3:
            raise ValueError("GPS coordinate is not three rationals")
        (off,) = struct.unpack(e + "I", t[p : p + 4])
        v = struct.unpack(e + "6I", t[off : off + 24])
        d, m, s = (v[2 * k] / v[2 * k + 1] for k in range(3))
        return d + m / 60 + s / 3600

    if not all(k in g for k in (1, 2, 3, 4)):
        return None, None
    lat, lon = degrees(2), degrees(4)
    lat, lon = (-lat if ref(1) == "S" else lat), (-lon if ref(3) == "W" else lon)
    if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
        return None, None
    return lat, lon


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (m) on a sphere of the mean Earth radius 6,371,008.8 m (IUGG;
    haversine formula): how far the photo's EXIF point lies from the recorded point."""
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))
