/** The API gates on their own: which Host headers count as loopback, and the token comparison. */
import { describe, expect, it } from 'vitest'
import { checkHost, checkToken, hostName } from './guards.js'

describe('checkHost', () => {
  it.each(['127.0.0.1', '127.0.0.1:4000', 'localhost', 'LocalHost:1', '[::1]', '[::1]:8080'])(
    'lets %s through',
    (host) => expect(checkHost(host, '/s/api.json')).toBeUndefined(),
  )

  it.each([
    'evil.example',
    'evil.example:1234',
    'localhost.evil.example',
    '127.0.0.1.nip.io',
    '127.0.0.2',
    '0.0.0.0',
    '::1',
    '[::2]',
    'localhost:',
    'localhost:http',
    '',
  ])('refuses %j with 403 KANARI_FORBIDDEN_HOST naming it', (host) => {
    const refused = checkHost(host, '/s/api.json')
    expect(refused?.httpStatus).toBe(403)
    expect(refused?.code).toBe('KANARI_FORBIDDEN_HOST')
    expect(refused?.message).toContain(`"${host}"`)
    expect(refused?.hint).toContain('/s/api.json')
  })

  it('refuses a request without a Host header', () => {
    expect(checkHost(undefined, '/s/api.json')?.message).toMatch(/without a Host header/)
  })

  it('strips the port and lower-cases the name', () => {
    expect(hostName('[::1]:80')).toBe('[::1]')
    expect(hostName('LOCALHOST:80')).toBe('localhost')
    expect(hostName('a:b:c')).toBeUndefined()
  })
})

describe('checkToken', () => {
  it('accepts the token with or without a Bearer prefix, refuses anything else', () => {
    expect(checkToken('Bearer s3cret', 's3cret')).toBeUndefined()
    expect(checkToken('bearer s3cret', 's3cret')).toBeUndefined()
    for (const header of [undefined, '', 'Bearer s3cre', 'Bearer s3cret!', 'Basic s3cret'])
      expect(checkToken(header, 's3cret')?.httpStatus).toBe(401)
  })
})
