/**
 * The payload of a pack frame (docs/protocol.md, "Inboxes and frames"): several messages of a
 * stream in one NATS message, each as its length (an unsigned varint, as protobuf writes one)
 * followed by its bytes, in order.
 */
export function packMessages(payloads: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const payload of payloads) {
    size += varintSize(payload.length) + payload.length;
  }
  const packed = new Uint8Array(size);
  let offset = 0;
  for (const payload of payloads) {
    let length = payload.length;
    while (length > 0x7f) {
      packed[offset++] = (length & 0x7f) | 0x80;
      length >>>= 7;
    }
    packed[offset++] = length;
    packed.set(payload, offset);
    offset += payload.length;
  }
  return packed;
}

/** The messages of a pack frame's payload; throws when it is not one (a length that runs past its end). */
export function unpackMessages(packed: Uint8Array): Uint8Array[] {
  const payloads: Uint8Array[] = [];
  let offset = 0;
  while (offset < packed.length) {
    let length = 0;
    let shift = 0;
    for (;;) {
      if (offset >= packed.length || shift > 28) {
        throw new Error("a pack frame's message length is cut short or too long");
      }
      const byte = packed[offset++]!;
      length += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (byte < 0x80) {
        break;
      }
    }
    if (offset + length > packed.length) {
      throw new Error(`a pack frame's message of ${length} bytes runs past the frame's end`);
    }
    payloads.push(packed.subarray(offset, offset + length));
    offset += length;
  }
  return payloads;
}

/** Bytes of the varint that holds `value`. */
export function varintSize(value: number): number {
  let size = 1;
  while (value > 0x7f) {
    value >>>= 7;
    size += 1;
  }
  return size;
}
