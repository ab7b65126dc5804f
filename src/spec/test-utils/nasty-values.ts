/**
 * Values that have broken parsers before, as fast-check arbitraries: nasty strings, edge numbers, and
 * any small value a YAML document can hold.
 */
import fc from 'fast-check'

/** Strings that have broken parsers before: controls, bidi overrides, emoji, YAML and JSON syntax. */
export const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\u001b[31mred',
  '\r\n',
  '\u202eevil',
  '\u2028',
  '\ud83d\ude80 rocket',
  'chéckout',
  'ＣＨＥＣＫＯＵＴ',
  '\ud800',
  '__proto__',
  'constructor',
  'toString',
  '{{args.x}}',
  '*alias',
  '&anchor',
  '- item',
  'key: value',
  '"quoted"',
  '#comment',
  '%',
  '-1',
  '1e999',
  'NaN',
  'null',
  'true',
  '0x10',
  '30s',
  '-5s',
  '999999999999999999999h',
]

const scalarArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(...NASTY_STRINGS),
  fc.integer(),
  fc.constantFrom(0, -1, 1, 100, 101, 65536, Number.MAX_SAFE_INTEGER, 1e308, -0.5, 0.5),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
)

/** Any value a YAML document can hold, small. */
export const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: scalarArb },
  fc.constant({}),
  fc.constant([]),
  fc.array(scalarArb, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), scalarArb, { maxKeys: 3 }),
)
