// `npm run generate`: regenerates every generated file in the repo from spec/ data.
// Each generator lives in its own scripts/generate-*.ts; add yours to the list below.
import { writeErrorCatalogue } from "./generate-errors.ts";

writeErrorCatalogue();
