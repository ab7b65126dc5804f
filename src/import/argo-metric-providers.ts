/**
 * The providers of Argo Rollouts' metrics as Kanari's: prometheus, web, and job (Kubernetes only).
 */
import type { Doc, ImportContext } from './context.js'
import type { Path, Source } from './source.js'

export function prometheusOf(src: Source, at: Path): Doc {
  const out: Doc = {
    address: src.string([...at, 'address']) ?? '',
    query: src.string([...at, 'query']) ?? '',
  }
  const timeout = src.number([...at, 'timeout'])
  if (timeout !== undefined) out.timeout = timeout
  src.drop([...at, 'headers'], "Kanari's prometheus provider sends no extra headers")
  src.drop(
    [...at, 'authentication'],
    "credentials do not belong in a spec; Kanari's prometheus provider reads them from the environment or a file",
  )
  src.drop([...at, 'insecure'], 'Kanari always verifies TLS certificates')
  src.drop(
    [...at, 'rangeQuery'],
    "Kanari's prometheus metrics are instant queries; fold the range into the query ([5m])",
  )
  return out
}

export function webOf(src: Source, at: Path, ctx: ImportContext): Doc {
  const out: Doc = { url: src.string([...at, 'url']) ?? '' }
  const method = src.string([...at, 'method'])
  if (method !== undefined) out.method = method
  const headers: Record<string, string> = {}
  src.items([...at, 'headers']).forEach((h, i) => {
    const key = src.string([...at, 'headers', i, 'key'])
    const value = src.string([...at, 'headers', i, 'value'])
    if (key !== undefined && value !== undefined) headers[key] = value
  })
  if (Object.keys(headers).length > 0) out.headers = headers
  const body = src.string([...at, 'body'])
  if (body !== undefined) out.body = body
  const jsonBody = src.get([...at, 'jsonBody'])
  if (jsonBody !== undefined) {
    src.take([...at, 'jsonBody'])
    out.body = JSON.stringify(jsonBody)
  }
  const path = src.string([...at, 'jsonPath'])
  if (path === undefined) {
    out.jsonPath = '$'
    ctx.note(
      src,
      at,
      'jsonPath set to $ (the whole answer): Kanari reads JSON answers only, so a plain-text answer needs a JSON endpoint',
    )
  } else out.jsonPath = path.replace(/^\{(.*)\}$/s, '$1').trim()
  const timeout = src.number([...at, 'timeoutSeconds'])
  if (timeout !== undefined) out.timeout = timeout
  src.drop([...at, 'insecure'], 'Kanari always verifies TLS certificates')
  src.drop(
    [...at, 'authentication'],
    'credentials do not belong in a spec; use a header whose value comes from an arg',
  )
  return out
}

/**
 * Argo's job provider (a whole JobSpec) as Kanari's (one container's image and command): a Job
 * whose one container names its program, run once. What a Kanari Job cannot hold is given up.
 */
export function jobOf(src: Source, at: Path): Doc | string {
  const pod = [...at, 'spec', 'template', 'spec']
  const containers = src.items([...pod, 'containers'])
  if (containers.length !== 1)
    return `its Job has ${containers.length} containers: Kanari's job provider runs one`
  const c = [...pod, 'containers', 0]
  const image = src.get([...c, 'image'])
  const command = src.get([...c, 'command'])
  const args = src.get([...c, 'args'])
  const strings = (v: unknown): v is string[] =>
    Array.isArray(v) && v.every((x) => typeof x === 'string')
  if (typeof image !== 'string' || !strings(command) || command.length === 0)
    return "its Job's container has no image or no command: Kanari's job provider runs a command it is given, not the image's entrypoint; write the command out"
  if (args !== undefined && !strings(args)) return "its Job's container args are not strings"
  src.take([...c, 'image'])
  src.take([...c, 'command'])
  if (args !== undefined) src.take([...c, 'args'])
  const out: Doc = { image, command: [...command, ...(args ?? [])] }
  const deadline = src.number([...at, 'spec', 'activeDeadlineSeconds'])
  if (deadline !== undefined) out.timeout = deadline
  src.drop([...c, 'name'], "Kanari names the Job's container itself")
  if (src.get([...pod, 'restartPolicy']) === 'Never') src.take([...pod, 'restartPolicy'])
  else src.drop([...pod, 'restartPolicy'], 'Kanari runs the container once (restartPolicy Never)')
  if (src.get([...at, 'spec', 'backoffLimit']) === 0) src.take([...at, 'spec', 'backoffLimit'])
  else
    src.drop(
      [...at, 'spec', 'backoffLimit'],
      "Kanari runs each measurement's Job once, with no retries; a failed Job is a failed measurement",
    )
  src.drop([...at, 'metadata'], "Kanari's Jobs carry Kanari's labels only")
  src.drop([...at, 'spec', 'template', 'metadata'], "Kanari's Jobs carry Kanari's labels only")
  return out
}
