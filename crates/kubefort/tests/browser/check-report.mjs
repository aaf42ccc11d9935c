// Renders an HTML report in headless Chromium through the DevTools protocol
// (over --remote-debugging-pipe, so no port and no library), works the page
// as a person would (mouse clicks, typing), takes a screenshot and prints
// what it saw as one JSON object. Used by tests/html.rs.
//
//   node check-report.mjs CHROMIUM REPORT.html SCREENSHOT.png
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [chromium, report, screenshot] = process.argv.slice(2);
if (!chromium || !report || !screenshot) {
  console.error("usage: node check-report.mjs CHROMIUM REPORT.html SCREENSHOT.png");
  process.exit(2);
}
const profile = mkdtempSync(join(tmpdir(), "kubefort-chromium-"));
const browser = spawn(chromium, [
  "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
  "--disable-background-networking", "--disable-extensions", "--remote-debugging-pipe",
  `--user-data-dir=${profile}`, "about:blank",
], { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
let stderr = "";
browser.stderr.on("data", (d) => { stderr += d; });
const toBrowser = browser.stdio[3];
const fromBrowser = browser.stdio[4];

function finish(code, out) {
  try { browser.kill("SIGKILL"); } catch {}
  try { rmSync(profile, { recursive: true, force: true }); } catch {}
  if (out) process.stdout.write(JSON.stringify(out) + "\n");
  process.exit(code);
}
const timer = setTimeout(() => {
  console.error("timed out; chromium said:\n" + stderr.slice(-2000));
  finish(1);
}, 90_000);
browser.on("exit", (c) => {
  if (!done) { console.error(`chromium exited (${c}):\n` + stderr.slice(-2000)); finish(1); }
});
let done = false;

// ---- the protocol: NUL-separated JSON messages ----------------------------
let nextId = 1, buf = "";
const pending = new Map(), listeners = [];
fromBrowser.on("data", (chunk) => {
  buf += chunk.toString("utf8");
  let i;
  while ((i = buf.indexOf("\0")) >= 0) {
    const msg = JSON.parse(buf.slice(0, i));
    buf = buf.slice(i + 1);
    if (msg.id && pending.has(msg.id)) {
      const { ok, fail, method } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) fail(new Error(`${method}: ${msg.error.message}`)); else ok(msg.result);
    } else if (msg.method) {
      for (const l of listeners) l(msg);
    }
  }
});
function send(method, params = {}, sessionId) {
  const id = nextId++;
  const msg = { id, method, params };
  if (sessionId) msg.sessionId = sessionId;
  toBrowser.write(JSON.stringify(msg) + "\0");
  return new Promise((ok, fail) => pending.set(id, { ok, fail, method }));
}
function once(method) {
  return new Promise((ok) => {
    const l = (m) => { if (m.method === method) { listeners.splice(listeners.indexOf(l), 1); ok(m.params); } };
    listeners.push(l);
  });
}

try {
  const { targetId } = await send("Target.createTarget", { url: "about:blank" });
  const { sessionId: s } = await send("Target.attachToTarget", { targetId, flatten: true });
  const page = (method, params) => send(method, params, s);

  const requests = [], errors = [];
  listeners.push((m) => {
    if (m.method === "Network.requestWillBeSent") requests.push(m.params.request.url);
    if (m.method === "Runtime.exceptionThrown") errors.push(m.params.exceptionDetails.exception?.description || m.params.exceptionDetails.text);
    if (m.method === "Runtime.consoleAPICalled" && m.params.type === "error") errors.push(m.params.args.map((a) => a.value).join(" "));
  });
  await page("Page.enable");
  await page("Network.enable");
  await page("Runtime.enable");
  await page("Emulation.setDeviceMetricsOverride", { width: 1400, height: 1000, deviceScaleFactor: 1, mobile: false });
  const loaded = once("Page.loadEventFired");
  await page("Page.navigate", { url: pathToFileURL(resolve(report)).href });
  await loaded;

  const js = async (expr) => {
    const r = await page("Runtime.evaluate", { expression: expr, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails) throw new Error(`${expr}: ${r.exceptionDetails.exception?.description || r.exceptionDetails.text}`);
    return r.result.value;
  };
  const settle = () => js("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))");
  // A real click: the mouse moves to the middle of the element and presses.
  const click = async (selector, clicks = 1) => {
    const box = await js(`(() => { const e = document.querySelector(${JSON.stringify(selector)});
      if (!e) return null; e.scrollIntoView({block: "center"}); const r = e.getBoundingClientRect();
      return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()`);
    if (!box) throw new Error(`nothing matches ${selector}`);
    await page("Input.dispatchMouseEvent", { type: "mouseMoved", x: box.x, y: box.y });
    for (let n = 1; n <= clicks; n++) {
      await page("Input.dispatchMouseEvent", { type: "mousePressed", x: box.x, y: box.y, button: "left", clickCount: n });
      await page("Input.dispatchMouseEvent", { type: "mouseReleased", x: box.x, y: box.y, button: "left", clickCount: n });
    }
    await settle();
  };
  const visibleRows = () => js(`[...document.querySelectorAll("tbody.finding")].filter(r => r.getClientRects().length > 0).length`);
  const visibleSeverities = () => js(`[...new Set([...document.querySelectorAll("tbody.finding")].filter(r => r.getClientRects().length > 0).map(r => r.dataset.sev))].sort()`);

  const out = {};
  out.title = await js("document.title");
  out.charts = await js(`[...document.querySelectorAll("svg.chart")].map(c => c.querySelectorAll("rect").length)`);
  out.gauge = await js(`document.querySelector("svg.gauge .gauge-score")?.textContent ?? null`);
  out.heatmapCells = await js(`document.querySelectorAll(".heatmap td.cell:not(.empty)").length`);
  out.namespaces = await js(`document.querySelectorAll(".ns-table tbody tr").length`);
  out.topRisks = await js(`document.querySelectorAll(".risks li").length`);
  out.rows = await js(`document.querySelectorAll("tbody.finding").length`);
  out.visibleAtStart = await visibleRows();
  out.graphs = await js(`Object.fromEntries([...document.querySelectorAll(".graph")].map(g => [g.closest("section").id, {nodes: g.querySelectorAll("g.node").length, edges: g.querySelectorAll("path.edge").length}]))`);

  // Screenshot of the page as it opens (the top of it).
  await page("Emulation.setDeviceMetricsOverride", { width: 1400, height: 1800, deviceScaleFactor: 1, mobile: false });
  await js("window.scrollTo(0, 0)");
  await settle();
  const shot = await page("Page.captureScreenshot", { format: "png" });
  writeFileSync(screenshot, Buffer.from(shot.data, "base64"));
  await page("Emulation.setDeviceMetricsOverride", { width: 1400, height: 1000, deviceScaleFactor: 1, mobile: false });

  // Filter to critical with the select, as a person would with the
  // keyboard: focus it and type the option's first letter.
  await js(`document.querySelector("#f-sev").focus()`);
  for (const type of ["keyDown", "char", "keyUp"]) {
    await page("Input.dispatchKeyEvent", { type, key: "c", code: "KeyC", text: type === "keyUp" ? undefined : "c", windowsVirtualKeyCode: 67 });
  }
  await settle();
  out.selectValue = await js(`document.querySelector("#f-sev").value`);
  out.visibleCritical = await visibleRows();
  out.severitiesWhenCritical = await visibleSeverities();
  out.countText = await js(`document.querySelector("#f-count").textContent`);
  out.hashWhenCritical = await js("location.hash");

  // Reset, then click the "high" bar of the severity chart.
  await click("#f-reset");
  out.visibleAfterReset = await visibleRows();
  await click(`svg.chart g.bar[data-filter="sev=high"] rect`);
  out.visibleHigh = await visibleRows();
  out.severitiesWhenHigh = await visibleSeverities();

  // Type into the search box.
  await click("#f-reset");
  await click("#f-q");
  await page("Input.insertText", { text: "hostPID" });
  await settle();
  out.visibleSearch = await visibleRows();
  out.searchMatchesAll = await js(`[...document.querySelectorAll("tbody.finding")].filter(r => r.getClientRects().length > 0).every(r => (r.textContent).toLowerCase().includes("hostpid"))`);

  // Open the first visible finding: the excerpt, the fix and the rule docs.
  await click("#f-reset");
  await click("tbody.finding tr.row");
  out.detailOpen = await js(`!document.querySelector("tbody.finding tr.detail").hidden`);
  out.excerptHit = await js(`document.querySelector("tbody.finding tr.detail pre.excerpt .hit")?.textContent ?? null`);
  out.fix = await js(`document.querySelector("tbody.finding tr.detail .fix")?.textContent ?? null`);
  await click("tbody.finding tr.detail details.docs summary");
  out.docsHeadings = await js(`document.querySelector("tbody.finding tr.detail details.docs").querySelectorAll("h4").length`);

  // Click a graph node: its edges stay highlighted.
  const firstGraph = await js(`document.querySelector(".graph g.node") ? true : false`);
  if (firstGraph) {
    await click(".graph g.node");
    out.graphFocus = await js(`document.querySelector(".graph").classList.contains("focus")`);
    out.graphEdgesOn = await js(`document.querySelector(".graph").querySelectorAll("path.edge.on").length`);
  }

  out.requests = requests.filter((u) => !u.startsWith("file:") && !u.startsWith("data:") && u !== "about:blank");
  out.errors = errors;
  done = true;
  clearTimeout(timer);
  finish(0, out);
} catch (e) {
  console.error(String(e && e.stack || e));
  done = true;
  finish(1);
}
