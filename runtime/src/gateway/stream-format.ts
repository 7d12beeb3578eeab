/**
 * How a gateway writes the replies of a server-streaming method: newline-delimited JSON (one
 * object per line), or Server-Sent Events (one `data:` event per reply), which browsers read with
 * `EventSource`.
 */
export type StreamFormat = "ndjson" | "sse";

/** The `Content-Type` of each format. */
export const streamContentType: Readonly<Record<StreamFormat, string>> = { ndjson: "application/x-ndjson", sse: "text/event-stream" };

/** The format a request asks for: Server-Sent Events when its `Accept` names `text/event-stream`, else NDJSON. */
export function streamFormat(accept: string | string[] | undefined): StreamFormat {
  const text = Array.isArray(accept) ? accept.join(",") : (accept ?? "");
  const asksForEvents = text.split(",").some((part) => {
    const [type, ...parameters] = part.trim().toLowerCase().split(";");
    // `q=0` refuses a type.
    return type?.trim() === "text/event-stream" && !parameters.some((parameter) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(parameter));
  });
  return asksForEvents ? "sse" : "ndjson";
}

/** One reply in its format; `json` is one line (JSON.stringify writes no line breaks). */
export function replyFrame(format: StreamFormat, json: string): string {
  return format === "sse" ? `data: ${json}\n\n` : `${json}\n`;
}

/**
 * The last frame of a stream that failed after its first reply; `status` is the `google.rpc.Status`
 * JSON. NDJSON ends with `{"error": status}` as grpc-gateway's streams do, Server-Sent Events with
 * an `error` event.
 */
export function errorFrame(format: StreamFormat, status: string): string {
  return format === "sse" ? `event: error\ndata: ${status}\n\n` : `{"error":${status}}\n`;
}
