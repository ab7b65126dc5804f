import { describe, expect, it } from 'vitest'
import { compileLogic, JsonLogicError } from './json-logic.js'

const run = (rule: unknown, data: unknown = {}) => compileLogic(rule)(data)

// Expected values are JsonLogic's reference behaviour (json-logic-js, jsonlogic.com's operations table).
describe('JsonLogic', () => {
  it.each([
    [{ '==': [1, '1'] }, {}, true],
    [{ '===': [1, '1'] }, {}, false],
    [{ '!=': [1, 2] }, {}, true],
    [{ '!==': [1, 1] }, {}, false],
    [{ '>': [2, 1] }, {}, true],
    [{ '>=': [1, 1] }, {}, true],
    [{ '<': [1, 2, 3] }, {}, true],
    [{ '<': [1, 3, 2] }, {}, false],
    [{ '<=': [1, 1, 3] }, {}, true],
    [{ '!': [[]] }, {}, true],
    [{ '!!': ['0'] }, {}, true],
    [{ '!!': [[]] }, {}, false],
    [{ and: [true, 'a', 3] }, {}, 3],
    [{ and: [true, '', 3] }, {}, ''],
    [{ or: [false, 0, 'x'] }, {}, 'x'],
    [{ or: [false, []] }, {}, []],
    [{ if: [false, 'a', true, 'b', 'c'] }, {}, 'b'],
    [{ if: [false, 'a', false, 'b', 'c'] }, {}, 'c'],
    [{ if: [false, 'a'] }, {}, null],
    [{ '?:': [true, 1, 2] }, {}, 1],
    [{ '+': [1, '2', 3.5] }, {}, 6.5],
    [{ '-': [5, 2] }, {}, 3],
    [{ '-': [5] }, {}, -5],
    [{ '*': [2, '3'] }, {}, 6],
    [{ '/': [7, 2] }, {}, 3.5],
    [{ '%': [7, 3] }, {}, 1],
    [{ min: [3, 1, 2] }, {}, 1],
    [{ max: [3, 1, 2] }, {}, 3],
    [{ cat: ['a', 1, null, 'b'] }, {}, 'a1b'],
    [{ substr: ['jsonlogic', 4] }, {}, 'logic'],
    [{ substr: ['jsonlogic', -5] }, {}, 'logic'],
    [{ substr: ['jsonlogic', 1, 3] }, {}, 'son'],
    [{ substr: ['jsonlogic', 4, -2] }, {}, 'log'],
    [{ in: ['Spring', 'Springfield'] }, {}, true],
    [{ in: ['b', ['a', 'b']] }, {}, true],
    [{ in: ['c', 5] }, {}, false],
    [{ merge: [[1, 2], 3, [4]] }, {}, [1, 2, 3, 4]],
    [{ var: 'a.b' }, { a: { b: 7 } }, 7],
    [{ var: ['a.c', 'dflt'] }, { a: { b: 7 } }, 'dflt'],
    [{ var: 1 }, ['x', 'y'], 'y'],
    [{ var: '' }, { z: 1 }, { z: 1 }],
    [{ var: 'n' }, { n: null }, null],
    [{ var: 'constructor' }, {}, null],
    [{ var: '__proto__' }, {}, null],
    [{ missing: ['a', 'b', 'c'] }, { a: 1, c: '' }, ['b', 'c']],
    [{ missing_some: [1, ['a', 'b']] }, { b: 1 }, []],
    [{ missing_some: [2, ['a', 'b', 'c']] }, { b: 1 }, ['a', 'c']],
    [{ map: [{ var: 'xs' }, { '*': [{ var: '' }, 2] }] }, { xs: [1, 2] }, [2, 4]],
    [{ filter: [{ var: 'xs' }, { '>': [{ var: '' }, 1] }] }, { xs: [1, 2, 3] }, [2, 3]],
    [
      { reduce: [{ var: 'xs' }, { '+': [{ var: 'current' }, { var: 'accumulator' }] }, 10] },
      { xs: [1, 2] },
      13,
    ],
    [{ all: [{ var: 'xs' }, { '>': [{ var: '' }, 0] }] }, { xs: [1, 2] }, true],
    [{ all: [[], true] }, {}, false],
    [{ some: [{ var: 'xs' }, { '>': [{ var: '' }, 1] }] }, { xs: [1, 2] }, true],
    [{ none: [{ var: 'xs' }, { '>': [{ var: '' }, 5] }] }, { xs: [1, 2] }, true],
    [{ a: 1, b: 2 }, {}, { a: 1, b: 2 }],
    [[1, { var: 'x' }], { x: 2 }, [1, 2]],
  ])('%j with %j is %j', (rule, data, want) => {
    expect(run(rule, data)).toEqual(want)
  })

  it('refuses an unknown operator at compile time, naming where it is', () => {
    expect(() => compileLogic({ if: [{ and: [true, { bogus: [1] }] }, 1, 2] })).toThrow(
      JsonLogicError,
    )
    try {
      compileLogic({ if: [{ and: [true, { bogus: [1] }] }, 1, 2] })
    } catch (err) {
      expect((err as JsonLogicError).path).toBe('if[0].and[1].bogus')
    }
  })

  it('evaluates lazily: if, and, or do not run the branches they skip', () => {
    let calls = 0
    const spy = compileLogic(
      { or: [true, { count: [] }] },
      { operations: { count: () => ++calls } },
    )
    expect(spy({})).toBe(true)
    expect(calls).toBe(0)
  })
})
