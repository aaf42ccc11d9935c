"use strict";
(function () {
  var $ = function (s, r) { return (r || document).querySelector(s); };
  var $$ = function (s, r) { return Array.prototype.slice.call((r || document).querySelectorAll(s)); };

  // ---- Findings: filters, search, details -------------------------------
  var form = $("#filters");
  var rows = $$("tbody.finding");
  var fields = ["sev", "group", "ns", "base", "q"];
  function control(name) { return form ? form.elements[name] : null; }
  function state() {
    var s = {};
    fields.forEach(function (f) { var c = control(f); s[f] = c ? c.value.trim() : ""; });
    return s;
  }
  // What the search looks at: the row (severity, rule, object, place,
  // message) and the field path; made on the first search.
  var texts = null;
  function text(i) {
    if (!texts) texts = rows.map(function (r) {
      var code = r.querySelector("tr.detail code");
      return (r.querySelector("tr.row").textContent + " " + (code ? code.textContent : "") + " " + r.dataset.group).toLowerCase();
    });
    return texts[i];
  }
  function apply() {
    var s = state(), q = s.q.toLowerCase(), shown = 0, words = q.split(/\s+/);
    rows.forEach(function (r, i) {
      var d = r.dataset;
      var ok = (!s.sev || d.sev === s.sev) && (!s.group || d.group === s.group) &&
        (!s.ns || d.ns === s.ns) && (!s.base || d.base === s.base) &&
        (!q || words.every(function (w) { return text(i).indexOf(w) >= 0; }));
      r.hidden = !ok;
      if (ok) shown++;
    });
    var c = $("#f-count");
    if (c) c.textContent = "showing " + shown + " of " + rows.length + " findings";
    var h = fields.filter(function (f) { return s[f]; })
      .map(function (f) { return f + "=" + encodeURIComponent(s[f]); }).join("&");
    if (history.replaceState) history.replaceState(null, "", h ? "#" + h : location.pathname + location.search);
  }
  function set(filter, scroll) {
    fields.forEach(function (f) { var c = control(f); if (c) c.value = ""; });
    filter.split("&").forEach(function (kv) {
      var i = kv.indexOf("="); if (i < 0) return;
      var c = control(kv.slice(0, i));
      if (c) c.value = decodeURIComponent(kv.slice(i + 1));
    });
    apply();
    if (scroll) $("#findings").scrollIntoView({ behavior: "smooth" });
  }
  if (form) {
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    $("#f-reset").addEventListener("click", function () { set("", false); });
  }
  $$("[data-filter]").forEach(function (el) {
    var go = function () { set(el.getAttribute("data-filter"), true); };
    el.addEventListener("click", go);
    el.addEventListener("keydown", function (e) { if (e.key === "Enter") go(); });
  });
  // Source excerpts are built from the lines in #sources when first shown.
  var sources = null;
  function excerpt(pre) {
    if (pre.dataset.filled) return;
    pre.dataset.filled = "1";
    if (!sources) sources = JSON.parse(document.getElementById("sources").textContent);
    var lines = sources[+pre.dataset.src] || {}, at = +pre.dataset.line;
    for (var n = Math.max(1, at - 4); n <= at + 4; n++) {
      if (!(n in lines)) continue;
      var ln = document.createElement("span");
      ln.className = n === at ? "ln hit" : "ln";
      var no = document.createElement("span");
      no.className = "no"; no.textContent = String(n);
      ln.appendChild(no);
      ln.appendChild(document.createTextNode(lines[n] + "\n"));
      pre.appendChild(ln);
    }
  }
  function toggle(row) {
    var detail = row.nextElementSibling, open = detail.hidden;
    if (open) detail.querySelectorAll("pre.excerpt").forEach(excerpt);
    detail.hidden = !open;
    row.setAttribute("aria-expanded", String(open));
  }
  $$("tr.row").forEach(function (row) {
    row.addEventListener("click", function () { toggle(row); });
    row.addEventListener("keydown", function (e) { if (e.key === "Enter") toggle(row); });
  });
  // Rule docs are written once, in the rules section, and copied on demand.
  $$("details.docs").forEach(function (d) {
    d.addEventListener("toggle", function () {
      if (!d.open || d.dataset.filled) return;
      var src = document.getElementById("doc-" + d.dataset.rule);
      if (src) { var c = src.cloneNode(true); c.removeAttribute("id"); d.appendChild(c); }
      d.dataset.filled = "1";
    });
  });
  if (location.hash.indexOf("=") > 0) set(location.hash.slice(1), false); else apply();

  // ---- Graphs -----------------------------------------------------------
  var NS = "http://www.w3.org/2000/svg";
  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function layered(g, W) {
    var n = g.nodes.length, indeg = new Array(n).fill(0), out = [];
    for (var i = 0; i < n; i++) out.push([]);
    g.edges.forEach(function (e) { indeg[e.to]++; out[e.from].push(e.to); });
    // Longest distance from a source, bounded so cycles end.
    var layer = new Array(n).fill(0), queue = [];
    for (i = 0; i < n; i++) if (!indeg[i]) queue.push(i);
    if (!queue.length && n) queue.push(0);
    var seen = 0;
    while (queue.length && seen < n * n + 10) {
      var v = queue.shift(); seen++;
      out[v].forEach(function (w) {
        if (layer[w] < layer[v] + 1 && layer[v] + 1 < n) { layer[w] = layer[v] + 1; queue.push(w); }
      });
    }
    // Targets (no outgoing edges) go to the last column.
    var maxL = Math.max.apply(null, layer.concat([0]));
    for (i = 0; i < n; i++) if (!out[i].length && indeg[i]) layer[i] = maxL;
    var cols = [];
    for (i = 0; i < n; i++) (cols[layer[i]] = cols[layer[i]] || []).push(i);
    cols = cols.filter(Boolean);
    var pos = [], colW = Math.max(240, (W - 40) / Math.max(cols.length, 1)), rowH = 46;
    var H = 40 + rowH * Math.max.apply(null, cols.map(function (c) { return c.length; }));
    cols.forEach(function (c, ci) {
      var top = (H - c.length * rowH) / 2;
      c.forEach(function (v, ri) { pos[v] = { x: 20 + ci * colW + colW / 2, y: top + ri * rowH + rowH / 2 }; });
    });
    return { pos: pos, W: Math.max(W, 40 + cols.length * colW), H: H, colW: colW };
  }
  function circle(g, W) {
    var n = g.nodes.length, R = Math.max(140, n * 16), pos = [];
    var width = Math.max(W, 2 * R + 300), cx = width / 2;
    for (var i = 0; i < n; i++) {
      var a = 2 * Math.PI * i / Math.max(n, 1) - Math.PI / 2;
      pos.push({ x: cx + 1.6 * R * Math.cos(a) * Math.min(1, (width - 300) / (3.2 * R)), y: R + 40 + R * Math.sin(a) });
    }
    return { pos: pos, W: width, H: 2 * R + 80 };
  }
  function draw(box) {
    var g = JSON.parse(document.getElementById(box.dataset.graph).textContent);
    var W = box.clientWidth || 900;
    var L = g.layout === "circle" ? circle(g, W) : layered(g, W);
    var svg = el("svg", { viewBox: "0 0 " + L.W + " " + L.H, height: Math.min(L.H, 720), role: "img", "aria-label": g.id + " graph" }, box);
    el("marker", { id: "arrow-" + g.id, viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" }, el("defs", {}, svg))
      .appendChild(el("path", { d: "M0,0 L10,5 L0,10 z", fill: "#98a2b3" }));
    var root = el("g", {}, svg), edgeG = el("g", {}, root), nodeG = el("g", {}, root);
    var tip = document.createElement("div"); tip.className = "graph-tip"; box.appendChild(tip);
    var pos = L.pos.map(function (p) { return { x: p.x, y: p.y }; });
    var edges = g.edges.map(function (e) {
      var path = el("path", { class: "edge", "marker-end": "url(#arrow-" + g.id + ")" }, edgeG);
      var label = g.layout === "circle" ? null : el("text", { class: "edge-label", "text-anchor": "middle" }, edgeG);
      if (label) label.textContent = e.label;
      return { e: e, path: path, label: label };
    });
    var widths = [];
    var nodes = g.nodes.map(function (nd, i) {
      var grp = el("g", { class: "node k-" + nd.kind, tabindex: "0" }, nodeG);
      var text = nd.label.length > 34 ? nd.label.slice(0, 32) + "…" : nd.label;
      var w = Math.max(60, text.length * 6.4 + 16); widths[i] = w;
      el("rect", { x: -w / 2, y: -13, width: w, height: 26, rx: 6 }, grp);
      var t = el("text", { "text-anchor": "middle", y: 4 }, grp); t.textContent = text;
      return grp;
    });
    function place() {
      nodes.forEach(function (n, i) { n.setAttribute("transform", "translate(" + pos[i].x + "," + pos[i].y + ")"); });
      edges.forEach(function (x) {
        var a = pos[x.e.from], b = pos[x.e.to];
        if (x.e.from === x.e.to) { x.path.setAttribute("d", ""); return; }
        var dx = b.x - a.x, dy = b.y - a.y, len = Math.sqrt(dx * dx + dy * dy) || 1;
        // Stop at the target's box edge.
        var hw = widths[x.e.to] / 2 + 2, hh = 15;
        var s = Math.min(dx ? hw / Math.abs(dx) : 1e9, dy ? hh / Math.abs(dy) : 1e9, 1);
        var ex = b.x - dx * s, ey = b.y - dy * s;
        var sa = Math.min(dx ? (widths[x.e.from] / 2) / Math.abs(dx) : 1e9, dy ? 13 / Math.abs(dy) : 1e9, 1);
        var sx = a.x + dx * sa, sy = a.y + dy * sa;
        // Edges that skip columns bend further, around the nodes between.
        var bend = 18 + (L.colW ? Math.max(0, Math.abs(dx) - L.colW) * 0.25 : 0);
        var mx = (sx + ex) / 2 - dy / len * bend, my = (sy + ey) / 2 + dx / len * bend;
        if (bend > 18) {
          // Over the nodes between, or under them in the upper half.
          mx = (sx + ex) / 2;
          my = sy < L.H / 2 ? Math.max(sy, ey) + bend : Math.min(sy, ey) - bend;
        }
        if (g.layout === "circle") { mx = (sx + ex) / 2 * 0.7 + L.W / 2 * 0.3; my = (sy + ey) / 2 * 0.7 + L.H / 2 * 0.3; }
        x.path.setAttribute("d", "M" + sx + "," + sy + " Q" + mx + "," + my + " " + ex + "," + ey);
        if (x.label) { x.label.setAttribute("x", (sx + 2 * mx + ex) / 4); x.label.setAttribute("y", (sy + 2 * my + ey) / 4 - 3); }
      });
    }
    place();
    var pinned = -1;
    function focus(i) {
      box.classList.toggle("focus", i >= 0);
      nodes.forEach(function (n) { n.classList.remove("on"); });
      edges.forEach(function (x) {
        var on = i >= 0 && (x.e.from === i || x.e.to === i);
        x.path.classList.toggle("on", on); if (x.label) x.label.classList.toggle("on", on);
        if (on) { nodes[x.e.from].classList.add("on"); nodes[x.e.to].classList.add("on"); }
      });
      if (i >= 0) nodes[i].classList.add("on");
    }
    function showTip(ev, text) {
      var r = box.getBoundingClientRect();
      tip.textContent = text; tip.style.display = "block";
      tip.style.left = Math.min(ev.clientX - r.left + 12, r.width - 200) + "px";
      tip.style.top = (ev.clientY - r.top + 12) + "px";
    }
    function hideTip() { tip.style.display = "none"; }
    edges.forEach(function (x) {
      x.path.addEventListener("mousemove", function (ev) { showTip(ev, x.e.label + (x.e.detail ? "\n" + x.e.detail : "")); });
      x.path.addEventListener("mouseleave", hideTip);
    });
    var drag = null, view = { k: 1, x: 0, y: 0 };
    function toSvg(ev) {
      var r = svg.getBoundingClientRect(), sc = L.W / r.width;
      return { x: ((ev.clientX - r.left) * sc - view.x) / view.k, y: ((ev.clientY - r.top) * sc - view.y) / view.k };
    }
    nodes.forEach(function (n, i) {
      var nd = g.nodes[i];
      n.addEventListener("mouseenter", function (ev) { if (pinned < 0) focus(i); showTip(ev, nd.label + (nd.detail ? "\n" + nd.detail : "")); });
      n.addEventListener("mouseleave", function () { if (pinned < 0) focus(-1); hideTip(); });
      n.addEventListener("click", function (ev) { ev.stopPropagation(); pinned = pinned === i ? -1 : i; focus(pinned); });
      n.addEventListener("dblclick", function () {
        if (nd.search) set("q=" + encodeURIComponent(nd.search), true);
      });
      n.addEventListener("pointerdown", function (ev) { drag = { i: i, p: toSvg(ev), o: { x: pos[i].x, y: pos[i].y } }; n.setPointerCapture(ev.pointerId); });
      n.addEventListener("pointermove", function (ev) {
        if (!drag || drag.i !== i) return;
        var p = toSvg(ev); pos[i].x = drag.o.x + p.x - drag.p.x; pos[i].y = drag.o.y + p.y - drag.p.y; place();
      });
      n.addEventListener("pointerup", function () { drag = null; });
    });
    svg.addEventListener("click", function () { pinned = -1; focus(-1); });
    svg.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var r = svg.getBoundingClientRect(), sc = L.W / r.width;
      var px = (ev.clientX - r.left) * sc, py = (ev.clientY - r.top) * sc;
      var k = Math.min(4, Math.max(0.3, view.k * (ev.deltaY < 0 ? 1.15 : 1 / 1.15)));
      view.x = px - (px - view.x) * k / view.k; view.y = py - (py - view.y) * k / view.k; view.k = k;
      root.setAttribute("transform", "translate(" + view.x + "," + view.y + ") scale(" + k + ")");
    }, { passive: false });
    box.dataset.nodes = String(g.nodes.length);
    box.dataset.edges = String(g.edges.length);
  }
  $$(".graph[data-graph]").forEach(draw);
})();
