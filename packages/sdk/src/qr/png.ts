// PNG output through pngjs (the encoder qrcode itself renders with), plus the one thing pngjs cannot write:
// a pHYs chunk, so printers and viewers know the intended DPI and the physical size FBR asks for survives.
//
// qrcode's own toBuffer is not used: it only reaches an exact pixel width through a fractional scale or
// margin, and its float arithmetic then gives uneven modules or a width one pixel short (e.g. 124 px).
import { createRequire } from "node:module";
import { crc32 } from "node:zlib";

/** The part of pngjs this file uses (pngjs ships no types; it is a CommonJS module). */
interface PngSyncWriter {
  PNG: {
    sync: {
      write(
        png: { width: number; height: number; data: Buffer },
        options: { colorType: 0; inputColorType: 0; inputHasAlpha: false; filterType: 0; deflateLevel: 9 },
      ): Buffer;
    };
  };
}

const { PNG } = createRequire(import.meta.url)("pngjs") as PngSyncWriter;

const METRES_PER_INCH = 0.0254;
/** 8-byte signature + IHDR (4 length + 4 type + 13 data + 4 CRC): pHYs must come before IDAT. */
const AFTER_IHDR = 8 + 25;

/**
 * Encodes a square greyscale picture: `isDark(x, y)` decides each pixel (black 0, white 255).
 * `dpi` is written as pixels per metre in pHYs.
 */
export function encodeGreyscalePng(
  widthPx: number,
  dpi: number,
  isDark: (x: number, y: number) => boolean,
): Buffer {
  const pixels = Buffer.alloc(widthPx * widthPx, 255);
  for (let y = 0; y < widthPx; y++) {
    for (let x = 0; x < widthPx; x++) if (isDark(x, y)) pixels[y * widthPx + x] = 0;
  }
  const png = PNG.sync.write(
    { width: widthPx, height: widthPx, data: pixels },
    // Greyscale in and out, filter 0 on every row: the smallest file for two colours, and plain to read.
    { colorType: 0, inputColorType: 0, inputHasAlpha: false, filterType: 0, deflateLevel: 9 },
  );
  return Buffer.concat([png.subarray(0, AFTER_IHDR), physicalSizeChunk(dpi), png.subarray(AFTER_IHDR)]);
}

/** pHYs (PNG spec §11.3.5.3): pixels per metre on both axes, unit 1 = metre. */
function physicalSizeChunk(dpi: number): Buffer {
  const pixelsPerMetre = Math.round(dpi / METRES_PER_INCH);
  const chunk = Buffer.alloc(4 + 4 + 9 + 4);
  chunk.writeUInt32BE(9, 0);
  chunk.write("pHYs", 4, "latin1");
  chunk.writeUInt32BE(pixelsPerMetre, 8);
  chunk.writeUInt32BE(pixelsPerMetre, 12);
  chunk.writeUInt8(1, 16);
  // The CRC covers the chunk type and data, not the length.
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 17)), 17);
  return chunk;
}
