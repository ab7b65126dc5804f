import { describe, expect, it } from 'vitest'
import { checkConditionSyntax, evaluateCondition, parseCondition } from './condition.js'

describe('conditions', () => {
  const cases: [string, number | number[], boolean][] = [
    ['result >= 0.99', 0.995, true],
    ['result >= 0.99', 0.98, false],
    ['result[0] < 5 && result[1] > 2', [4, 3], true],
    ['result[0] < 5 && result[1] > 2', [4, 1], false],
    ['len(result) == 0 || result[0] > 10', [], true],
    ['isNaN(result)', Number.NaN, true],
    ['default(result, 0) <= 1', Number.NaN, true],
    ['!(result > 2) && -result < 0', 1, true],
    ['(result + 1) * 2 / 4 == 1', 1, true],
    ['max(result) - min(result) < 3', [1, 2, 3], true],
    ['abs(result) > 1', -2, true],
  ]
  for (const [src, result, want] of cases) {
    it(`${src} with ${JSON.stringify(result)} is ${want}`, () => {
      expect(evaluateCondition(parseCondition(src), result)).toBe(want)
    })
  }

  it('refuses anything but the expression language, saying where', () => {
    expect(checkConditionSyntax('result >= ')).toMatch(/unexpected end at column 11/)
    expect(checkConditionSyntax('system("rm") > 0')).toMatch(/unexpected character/)
    expect(checkConditionSyntax('exit(1)')).toMatch(/unknown name "exit"/)
    expect(checkConditionSyntax('result >= 1; x')).toMatch(/unexpected character at column 12/)
    expect(checkConditionSyntax('len(result, 2) > 0')).toMatch(/len\(\) takes 1 argument/)
    expect(checkConditionSyntax('result >= 1')).toBeUndefined()
  })
})
