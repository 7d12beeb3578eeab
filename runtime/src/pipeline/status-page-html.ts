/**
 * The status page itself: one self-contained HTML document (no external assets, no build step)
 * whose script reads `/status.json` once, then follows `/events` (Server-Sent Events) and redraws
 * the table of stops on each update. Every number sits in a cell with `data-stop` and
 * `data-field` attributes, so that tests and scripts read it as a person would.
 *
 * `nonce` goes on the inline script and style, which the page's Content-Security-Policy allows and
 * nothing else; `title` is shown as text.
 */
export function statusPageHtml(title: string, nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1b1b1b; }
  h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
  #state { color: #666; margin: 0 0 1rem; }
  #state[data-connected="false"] { color: #b00020; }
  table { border-collapse: collapse; }
  th, td { padding: .3rem .7rem; border-bottom: 1px solid #ddd; text-align: right; }
  th:first-child, td:first-child { text-align: left; }
  td[data-field="dropped"], td[data-field="failed"], td[data-field="dead_lettered"] { color: #8a4b00; }
  tfoot td { font-weight: 600; border-bottom: none; }
  .empty { color: #666; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p id="state" data-connected="false">connecting…</p>
<table>
<thead><tr><th>stop</th><th>instances</th><th>received</th><th>forwarded</th><th>completed</th><th>dropped</th><th>failed</th><th>dead-lettered</th><th>p50 ms</th><th>p99 ms</th></tr></thead>
<tbody id="stops"><tr><td colspan="10" class="empty">no stop has answered yet</td></tr></tbody>
</table>
<script nonce="${nonce}">
"use strict";
const fields = ["instances", "received", "forwarded", "completed", "dropped", "failed", "dead_lettered", "p50", "p99"];
const body = document.getElementById("stops");
const state = document.getElementById("state");
function cell(stop, field, value) {
  const td = document.createElement("td");
  td.dataset.stop = stop;
  td.dataset.field = field;
  td.textContent = String(value);
  return td;
}
function draw(status) {
  const rows = status.stops.map((stop) => {
    const tr = document.createElement("tr");
    tr.dataset.stop = stop.name;
    const name = document.createElement("td");
    name.textContent = stop.name;
    name.title = stop.service + " " + stop.endpoint + (stop.pipelines.length ? " (" + stop.pipelines.join(", ") + ")" : "");
    tr.append(name);
    const values = { ...stop, p50: stop.latency_ms.p50, p99: stop.latency_ms.p99 };
    for (const field of fields) tr.append(cell(stop.name, field, values[field]));
    return tr;
  });
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = 10;
    td.className = "empty";
    td.textContent = "no stop has answered yet";
    tr.append(td);
    rows.push(tr);
  }
  body.replaceChildren(...rows);
  state.textContent = "updated " + new Date(status.updated).toLocaleTimeString() + (status.pipeline ? ", pipeline " + status.pipeline : "");
  state.dataset.updated = status.updated;
}
fetch("status.json").then((response) => response.json()).then(draw, () => {});
const events = new EventSource("events");
events.addEventListener("status", (event) => {
  state.dataset.connected = "true";
  draw(JSON.parse(event.data));
});
events.addEventListener("error", () => {
  state.dataset.connected = "false";
  state.textContent = "disconnected: retrying…";
});
</script>
</body>
</html>
`;
}

const htmlEscapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => htmlEscapes[character]!);
}
