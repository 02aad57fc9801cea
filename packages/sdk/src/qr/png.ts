// A minimal PNG encoder for a 1-bit picture (8-bit greyscale rows): enough for a QR code, with a pHYs chunk
// so printers and viewers know the intended DPI (and so the physical size FBR asks for survives).
import { deflateSync } from "node:zlib";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const METRES_PER_INCH = 0.0254;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/**
 * Encodes a square greyscale picture: `isDark(x, y)` decides each pixel (black 0, white 255).
 * `dpi` is written as pixels per metre in pHYs.
 */
export function encodeGreyscalePng(
  widthPx: number,
  dpi: number,
  isDark: (x: number, y: number) => boolean,
): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(widthPx, 0);
  header.writeUInt32BE(widthPx, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(0, 9); // colour type 0: greyscale
  header.writeUInt8(0, 10); // compression: deflate
  header.writeUInt8(0, 11); // filter method 0
  header.writeUInt8(0, 12); // no interlace

  const rowLength = widthPx + 1;
  const raw = Buffer.alloc(rowLength * widthPx, 255);
  for (let y = 0; y < widthPx; y++) {
    raw[y * rowLength] = 0; // filter type None
    for (let x = 0; x < widthPx; x++) if (isDark(x, y)) raw[y * rowLength + 1 + x] = 0;
  }

  const pixelsPerMetre = Math.round(dpi / METRES_PER_INCH);
  const physical = Buffer.alloc(9);
  physical.writeUInt32BE(pixelsPerMetre, 0);
  physical.writeUInt32BE(pixelsPerMetre, 4);
  physical.writeUInt8(1, 8); // unit: metre

  return Buffer.concat([
    PNG_SIGNATURE,
    chunk("IHDR", header),
    chunk("pHYs", physical),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
