// Nature page, field survey: the bytes of a photo, read on the device before it is kept (survey.js) — its image type
// from its first bytes, as the service checks it, and the EXIF block (GPS point, time taken) a smaller copy carries
// over (upright: the canvas drew it so) into a JPEG, where a camera writes it.

/** The image type from the file's first bytes (never from its name), as the service checks it: JPEG, PNG, WebP. */
async function photoType(file) {
  const b = new Uint8Array(await file.slice(0, 12).arrayBuffer());
  const ascii = (i, n) => String.fromCharCode(...b.slice(i, i + n));
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  if (b[0] === 0x89 && ascii(1, 3) === "PNG") return "image/png";
  if (ascii(0, 4) === "RIFF" && ascii(8, 4) === "WEBP") return "image/webp";
  return null;
}

/** The EXIF block (TIFF bytes: GPS point, time taken, …) of a JPEG (APP1 "Exif"), PNG (eXIf) or WebP (EXIF) file, where
 * the service reads it too (junkan.nature.photo), or null. */
function exifOf(buf) {
  const b = new Uint8Array(buf); const v = new DataView(buf);
  const is = (i, s) => i + s.length <= b.length && String.fromCharCode(...b.subarray(i, i + s.length)) === s;
  const block = (i, end) => b.slice(is(i, "Exif\0\0") ? i + 6 : i, end);
  let tiff = null;
  try {
    if (b[0] === 0xff && b[1] === 0xd8) {  // JPEG: segments (FF, marker, big-endian length) up to the first scan
      let i = 2;
      while (!tiff && b[i] === 0xff && b[i + 1] !== 0xda) {
        const len = v.getUint16(i + 2);
        if (len < 2) break;
        if (b[i + 1] === 0xe1 && is(i + 4, "Exif\0\0")) tiff = block(i + 4, i + 2 + len);
        i += 2 + len;
      }
    } else if (b[0] === 0x89 && is(1, "PNG")) {  // PNG: chunks (big-endian length, type, body, CRC) up to IEND
      let i = 8;
      while (!tiff && i + 8 <= b.length && !is(i + 4, "IEND")) {
        const len = v.getUint32(i);
        if (is(i + 4, "eXIf")) tiff = block(i + 8, i + 8 + len);
        i += 12 + len;
      }
    } else if (is(0, "RIFF") && is(8, "WEBP")) {  // WebP: chunks (type, little-endian length, body, padding to even)
      let i = 12;
      while (!tiff && i + 8 <= b.length) {
        const len = v.getUint32(i + 4, true);
        if (is(i, "EXIF")) tiff = block(i + 8, i + 8 + len);
        i += 8 + len + (len & 1);
      }
    }
  } catch { return null; }  // cut short: no EXIF
  return tiff && tiff.length >= 8 && (tiff[0] === 0x49 || tiff[0] === 0x4d) ? upright(tiff) : null;  // "II" or "MM"
}

/** The TIFF block with its Orientation (IFD0 tag 0x0112) set to 1: the canvas drew the photo upright already. */
function upright(tiff) {
  const v = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength); const le = tiff[0] === 0x49;
  try {
    const ifd = v.getUint32(4, le);
    for (let k = 0, n = v.getUint16(ifd, le); k < n; k++) {
      const p = ifd + 2 + 12 * k;
      if (v.getUint16(p, le) === 0x0112 && v.getUint16(p + 2, le) === 3) v.setUint16(p + 8, 1, le);
    }
  } catch { /* a malformed block goes as it is: the service ignores what it cannot read */ }
  return tiff;
}

/** The JPEG with the EXIF block as an APP1 segment right after its start (SOI), as a camera writes it. */
function withExif(jpeg, tiff) {
  if (!tiff || tiff.length + 8 > 0xffff) return new Blob([jpeg], { type: "image/jpeg" });  // no room in one segment
  const len = tiff.length + 8;
  const head = Uint8Array.of(0xff, 0xe1, len >> 8, len & 0xff, ...Array.from("Exif\0\0", (c) => c.charCodeAt(0)));
  return new Blob([jpeg.subarray(0, 2), head, tiff, jpeg.subarray(2)], { type: "image/jpeg" });
}

export { exifOf, photoType, withExif };
