// Module resolve hook for development checkouts: adds the "@raseed/source" export condition, under which each
// workspace package resolves to its TypeScript sources instead of its dist/ build (see bin/raseed.js).
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes("@raseed/source")
    ? context.conditions
    : ["@raseed/source", ...context.conditions];
  return nextResolve(specifier, { ...context, conditions });
}
