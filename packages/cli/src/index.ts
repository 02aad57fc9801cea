/** The `raseed` command tree, for embedding or testing; the `raseed` bin runs it on process.argv. */
export { buildProgram } from "./program.ts";
