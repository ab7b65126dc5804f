/** Building blocks of the daemon API's schemas: open response objects and revision numbers. */
import Type, { type TProperties } from 'typebox'

/**
 * A response object: the listed properties are described, and any others pass through unchanged —
 * the serializer drops properties a closed schema does not list, and the CLI reads whole views.
 */
export function OpenObject<T extends TProperties>(properties: T, description?: string) {
  return Type.Object(properties, {
    additionalProperties: true,
    ...(description === undefined ? {} : { description }),
  })
}

export const Revision = () => Type.Integer({ minimum: 0 })
