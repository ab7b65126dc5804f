/** What `undo` takes (a revision, forced or not) and what a view says it can go back to. */
import Type from 'typebox'
import { OpenObject, Revision } from './open-object.js'

export const UndoBody = Type.Object({
  toRevision: Type.Optional(
    Type.Integer({
      minimum: 1,
      description:
        'revision to roll out again (default: the newest one that was promoted and healthy, never a rolled-back one)',
    }),
  ),
  force: Type.Optional(
    Type.Boolean({
      description:
        'release `toRevision` even though it was rolled back (default false: refused, 409)',
    }),
  ),
})

export const UndoChoices = OpenObject(
  {
    defaultRevision: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
      description: '`undo` without a revision goes here: the newest promoted, healthy one',
    }),
    revisions: Type.Array(
      OpenObject(
        {
          revision: Revision(),
          outcome: Type.Union(
            [Type.Literal('healthy'), Type.Literal('rolledBack'), Type.Literal('never-stable')],
            { description: 'how its last release ended' },
          ),
        },
        'a stored revision',
      ),
    ),
  },
  'what `kanari undo` can go back to',
)
