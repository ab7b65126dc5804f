/**
 * Argo Rollouts' success and failure conditions (expr-lang) as Kanari's safe conditions: the forms
 * that mean the same are rewritten (`asFloat(x)` is `x`, `and` is `&&`); anything else Kanari cannot
 * evaluate is reported, never passed through to fail later.
 */
import { checkConditionSyntax } from '../analysis/condition.js'
import { fillArgs } from '../spec/template-args.js'

export function kanariCondition(
  source: string,
): { condition: string; changed: boolean } | { error: string } {
  const rewritten = source
    // Kanari's results are numbers already: the conversions are the identity.
    .replace(/\bas(?:Float|Int)\s*\(/g, '(')
    .replace(/\s+and\s+/g, ' && ')
    .replace(/\s+or\s+/g, ' || ')
    .replace(/(^|[\s(])not\s+/g, '$1!')
    .trim()
  const problem = checkConditionSyntax(fillArgs(rewritten, new Map(), '0'))
  if (problem !== undefined)
    return {
      error: `Kanari's conditions take numbers, result, result[i], comparisons, && || !, len, isNaN, default, abs, min, max: ${problem}`,
    }
  return { condition: rewritten, changed: rewritten !== source.trim() }
}
