// symgraph's graph viewer: pan, zoom, open fused kernels and folded groups, search, details.
// Everything is laid out by symgraph (layout.py); this script only moves what is drawn.
// Opening a box cuts the plane at the box's centre lines and moves the far side right and
// down by the box's growth, so nothing overlaps and nothing else jumps around.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("graph-data").textContent);
  const M = data.metrics, COLOURS = data.colours;
  const svg = document.getElementById("canvas");
  const opened = new Set();   // paths of opened boxes: "g0", "g0/n5"
  const nodes = new Map();    // path -> {n, parent}
  let selected = null, hits = [], hitIndex = -1, root = null;
  const view = {x: 0, y: 0, k: 1};

  (function index(level, prefix) {
    for (const n of level.nodes) {
      const path = prefix ? prefix + "/" + n.k : n.k;
      nodes.set(path, {n: n, parent: prefix});
      if (n.inner) index(n.inner, path);
    }
  })(data.level, "");

  const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;")
    .replace(/>/g, "&gt;").replace(/"/g, "&quot;");

  // ---- geometry: a level with its opened boxes, in its own coordinates
  function cutter(cuts) {  // x -> x + growth of every cut left of x
    cuts.sort((a, b) => a[0] - b[0]);
    const at = cuts.map((c) => c[0]), sum = [0];
    for (const c of cuts) sum.push(sum[sum.length - 1] + c[1]);
    return function (v) {
      let lo = 0, hi = at.length;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (at[mid] < v) lo = mid + 1; else hi = mid; }
      return v + sum[lo];
    };
  }

  function arrange(level, prefix) {
    const subs = new Map(), xs = [], ys = [];
    let dw = 0, dh = 0;
    for (const n of level.nodes) {
      const path = prefix ? prefix + "/" + n.k : n.k;
      if (!n.inner || !opened.has(path)) continue;
      const a = arrange(n.inner, path);
      const W = Math.max(a.w + 2 * M.frame_pad, n.w), H = a.h + M.frame_top + M.frame_pad;
      subs.set(n.k, {a: a, W: W, H: H});
      xs.push([n.x, W - n.w]); ys.push([n.y, Math.max(0, H - n.h)]);
      dw += W - n.w; dh += Math.max(0, H - n.h);
    }
    return {level: level, prefix: prefix, subs: subs, X: cutter(xs), Y: cutter(ys),
            w: level.w + dw, h: level.h + dh};
  }

  // where a node of arrangement `a` (drawn at ox, oy) sits: [left, top, width, height]
  function box(a, n, ox, oy) {
    const s = a.subs.get(n.k);
    const left = ox + a.X(n.x - n.w / 2), top = oy + a.Y(n.y - n.h / 2);
    return s ? [left, top, s.W, s.H] : [ox + a.X(n.x) - n.w / 2, oy + a.Y(n.y) - n.h / 2, n.w, n.h];
  }

  // ---- drawing (one string of markup: fast for ten thousand nodes)
  function nodeMarkup(n, path, b, out) {
    const [l, t, w, h] = b, cx = l + w / 2, cy = t + h / 2, fill = COLOURS[n.kind] || "#fff";
    const cls = "node " + n.kind + (path === selected ? " selected" : "") +
      (hits.includes(path) ? " hit" : "") + (n.inner ? " openable" : "");
    out.push('<g class="' + cls + '" data-path="' + esc(path) + '">' +
      (detail ? "<title>" + esc(n.tip) + "</title>" : ""));
    if (n.kind === "group") {
      for (const off of [6, 3]) out.push('<rect x="' + (l + off) + '" y="' + (t - off + 3) +
        '" width="' + (w - 6) + '" height="' + (h - 3) + '" rx="3" fill="' + fill + '" class="stack"/>');
      out.push('<rect class="shape" x="' + l + '" y="' + (t + 3) + '" width="' + (w - 6) +
        '" height="' + (h - 3) + '" rx="3" fill="' + fill + '"/>');
    } else if (n.kind === "op" || n.kind === "fused") {
      out.push('<rect class="shape" x="' + l + '" y="' + t + '" width="' + w + '" height="' + h +
        '" rx="' + (n.kind === "fused" ? 9 : 3) + '" fill="' + fill + '"' +
        (n.dashed ? ' stroke-dasharray="4 3"' : "") + "/>");
    } else {
      out.push('<ellipse class="shape' + (n.named || n.kind === "output" ? " named" : "") +
        '" cx="' + cx + '" cy="' + cy + '" rx="' + w / 2 + '" ry="' + h / 2 + '" fill="' + fill + '"/>');
    }
    const top = cy - (n.lines.length - 1) * M.line_h / 2, tx = n.kind === "group" ? cx - 3 : cx;
    if (detail) n.lines.forEach(function (line, i) {
      const extra = (n.named && i === 0 ? ' font-weight="bold"' : "") +
        (i > 0 && (n.kind === "fused" || n.kind === "group") ? ' class="sub"' : "");
      out.push('<text x="' + tx + '" y="' + (top + i * M.line_h + 4) + '"' + extra + ">" +
        esc(line) + "</text>");
    });
    out.push("</g>");
  }

  // What is drawn: only what the window shows (plus a margin), and no text where it would
  // be too small to read, so a graph of ten thousand nodes opens as fast as a small one.
  let clip = null, detail = true;
  const outside = (l, t, r, b) => clip && (r < clip[0] || l > clip[2] || b < clip[1] || t > clip[3]);

  function draw(a, ox, oy, out) {
    const level = a.level, byKey = new Map(level.nodes.map((n) => [n.k, n]));
    for (const e of level.edges) {
      const pts = e.p.map((p) => [ox + a.X(p[0]), oy + a.Y(p[1])]);
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (const p of pts) { x0 = Math.min(x0, p[0]); x1 = Math.max(x1, p[0]); y0 = Math.min(y0, p[1]); y1 = Math.max(y1, p[1]); }
      if (outside(x0, y0, x1, y1)) continue;
      const s = a.subs.get(e.s), t = a.subs.get(e.t);
      if (s && e.sp) {  // from the port inside the opened source
        const b = box(a, byKey.get(e.s), ox, oy), port = innerPort(s, e.sp, b);
        if (port) { pts[0] = [pts[0][0], b[1] + b[3]]; pts.unshift([port[0], port[1] + port[3] / 2]); }
      }
      if (t && e.tp) {  // on to the port inside the opened target
        const b = box(a, byKey.get(e.t), ox, oy), port = innerPort(t, e.tp, b);
        if (port) { pts[pts.length - 1][1] = b[1]; pts.push([port[0], port[1] - port[3] / 2]); }
      }
      out.push('<path class="edge" d="M' + pts.map((p) => p[0].toFixed(1) + " " + p[1].toFixed(1))
        .join(" L") + '"/>');
      if (!detail) continue;
      if (e.v) out.push('<text class="elabel" x="' + (pts[0][0] + 4) + '" y="' + (pts[0][1] + 14) +
        '">' + esc(e.v) + "</text>");
      if (e.i) {
        const p = pts[pts.length - 1];
        out.push('<text class="elabel" x="' + (p[0] + 3) + '" y="' + (p[1] - 4) + '">' + esc(e.i) + "</text>");
      }
    }
    for (const n of level.nodes) {
      const path = a.prefix ? a.prefix + "/" + n.k : n.k, b = box(a, n, ox, oy), s = a.subs.get(n.k);
      if (outside(b[0], b[1], b[0] + b[2], b[1] + b[3])) continue;
      if (!s) { nodeMarkup(n, path, b, out); continue; }
      out.push('<g class="frame ' + n.kind + (path === selected ? " selected" : "") +
        '" data-path="' + esc(path) + '"><rect class="frame-box" x="' + b[0] + '" y="' + b[1] +
        '" width="' + b[2] + '" height="' + b[3] + '" rx="6"/><rect class="frame-title" x="' +
        b[0] + '" y="' + b[1] + '" width="' + b[2] + '" height="' + (M.frame_top - 4) +
        '" rx="6" fill="' + (COLOURS[n.kind] || "#eee") + '"/><text x="' + (b[0] + 8) + '" y="' +
        (b[1] + 14) + '">▾ ' + esc(n.inner.title) + "</text><title>" +
        esc(n.tip + "\n(click the title to close)") + "</title></g>");
      draw(s.a, b[0] + M.frame_pad, b[1] + M.frame_top, out);
    }
  }

  // [cx, cy, w, h] of port `key` inside opened box `s` drawn at b
  function innerPort(s, key, b) {
    const n = s.a.level.nodes.find((m) => m.k === key);
    if (!n) return null;
    const ox = b[0] + M.frame_pad, oy = b[1] + M.frame_top;
    return [ox + s.a.X(n.x), oy + s.a.Y(n.y), n.w, n.h];
  }

  function render() {
    root = arrange(data.level, "");
    paint();
  }

  function paint() {
    const r = svg.getBoundingClientRect(), k = view.k;
    const mx = r.width / k * 0.5, my = r.height / k * 0.5;  // a margin for small pans
    clip = [-view.x / k - mx, -view.y / k - my, (r.width - view.x) / k + mx, (r.height - view.y) / k + my];
    detail = k >= 0.4;
    painted = {k: k, x: view.x, y: view.y};
    const out = ['<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" ' +
      'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/>' +
      '</marker></defs><g id="world" transform="' + transform() + '">'];
    draw(root, 0, 0, out);
    out.push("</g>");
    svg.innerHTML = out.join("");
  }

  const transform = () => "translate(" + view.x + "," + view.y + ") scale(" + view.k + ")";
  let painted = null, repaint = null;
  function applyView() {
    const w = document.getElementById("world");
    if (w) w.setAttribute("transform", transform());
    // paint again once the view settles, if it moved out of what was drawn or changed detail
    clearTimeout(repaint);
    repaint = setTimeout(function () {
      const r = svg.getBoundingClientRect();
      if (!painted || (painted.k >= 0.4) !== (view.k >= 0.4) || view.k / painted.k > 1.5 ||
          painted.k / view.k > 1.5 || Math.abs(view.x - painted.x) > r.width * 0.4 ||
          Math.abs(view.y - painted.y) > r.height * 0.4) paint();
    }, 120);
  }

  function fit() {
    const r = svg.getBoundingClientRect();
    view.k = Math.min(1, (r.width - 20) / root.w, (r.height - 20) / root.h);
    view.x = (r.width - root.w * view.k) / 2; view.y = 10;
    paint();
  }

  // global centre of a path (opened ancestors included)
  function locate(path) {
    let a = root, ox = 0, oy = 0;
    const parts = path.split("/");
    for (let i = 0; i < parts.length; i++) {
      const n = a.level.nodes.find((m) => m.k === parts[i]), b = box(a, n, ox, oy);
      if (i === parts.length - 1) return b;
      const s = a.subs.get(n.k);
      if (!s) return b;
      a = s.a; ox = b[0] + M.frame_pad; oy = b[1] + M.frame_top;
    }
    return null;
  }

  function centreOn(path) {
    const b = locate(path), r = svg.getBoundingClientRect();
    if (!b) return;
    view.k = Math.max(view.k, 0.8);
    view.x = r.width / 2 - (b[0] + b[2] / 2) * view.k;
    view.y = r.height / 2 - (b[1] + b[3] / 2) * view.k;
    paint();
  }

  // ---- actions
  function toggle(path) {
    const e = nodes.get(path);
    if (!e || !e.n.inner) return false;
    if (opened.has(path)) {
      for (const p of Array.from(opened)) if (p === path || p.startsWith(path + "/")) opened.delete(p);
    } else opened.add(path);
    render();
    return opened.has(path);
  }

  function setAll(open) {
    opened.clear();
    if (open) for (const [p, e] of nodes) if (e.n.inner) opened.add(p);
    root = arrange(data.level, "");
    fit();
  }

  function select(path) {
    selected = path;
    const e = nodes.get(path), el = document.getElementById("details");
    if (!e) { el.textContent = ""; return; }
    const n = e.n, info = n.info || {}, rows = [];
    const row = (k, v) => { if (v !== undefined && v !== null && v !== "") rows.push("<tr><th>" + esc(k) + "</th><td>" + v + "</td></tr>"); };
    row("kind", esc(info.kind || n.kind));
    row("name", info.name ? esc(info.name) : "");
    row("label", info.label && info.label !== info.name ? esc(info.label) : "");
    row("op", info.op ? "<code>" + esc(info.op) + "</code>" : "");
    row("op class", esc(info.op_class || ""));
    row("expression", info.expression ? "<code>" + esc(info.expression) + "</code>" : "");
    row("dtype", esc(info.dtype || ""));
    row("shape", esc(info.shape || ""));
    if (info.outputs) row("outputs", info.outputs.map((o) => esc((o.name ? o.name + ": " : "") + o.dtype + " " + o.shape)).join("<br>"));
    row("role", esc(info.role || ""));
    row("used by", info.uses ? esc(info.uses + " ops") : "");
    row("about", esc(info.about || ""));
    row("source", info.source ? "<code>" + esc(info.source) + "</code>" + (info.line ? "<pre>" + esc(info.line) + "</pre>" : "") : "");
    if (info.rewrites) row("rewrites", info.rewrites.length ? "<ul>" + info.rewrites.map((r) => "<li><code>" + esc(r) + "</code></li>").join("") + "</ul>" : "none (as written)");
    if (n.inner) row("contains", esc(n.inner.nodes.length + " nodes") + (opened.has(path) ? " (open)" : " (click to open)"));
    el.innerHTML = "<h3>" + esc(n.lines[0]) + "</h3><table>" + rows.join("") + "</table>";
  }

  function search(query) {
    const q = query.trim().toLowerCase();
    hits = [];
    const rank = new Map();  // exact names first, then names and labels that start so
    if (q) for (const [p, e] of nodes) {
      const info = e.n.info || {}, name = String(info.name || info.label || e.n.lines[0]).toLowerCase();
      const text = [e.n.lines.join(" "), info.name, info.op, info.label, info.expression].join(" ").toLowerCase();
      if (!text.includes(q)) continue;
      hits.push(p);
      rank.set(p, name === q ? 0 : name.startsWith(q) ? 1 : 2);
    }
    hits.sort((a, b) => rank.get(a) - rank.get(b));
    hitIndex = -1;
    document.getElementById("hits").textContent = q ? hits.length + " found" : "";
    render();
    return hits.slice();
  }

  function nextHit() {
    if (!hits.length) return null;
    hitIndex = (hitIndex + 1) % hits.length;
    const path = hits[hitIndex];
    let p = nodes.get(path).parent;
    while (p) { opened.add(p); p = nodes.get(p).parent; }
    select(path); render(); centreOn(path);
    return path;
  }

  // ---- events: drag pans, wheel zooms, a click (no drag) selects / opens
  let drag = null;
  svg.addEventListener("mousedown", (ev) => { drag = {x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y, moved: false}; });
  window.addEventListener("mousemove", (ev) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    if (drag.moved) { view.x = drag.vx + dx; view.y = drag.vy + dy; applyView(); }
  });
  window.addEventListener("mouseup", () => { setTimeout(() => { drag = null; }, 0); });
  svg.addEventListener("click", (ev) => {
    if (drag && drag.moved) return;
    const g = ev.target.closest("[data-path]");
    if (!g) return;
    const path = g.getAttribute("data-path");
    if (g.classList.contains("frame")) {
      if (ev.target.closest(".frame-title") || ev.target.tagName === "text") toggle(path);
      select(path); render();
      return;
    }
    selected = path;
    if (nodes.get(path).n.inner) toggle(path); else render();
    select(path);
  });
  svg.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const r = svg.getBoundingClientRect(), mx = ev.clientX - r.left, my = ev.clientY - r.top;
    const k = Math.min(4, Math.max(0.05, view.k * Math.exp(-ev.deltaY * 0.0015)));
    view.x = mx - (mx - view.x) * k / view.k; view.y = my - (my - view.y) * k / view.k; view.k = k;
    applyView();
  }, {passive: false});
  const box_ = document.getElementById("search");
  box_.addEventListener("input", () => search(box_.value));
  box_.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { if (!hits.length) search(box_.value); nextHit(); } });
  document.getElementById("fit").addEventListener("click", fit);
  document.getElementById("openall").addEventListener("click", () => setAll(true));
  document.getElementById("closeall").addEventListener("click", () => setAll(false));

  document.getElementById("title").textContent = data.title + " · " + data.nodes + " nodes";
  document.querySelector("#listing pre").textContent = data.listing;
  document.getElementById("legend").innerHTML = Object.keys(COLOURS).filter((k) => k !== "variable")
    .map((k) => '<span style="background:' + COLOURS[k] + '">' + k + "</span>").join("");
  root = arrange(data.level, "");
  fit();
  window.symgraphViewer = {ready: true, readyMs: performance.now(), toggle: toggle, select: select,
    search: search, nextHit: nextHit, locate: locate, fit: fit, paint: paint,
    state: () => ({opened: Array.from(opened), selected: selected, hits: hits.slice(), view: Object.assign({}, view)})};
})();
