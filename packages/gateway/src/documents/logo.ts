import { readFileSync } from "node:fs";
import { checkDocumentLogo, type DocumentLogo } from "./render.ts";

export class DocumentLogoError extends Error {
  override readonly name = "DocumentLogoError";
}

/** Reads and checks the configured logo once at start: a bad file stops the start, not the first print. */
export async function loadDocumentLogo(path: string | undefined): Promise<DocumentLogo | undefined> {
  if (path === undefined) return undefined;
  let image: Buffer;
  try {
    image = readFileSync(path);
  } catch (error) {
    throw new DocumentLogoError(`documentLogo: cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    await checkDocumentLogo({ image });
  } catch (error) {
    throw new DocumentLogoError(
      `documentLogo: ${path} is not a PNG or JPEG image pdfkit can print (${(error as Error).message})`,
    );
  }
  return { image };
}
