/**
 * MurmurHash3 x86 32-bit, seed 0, over the UTF-8 bytes of a string: the hash flagd's `fractional`
 * buckets by (Go's murmur3.StringSum32). Bytes are produced on the fly, without an encoder buffer;
 * a lone surrogate is hashed as U+FFFD, as JSON decoding and TextEncoder both turn it into.
 */

const C1 = 0xcc9e2d51
const C2 = 0x1b873593

let bytes = new Uint8Array(256)

/** `text` as UTF-8 into the shared buffer; returns the byte length. */
function utf8(text: string): number {
  if (bytes.length < text.length * 3) bytes = new Uint8Array(text.length * 3)
  const b = bytes
  let n = 0
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i)
    if (c < 0x80) b[n++] = c
    else if (c < 0x800) {
      b[n++] = 0xc0 | (c >> 6)
      b[n++] = 0x80 | (c & 0x3f)
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00)
          i++
          b[n++] = 0xf0 | (c >> 18)
          b[n++] = 0x80 | ((c >> 12) & 0x3f)
          b[n++] = 0x80 | ((c >> 6) & 0x3f)
          b[n++] = 0x80 | (c & 0x3f)
          continue
        }
        c = 0xfffd
      }
      b[n++] = 0xe0 | (c >> 12)
      b[n++] = 0x80 | ((c >> 6) & 0x3f)
      b[n++] = 0x80 | (c & 0x3f)
    }
  }
  return n
}

/** The unsigned 32-bit hash of `text`'s UTF-8 bytes. */
export function murmur3(text: string): number {
  const length = utf8(text)
  const b = bytes
  let h = 0
  const blocks = length & ~3
  for (let i = 0; i < blocks; i += 4) {
    let k =
      (b[i] as number) |
      ((b[i + 1] as number) << 8) |
      ((b[i + 2] as number) << 16) |
      ((b[i + 3] as number) << 24)
    k = Math.imul(k, C1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, C2)
    h ^= k
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  const tail = length & 3
  if (tail > 0) {
    let k = b[blocks] as number
    if (tail > 1) k |= (b[blocks + 1] as number) << 8
    if (tail > 2) k |= (b[blocks + 2] as number) << 16
    k = Math.imul(k, C1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, C2)
    h ^= k
  }
  h ^= length
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/**
 * `(hash × totalWeight) >> 32` without BigInt: the product can pass 2^53, so the hash is split in
 * 16-bit halves whose partial products stay exact in a double.
 */
export function bucketOf(hash: number, totalWeight: number): number {
  const hi = hash >>> 16
  const lo = hash & 0xffff
  return Math.floor((hi * totalWeight + Math.floor((lo * totalWeight) / 65536)) / 65536)
}
