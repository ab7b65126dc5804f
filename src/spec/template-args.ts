/** `{{args.name}}` references in a template's metrics: what validation checks and normalisation fills. */

/** Global: use with `replace` or `matchAll`, which never depend on its lastIndex. */
export const ARG_REF = /\{\{\s*args\.([A-Za-z0-9_-]+)\s*\}\}/g
