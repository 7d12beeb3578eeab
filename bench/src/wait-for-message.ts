import type { ChildProcess } from "node:child_process";

/**
 * Waits for the child's next IPC message of one of the given types. Rejects when the child
 * reports `failed`, exits, or says nothing within `timeoutMs`: no wait of the runner is unbounded.
 */
export function waitForMessage<Message extends { type: string }, Type extends Message["type"]>(
  child: ChildProcess,
  what: string,
  types: readonly Type[],
  timeoutMs: number,
): Promise<Extract<Message, { type: Type }>> {
  return new Promise((resolve, reject) => {
    const cleanUp = () => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    const onMessage = (message: Message | { type: "failed"; message: string }) => {
      if (message.type === "failed" && "message" in message) {
        cleanUp();
        reject(new Error(`${what} failed: ${message.message}`));
      } else if ((types as readonly string[]).includes(message.type)) {
        cleanUp();
        resolve(message as Extract<Message, { type: Type }>);
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanUp();
      reject(new Error(`${what} exited (${signal ?? `code ${code}`}) while the runner waited for ${types.join(" or ")}`));
    };
    const timer = setTimeout(() => {
      cleanUp();
      reject(new Error(`${what} sent no ${types.join(" or ")} within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}
