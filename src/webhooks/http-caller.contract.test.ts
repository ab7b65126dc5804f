/**
 * The HTTP webhook caller against the WebhookCaller contract, calling a real `node:http` receiver
 * on 127.0.0.1 (port 0) that answers each webhook (one path each) as the contract arranges.
 */
import { freePort } from '../local/free-port.js'
import {
  RECEIVER_BEHAVIOURS,
  runWebhookCallerContract,
  type WebhookReply,
} from '../controller/test-utils/webhook-caller-contract.js'
import { HttpWebhookCaller } from './http-caller.js'
import { HookReceiver } from './test-utils/hook-receiver.js'

runWebhookCallerContract(
  'HTTP caller, real receiver on 127.0.0.1',
  async () => {
    const arranged = new Map<string, { replies: readonly WebhookReply[]; calls: number }>()
    const receiver = await HookReceiver.start((call) => {
      const hook = arranged.get(call.path.slice(1))
      if (hook === undefined) return { status: 404, body: `no webhook arranged at ${call.path}` }
      const reply = hook.replies[Math.min(hook.calls++, hook.replies.length - 1)]
      if (reply === 'hang') return { status: 0, hang: true }
      return { status: typeof reply === 'number' ? reply : 500, body: `answer to ${call.path}` }
    })
    return {
      // Short pauses between attempts: the contract counts retries, it does not wait for them.
      caller: new HttpWebhookCaller({ backoffMs: 10, maxBackoffMs: 50 }),
      arrange: async (name, replies) => {
        if (replies.includes('down'))
          return { kind: 'url', url: `http://127.0.0.1:${await freePort()}/${name}` }
        arranged.set(name, { replies, calls: 0 })
        return { kind: 'url', url: receiver.url(`/${name}`) }
      },
      received: (name) =>
        receiver.on(`/${name}`).map((c) => ({
          method: c.method,
          contentType: c.headers['content-type'],
          body: c.body,
        })),
      close: () => receiver.close(),
    }
  },
  RECEIVER_BEHAVIOURS,
)
