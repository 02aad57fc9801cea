// A small PNG reader for receipt images: thermal printers take 1-bit rasters, so the QR (rendered by the
// sdk as PNG) and the retailer's logo are decoded here and thresholded. Non-interlaced PNGs only, which is
// what the sdk and ordinary image tools write.
import { inflateSync } from "node:zlib";

export interface MonochromeImage {
  width: number;
  height: number;
  /** true = print a dot (dark pixel), row-major. */
  dots: boolean[];
}

export class PngReadError extends Error {
  override readonly name = "PngReadError";
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

/** Decodes a PNG and marks pixels darker than half (after compositing alpha on white paper) as dots. */
export function readPngAsMonochrome(png: Buffer): MonochromeImage {
  if (png.length < 8 || !png.subarray(0, 8).equals(SIGNATURE)) throw new PngReadError("not a PNG file");
  let offset = 8;
  let width = 0;
  let height = 0;
  let bitDepth = 0;
  let colorType = 0;
  let palette: Buffer | undefined;
  let transparency: Buffer | undefined;
  const data: Buffer[] = [];
  while (offset + 8 <= png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("ascii", offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    offset += 12 + length;
    if (type === "IHDR") {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      bitDepth = body[8] ?? 0;
      colorType = body[9] ?? 0;
      if ((body[12] ?? 0) !== 0)
        throw new PngReadError("interlaced PNGs are not supported; save the image without interlacing");
    } else if (type === "PLTE") palette = body;
    else if (type === "tRNS") transparency = body;
    else if (type === "IDAT") data.push(body);
    else if (type === "IEND") break;
  }
  if (width === 0 || height === 0) throw new PngReadError("PNG has no image header");
  if (width * height > 4_000_000) throw new PngReadError("image too large for a receipt");
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType];
  if (channels === undefined) throw new PngReadError(`unsupported PNG colour type ${colorType}`);
  if (bitDepth !== 8 && !(colorType === 3 || colorType === 0)) {
    throw new PngReadError(`unsupported PNG bit depth ${bitDepth} for colour type ${colorType}`);
  }
  if (bitDepth > 8) throw new PngReadError("16-bit PNGs are not supported");
  const raw = inflateSync(Buffer.concat(data));
  const bitsPerPixel = channels * bitDepth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const bytesPerPixel = Math.max(1, bitsPerPixel / 8);
  const pixels = Buffer.alloc(stride * height);
  let previous = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    for (let x = 0; x < stride; x++) {
      const value = line[x] ?? 0;
      const left = x >= bytesPerPixel ? (out[x - bytesPerPixel] ?? 0) : 0;
      const up = previous[x] ?? 0;
      const upLeft = x >= bytesPerPixel ? (previous[x - bytesPerPixel] ?? 0) : 0;
      let decoded: number;
      switch (filter) {
        case 0:
          decoded = value;
          break;
        case 1:
          decoded = value + left;
          break;
        case 2:
          decoded = value + up;
          break;
        case 3:
          decoded = value + ((left + up) >> 1);
          break;
        case 4:
          decoded = value + paeth(left, up, upLeft);
          break;
        default:
          throw new PngReadError(`corrupt PNG (filter ${filter})`);
      }
      out[x] = decoded & 0xff;
    }
    previous = out;
  }

  const sample = (y: number, index: number): number => {
    // index counts samples within the row (for bit depths below 8).
    const bitOffset = index * bitDepth;
    const byte = pixels[y * stride + (bitOffset >> 3)] ?? 0;
    const shift = 8 - bitDepth - (bitOffset & 7);
    return (byte >> shift) & ((1 << bitDepth) - 1);
  };
  const scale = 255 / ((1 << bitDepth) - 1);
  const dots: boolean[] = new Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r: number;
      let g: number;
      let b: number;
      let alpha = 255;
      if (colorType === 3) {
        const index = sample(y, x);
        r = palette?.[index * 3] ?? 0;
        g = palette?.[index * 3 + 1] ?? 0;
        b = palette?.[index * 3 + 2] ?? 0;
        alpha = transparency?.[index] ?? 255;
      } else if (colorType === 0 || colorType === 4) {
        r = g = b = sample(y, x * channels) * scale;
        if (colorType === 4) alpha = sample(y, x * channels + 1);
      } else {
        r = sample(y, x * channels);
        g = sample(y, x * channels + 1);
        b = sample(y, x * channels + 2);
        if (colorType === 6) alpha = sample(y, x * channels + 3);
      }
      const luminance = 0.299 * r + 0.587 * g + 0.114 * b;
      // Composite on white paper: transparent pixels print nothing.
      const onPaper = (luminance * alpha + 255 * (255 - alpha)) / 255;
      dots[y * width + x] = onPaper < 128;
    }
  }
  return { width, height, dots };
}

/** Nearest-neighbour resize to a width in printer dots (QR modules stay square and sharp). */
export function resizeMonochrome(image: MonochromeImage, targetWidth: number): MonochromeImage {
  const width = Math.max(1, Math.round(targetWidth));
  const height = Math.max(1, Math.round((image.height * width) / image.width));
  const dots: boolean[] = new Array(width * height);
  for (let y = 0; y < height; y++) {
    const sourceY = Math.min(image.height - 1, Math.floor((y * image.height) / height));
    for (let x = 0; x < width; x++) {
      const sourceX = Math.min(image.width - 1, Math.floor((x * image.width) / width));
      dots[y * width + x] = image.dots[sourceY * image.width + sourceX] ?? false;
    }
  }
  return { width, height, dots };
}
