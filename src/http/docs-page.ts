/**
 * A self-contained, browsable API reference served at GET /api/docs.
 *
 * DOCS_HTML is the page (inline CSS only); DOCS_SCRIPT is served at /api/docs/docs.js and renders the
 * OpenAPI 3.1 document from /api/v1/openapi.json. Nothing is loaded from the internet and there is no
 * inline script, so a strict `script-src 'self'` Content-Security-Policy works. No imports: this module
 * runs unchanged on Node and on Cloudflare Workers.
 *
 * DOCS_SCRIPT is a String.raw template: it must never contain a backtick or a dollar-brace sequence.
 */

export const DOCS_HTML: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CoreFlow360 API reference</title>
<style>
*{box-sizing:border-box}[hidden]{display:none!important}
:root{--line:#e3e6eb;--text:#1f2430;--muted:#5f6b7a;--accent:#4f46e5;--code:#f2f3f7;--side:#f7f8fa}
body{margin:0;color:var(--text);background:#fff;font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code{font-size:.88em;background:var(--code);padding:.1em .35em;border-radius:4px;word-break:break-word}
pre{background:#1f2430;color:#f3f4f7;padding:12px 14px;border-radius:8px;overflow-x:auto;font-size:13px}a{color:var(--accent)}
h1{font-size:30px;margin:0 0 4px}h2{font-size:24px}h3{font-size:19px;margin:0 0 6px}
h4{font-size:13px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin:22px 0 8px}
.top{position:sticky;top:0;z-index:3;height:52px;display:flex;align-items:center;gap:12px;padding:0 18px;border-bottom:1px solid var(--line);background:#fff}
.brand{font-weight:650}.top .muted{font-size:13px}
#menu{display:none;border:1px solid var(--line);background:#fff;border-radius:6px;font-size:18px;padding:2px 10px;cursor:pointer}
.layout{display:flex;align-items:flex-start}
#sidebar{position:sticky;top:52px;height:calc(100vh - 52px);width:310px;flex:none;overflow-y:auto;background:var(--side);border-right:1px solid var(--line);padding:14px 10px 40px}
#search{width:100%;padding:8px 10px;border:1px solid var(--line);border-radius:6px;font:inherit;font-size:14px;background:#fff}
#search:focus{outline:2px solid #c7d2fe;border-color:var(--accent)}
.gname{font-size:12px;font-weight:700;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin:16px 6px 4px}
#nav a{display:flex;align-items:flex-start;gap:8px;padding:4px 6px;border-radius:5px;color:var(--text);text-decoration:none;font-size:13px}
#nav a:hover{background:#eceef3}.np{word-break:break-all;padding-top:1px}
.m{display:inline-block;flex:none;min-width:54px;text-align:center;font:700 11px/1.9 ui-monospace,Menlo,Consolas,monospace;border-radius:4px;color:#fff;padding:0 5px}
.m-get{background:#2563eb}.m-post{background:#15803d}.m-put{background:#c2410c}.m-patch{background:#7c3aed}.m-delete{background:#dc2626}
.m-head,.m-options,.m-trace{background:#64748b}main{flex:1;min-width:0;max-width:1000px;padding:28px 44px 120px}.intro p{max-width:720px}
.section{border-top:1px solid var(--line);padding:28px 0;scroll-margin-top:60px}h2.tagname{margin:48px 0 4px;scroll-margin-top:60px}
.endpoint{display:flex;gap:10px;align-items:center;flex-wrap:wrap;margin:6px 0 10px}.endpoint code{background:none;padding:0;font-size:15px}
.auth{display:inline-block;font-size:13px;border-radius:6px;padding:3px 10px;background:#fef9c3;color:#713f12}
.auth.none{background:#ecfdf5;color:#065f46}.tablewrap{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;vertical-align:top;padding:7px 10px;border-bottom:1px solid var(--line)}
th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600}td p{margin:0}
.schema{border:1px solid var(--line);border-radius:8px;padding:6px 14px;background:#fff}.media{font-size:13px;color:var(--muted);margin:8px 0 4px}
.node{padding:5px 0}.kids{margin:4px 0 0 4px;padding-left:14px;border-left:2px solid var(--line)}.kids>.node+.node{border-top:1px dashed #eceef2}
details.more>summary{cursor:pointer;font-size:13px;color:var(--accent);margin:2px 0}.row{display:flex;flex-wrap:wrap;gap:4px 8px;align-items:baseline}
.pn{font-weight:650;font-size:14px}.t{color:var(--muted);font-size:13px}.ref{color:var(--accent);font-size:13px;font-weight:600}
.req{color:#c2410c;font-size:11px;font-weight:700;text-transform:uppercase}
.chip{font-size:11px;background:#eef2ff;color:#4338ca;border-radius:4px;padding:0 6px}.kv{font-size:12px;color:var(--muted)}
.pd p{margin:2px 0;color:#3b4452;font-size:14px}.union{font-size:12px;font-weight:700;color:var(--muted);text-transform:uppercase;margin-top:6px}
.note{font-size:13px;color:var(--muted);font-style:italic}details.resp{border:1px solid var(--line);border-radius:8px;margin:8px 0;padding:0 14px}
details.resp[open]{padding-bottom:12px}details.resp>summary{cursor:pointer;padding:9px 0}
details.resp[open]>summary{border-bottom:1px solid var(--line);margin-bottom:8px}
.st{font:700 12px ui-monospace,Menlo,Consolas,monospace;padding:2px 7px;border-radius:4px;margin-right:6px}
.st-2{background:#dcfce7;color:#166534}.st-3{background:#e0f2fe;color:#075985}.st-4{background:#ffedd5;color:#9a3412}.st-5{background:#fee2e2;color:#991b1b}.st-x{background:#e5e7eb;color:#374151}
.muted{color:var(--muted)}.error{border:1px solid #fecaca;background:#fef2f2;color:#7f1d1d;border-radius:8px;padding:18px 22px}
.error h1{font-size:22px}
@media (max-width:820px){
#menu{display:block}
#sidebar{position:fixed;left:0;top:52px;z-index:2;transform:translateX(-105%);transition:transform .2s;box-shadow:0 8px 30px rgba(0,0,0,.15);width:min(320px,88vw)}
body.nav-open #sidebar{transform:none}
main{padding:18px 16px 80px}
}
</style>
</head>
<body>
<header class="top">
<button id="menu" type="button" aria-label="Toggle the list of endpoints" aria-controls="sidebar">&#9776;</button>
<span class="brand" id="brand">CoreFlow360 API</span><span class="muted" id="version"></span>
</header>
<div class="layout">
<nav id="sidebar" aria-label="Endpoints">
<input id="search" type="search" placeholder="Filter by path, summary or tag" aria-label="Filter endpoints" autocomplete="off">
<div id="nav"></div>
<p id="nomatch" class="muted" hidden>No endpoint matches.</p>
</nav>
<main id="content"><p class="muted">Loading the API description&hellip;</p></main>
</div>
<script src="/api/docs/docs.js" defer></script>
</body>
</html>
`;

export const DOCS_SCRIPT: string = String.raw`(function () {
  "use strict";
  var SPEC_URL = "/api/v1/openapi.json";
  var METHODS = ["get", "post", "put", "patch", "delete", "head", "options", "trace"];
  var MAX_DEPTH = 12;
  var content = document.getElementById("content");
  var nav = document.getElementById("nav");
  var search = document.getElementById("search");
  var spec = {};

  function esc(v) {
    return String(v === undefined || v === null ? "" : v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function isObj(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }
  function has(o, k) { return Object.prototype.hasOwnProperty.call(o, k); }
  // Escaped paragraphs, with inline code spans between backticks (\x60).
  function text(md) {
    if (md === undefined || md === null || md === "") return "";
    return String(md).split(/\n\s*\n/).map(function (p) {
      return "<p>" + esc(p.trim()).replace(/\x60([^\x60]+)\x60/g, "<code>$1</code>") + "</p>";
    }).join("");
  }
  function pointer(ref) {
    if (typeof ref !== "string" || ref.indexOf("#/") !== 0) return undefined;
    return ref.slice(2).split("/").reduce(function (o, k) {
      try { k = decodeURIComponent(k); } catch (e) { /* keep as is */ }
      k = k.replace(/~1/g, "/").replace(/~0/g, "~");
      return isObj(o) && has(o, k) ? o[k] : undefined;
    }, spec);
  }
  function deref(o) {
    for (var n = 0; isObj(o) && typeof o.$ref === "string" && n < 20; n++) o = pointer(o.$ref);
    return isObj(o) ? o : {};
  }
  function assign(a, b) { var o = {}; Object.keys(a).forEach(function (k) { o[k] = a[k]; }); Object.keys(b).forEach(function (k) { o[k] = b[k]; }); return o; }

  // ---- schemas -------------------------------------------------------------------------------
  function refName(ref) {
    var m = /^#\/components\/schemas\/(.+)$/.exec(ref);
    try { return m ? decodeURIComponent(m[1]).replace(/~1/g, "/").replace(/~0/g, "~") : ref; } catch (e) { return m ? m[1] : ref; }
  }
  function isNull(v) { v = isObj(v) && typeof v.$ref !== "string" ? v : {}; return v.type === "null" || (has(v, "const") && v.const === null); }

  // Resolves $ref (with a cycle guard), nullability and single-variant unions; merges object allOf.
  function resolve(s, seen) {
    var name = null, desc = isObj(s) ? s.description : undefined;
    while (isObj(s) && typeof s.$ref === "string") {
      var ref = s.$ref;
      name = refName(ref);
      if (seen.indexOf(ref) >= 0) return { s: {}, name: name, seen: seen, cycle: true, desc: desc };
      seen = seen.concat([ref]);
      var target = pointer(ref);
      if (!isObj(target)) return { s: {}, name: name, seen: seen, missing: true, desc: desc };
      s = target;
      if (desc === undefined) desc = s.description;
    }
    if (!isObj(s)) s = {};
    var nullable = s.nullable === true;
    if (Array.isArray(s.type) && s.type.indexOf("null") >= 0) {
      nullable = true;
      var types = s.type.filter(function (t) { return t !== "null"; });
      s = assign(s, { type: types.length === 1 ? types[0] : types.length ? types : "null" });
    }
    var union = Array.isArray(s.anyOf) ? "anyOf" : Array.isArray(s.oneOf) ? "oneOf" : null;
    if (union) {
      var variants = s[union].filter(function (v) { return !isNull(v); });
      if (variants.length < s[union].length) nullable = true;
      if (variants.length === 1 && !s.properties) {
        var inner = resolve(variants[0], seen);
        inner.nullable = inner.nullable || nullable;
        if (desc !== undefined) inner.desc = desc;
        return inner;
      }
      var patch = {}; patch[union] = variants; s = assign(s, patch);
    }
    if (Array.isArray(s.allOf)) { var merged = mergeAll(s, seen); if (merged) s = merged; }
    return { s: s, name: name, seen: seen, nullable: nullable, desc: desc };
  }
  function mergeAll(s, seen) {
    var out = { type: "object", properties: {}, required: [] };
    var parts = s.allOf.concat([assign(s, { allOf: undefined })]);
    for (var i = 0; i < parts.length; i++) {
      var r = resolve(parts[i], seen), p = r.s;
      if (i === parts.length - 1 && !p.properties && !p.required) break;
      if (r.cycle || p.anyOf || p.oneOf || p.allOf || !(p.properties || p.type === "object")) return null;
      Object.keys(p.properties || {}).forEach(function (k) { out.properties[k] = p.properties[k]; });
      out.required = out.required.concat(Array.isArray(p.required) ? p.required : []);
      if (p.additionalProperties !== undefined) out.additionalProperties = p.additionalProperties;
    }
    if (s.description) out.description = s.description;
    return out;
  }
  function typeOf(s) {
    if (typeof s.type === "string") return s.type;
    if (Array.isArray(s.type)) return s.type.join(" | ");
    if (s.properties || s.additionalProperties) return "object";
    if (s.items) return "array";
    if (s.oneOf) return "one of";
    if (s.anyOf) return "any of";
    if (s.allOf) return "all of";
    if (s.enum) return "enum";
    if (has(s, "const")) return "constant";
    return "any";
  }
  function label(r, depth) {
    var t = typeOf(r.s), h;
    if (r.cycle || r.missing) t = r.missing ? "unresolved" : "object";
    if (t === "array" && isObj(r.s.items) && depth < MAX_DEPTH) h = '<span class="t">array of</span> ' + label(resolve(r.s.items, r.seen), depth + 1);
    else h = '<span class="t">' + esc(t) + "</span>";
    return (r.name ? '<span class="ref">' + esc(r.name) + "</span> " : "") + h;
  }
  var FACTS = [["format", "format", 1], ["minimum", "min"], ["exclusiveMinimum", "greater than"], ["maximum", "max"],
    ["exclusiveMaximum", "less than"], ["minLength", "min length"], ["maxLength", "max length"], ["minItems", "min items"],
    ["maxItems", "max items"], ["pattern", "pattern", 1], ["default", "default"], ["example", "example"]];
  function facts(r) {
    var s = r.s, out = [];
    if (r.nullable) out.push('<span class="chip">nullable</span>');
    if (s.readOnly) out.push('<span class="chip">read-only</span>');
    if (s.writeOnly) out.push('<span class="chip">write-only</span>');
    if (s.deprecated) out.push('<span class="chip">deprecated</span>');
    FACTS.forEach(function (f) {
      var v = s[f[0]];
      if (v === undefined || typeof v === "boolean") return;
      out.push('<span class="kv">' + esc(f[1]) + ": <code>" + esc(f[2] ? v : JSON.stringify(v)) + "</code></span>");
    });
    if (Array.isArray(s.enum)) out.push('<span class="kv">one of: ' + s.enum.map(function (v) { return "<code>" + esc(JSON.stringify(v)) + "</code>"; }).join(" ") + "</span>");
    if (has(s, "const")) out.push('<span class="kv">always <code>' + esc(JSON.stringify(s.const)) + "</code></span>");
    return out.join(" ");
  }
  function node(name, schema, required, seen, depth) {
    var r = resolve(schema, seen);
    var h = '<div class="node"><div class="row">' + (name !== null ? '<span class="pn mono">' + esc(name) + "</span>" : "") + label(r, depth) +
      (required ? '<span class="req">required</span>' : "") + facts(r) + "</div>";
    if (r.desc) h += '<div class="pd">' + text(r.desc) + "</div>";
    if (r.cycle) h += '<div class="note">Recursive: the same ' + esc(r.name) + " structure as above.</div>";
    var kids = r.cycle || depth >= MAX_DEPTH ? "" : children(r.s, r.seen, depth + 1);
    if (kids) kids = '<div class="kids">' + kids + "</div>";
    if (kids && depth >= 2) kids = '<details class="more"><summary>Show fields</summary>' + kids + "</details>";
    return h + kids + "</div>";
  }
  function children(s, seen, depth) {
    var h = "";
    if (isObj(s.properties)) {
      var req = Array.isArray(s.required) ? s.required : [];
      Object.keys(s.properties).forEach(function (k) { h += node(k, s.properties[k], req.indexOf(k) >= 0, seen, depth); });
    }
    if (s.additionalProperties === true || isObj(s.additionalProperties)) {
      h += node("[any key]", s.additionalProperties === true ? {} : s.additionalProperties, false, seen, depth);
    }
    if (isObj(s.items)) {
      var it = resolve(s.items, seen);
      if (!it.cycle && isObj(it.s.properties) && !it.s.anyOf && !it.s.oneOf) h += children(it.s, it.seen, depth);
      else if (it.cycle || it.s.anyOf || it.s.oneOf || it.s.allOf || it.desc || facts(it)) h += node("items", s.items, false, seen, depth);
    }
    [["oneOf", "Exactly one of"], ["anyOf", "Any of"], ["allOf", "All of"]].forEach(function (u) {
      if (!Array.isArray(s[u[0]]) || !s[u[0]].length) return;
      h += '<div class="union">' + u[1] + "</div>";
      s[u[0]].forEach(function (v, i) { h += node("option " + (i + 1), v, false, seen, depth); });
    });
    return h;
  }
  function schemaBlock(schema) {
    if (!isObj(schema)) return '<p class="muted">No schema.</p>';
    return '<div class="schema">' + node(null, schema, false, [], 0) + "</div>";
  }
  function contentHtml(c) {
    if (!isObj(c) || !Object.keys(c).length) return '<p class="muted">No body.</p>';
    return Object.keys(c).map(function (mt) {
      return '<div class="media">Content type <code>' + esc(mt) + "</code></div>" + schemaBlock(deref(c[mt]).schema);
    }).join("");
  }

  // ---- operations ----------------------------------------------------------------------------
  function authHtml(sec) {
    var optional = false, names = [];
    (Array.isArray(sec) ? sec : []).forEach(function (req) {
      if (!isObj(req)) return;
      if (!Object.keys(req).length) optional = true;
      Object.keys(req).forEach(function (n) { if (names.indexOf(n) < 0) names.push(n); });
    });
    if (!names.length) return '<span class="auth none">No authentication</span>';
    var schemes = (isObj(spec.components) && spec.components.securitySchemes) || {};
    var bearer = names.some(function (n) { var d = deref(schemes[n]); return d.type === "http" && String(d.scheme).toLowerCase() === "bearer"; });
    return '<span class="auth">&#128274; ' + (bearer ? "Bearer token" : "Credentials (" + esc(names.join(", ")) + ")") +
      (optional ? " optional" : " required") + '</span> <a href="#authentication">How to authenticate</a>';
  }
  function paramsHtml(op) {
    var byKey = {}, order = [];
    (Array.isArray(op.item.parameters) ? op.item.parameters : []).concat(Array.isArray(op.op.parameters) ? op.op.parameters : []).forEach(function (p) {
      p = deref(p);
      var key = p.in + ":" + p.name;
      if (!byKey[key]) order.push(key);
      byKey[key] = p;
    });
    if (!order.length) return "";
    var rows = order.map(function (key) {
      var p = byKey[key], r = resolve(p.schema || {}, []);
      return "<tr><td><code>" + esc(p.name) + "</code></td><td>" + esc(p.in) + "</td><td>" + (p.required ? '<span class="req">required</span>' : '<span class="muted">optional</span>') +
        "</td><td>" + label(r, 0) + " " + facts(r) + "</td><td>" + (text(p.description || r.desc) || '<span class="muted">&mdash;</span>') + "</td></tr>";
    }).join("");
    return '<h4>Parameters</h4><div class="tablewrap"><table><thead><tr><th>Name</th><th>In</th><th>Required</th><th>Type</th><th>Description</th></tr></thead><tbody>' + rows + "</tbody></table></div>";
  }
  function responsesHtml(responses) {
    var codes = Object.keys(isObj(responses) ? responses : {}).sort();
    if (!codes.length) return "";
    return "<h4>Responses</h4>" + codes.map(function (code) {
      var r = deref(responses[code]), cls = /^[2-5]/.test(code) ? code.charAt(0) : "x";
      var desc = String(r.description || "").split("\n")[0];
      return '<details class="resp"' + (cls === "2" ? " open" : "") + '><summary><span class="st st-' + cls + '">' + esc(code) + "</span>" + esc(desc) + "</summary>" +
        headersHtml(r.headers) + contentHtml(r.content) + "</details>";
    }).join("");
  }
  // one line of names, each described in its tooltip: most answers carry the same few headers
  function headersHtml(headers) {
    var names = Object.keys(isObj(headers) ? headers : {});
    if (!names.length) return "";
    return '<p class="muted">Headers: ' + names.map(function (n) { return '<code title="' + esc(deref(headers[n]).description) + '">' + esc(n) + "</code>"; }).join(" ") + "</p>";
  }
  function opHtml(op) {
    var o = op.op, m = esc(op.method);
    var h = '<section class="section" id="' + esc(op.id) + '"><h3>' + esc(o.summary || op.path) + (o.deprecated ? ' <span class="chip">deprecated</span>' : "") + "</h3>" +
      '<div class="endpoint"><span class="m m-' + m + '">' + m.toUpperCase() + "</span><code>" + esc(op.path) + "</code></div>" +
      authHtml(o.security !== undefined ? o.security : spec.security) + text(o.description) + paramsHtml(op);
    var body = deref(o.requestBody);
    if (o.requestBody) h += "<h4>Request body " + (body.required ? '<span class="req">required</span>' : '<span class="muted">optional</span>') + "</h4>" + text(body.description) + contentHtml(body.content);
    return h + responsesHtml(o.responses) + "</section>";
  }
  function collect() {
    var groups = {}, order = [], used = {};
    (Array.isArray(spec.tags) ? spec.tags : []).forEach(function (t) { if (isObj(t) && t.name && !groups[t.name]) { groups[t.name] = { name: t.name, desc: t.description, ops: [] }; order.push(t.name); } });
    Object.keys(spec.paths).forEach(function (path) {
      var item = deref(spec.paths[path]);
      METHODS.forEach(function (method) {
        var o = item[method];
        if (!isObj(o)) return;
        var id = "op-" + method + "-" + (path.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "root");
        while (used[id]) id += "-2";
        used[id] = true;
        var tag = Array.isArray(o.tags) && o.tags.length ? String(o.tags[0]) : "Other";
        if (!groups[tag]) { groups[tag] = { name: tag, ops: [] }; order.push(tag); }
        groups[tag].ops.push({ path: path, method: method, op: o, item: item, id: id, tag: tag });
      });
    });
    if (groups.Other) order = order.filter(function (n) { return n !== "Other"; }).concat(["Other"]);
    return order.map(function (n) { return groups[n]; }).filter(function (g) { return g.ops.length; });
  }

  // ---- page ----------------------------------------------------------------------------------
  function introHtml(groups) {
    var info = isObj(spec.info) ? spec.info : {};
    var server = Array.isArray(spec.servers) && isObj(spec.servers[0]) ? spec.servers[0].url : "";
    if (typeof server === "string" && server.charAt(0) === "/") server = location.origin + server;
    var login = null;
    groups.forEach(function (g) { g.ops.forEach(function (op) { if (!login && op.method === "post" && /\/auth\/login$/.test(op.path)) login = op; }); });
    var loginRef = login ? '<a href="#' + esc(login.id) + '"><code>POST ' + esc(login.path) + "</code></a>" : "<code>POST /auth/login</code>";
    return '<section class="intro" id="introduction"><h1>' + esc(info.title || "API reference") + "</h1>" +
      (info.version ? '<p class="muted">Version ' + esc(info.version) + "</p>" : "") + text(info.description) +
      (server ? "<p>Base URL: <code>" + esc(server) + "</code>. Paths below are relative to it.</p>" : "") +
      '<p>Machine-readable description: <a href="' + SPEC_URL + '">' + SPEC_URL + "</a> (OpenAPI " + esc(spec.openapi || "3") + ").</p></section>" +
      '<section class="section" id="authentication"><h2>Authentication</h2>' +
      "<p>Endpoints marked with a lock need an <code>Authorization</code> header:</p><pre>Authorization: Bearer &lt;token&gt;</pre>" +
      "<p>The token is either an access token returned by " + loginRef + " or a business API key (API keys start with <code>cf_</code>). " +
      "Keep keys secret: send them only from servers, never from browsers.</p>" +
      "<h3>Errors</h3><p>Errors are returned as <code>application/problem+json</code> (RFC 9457): an object with <code>type</code>, <code>title</code>, " +
      "<code>status</code> and <code>detail</code>, plus an <code>errors</code> list of <code>{ path, message }</code> for validation failures.</p></section>";
  }
  function render() {
    var info = isObj(spec.info) ? spec.info : {};
    if (info.title) document.getElementById("brand").textContent = String(info.title);
    if (info.version) document.getElementById("version").textContent = "v" + String(info.version).replace(/^v/i, "");
    var groups = collect(), main = introHtml(groups), side = "";
    groups.forEach(function (g, i) {
      main += '<h2 class="tagname" id="tag-' + i + '">' + esc(g.name) + "</h2>" + (g.desc ? text(g.desc) : "") + g.ops.map(opHtml).join("");
      side += '<div class="group"><div class="gname">' + esc(g.name) + "</div>" + g.ops.map(function (op) {
        var q = [op.path, op.op.summary, op.op.operationId, g.name, op.method].join(" ").toLowerCase();
        return '<a href="#' + esc(op.id) + '" data-q="' + esc(q) + '" title="' + esc(op.op.summary || "") + '"><span class="m m-' + esc(op.method) + '">' +
          esc(op.method.toUpperCase()) + '</span><span class="np mono">' + esc(op.path) + "</span></a>";
      }).join("") + "</div>";
    });
    if (!groups.length) main += '<p class="muted">This document describes no operations.</p>';
    content.innerHTML = main;
    nav.innerHTML = side;
    if (location.hash.length > 1) {
      var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
      if (target) target.scrollIntoView();
    }
  }
  function filter() {
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean), total = 0;
    Array.prototype.forEach.call(nav.querySelectorAll(".group"), function (g) {
      var shown = 0;
      Array.prototype.forEach.call(g.querySelectorAll("a"), function (a) {
        var q = a.getAttribute("data-q") || "";
        var hit = words.every(function (w) { return q.indexOf(w) >= 0; });
        a.hidden = !hit;
        if (hit) shown++;
      });
      g.hidden = !shown;
      total += shown;
    });
    document.getElementById("nomatch").hidden = total > 0 || !nav.children.length;
  }
  function fail(err) {
    content.innerHTML = '<div class="error" role="alert"><h1>Could not show the API reference</h1><p>' + esc(err && err.message ? err.message : err) +
      "</p><p>The page reads <code>GET " + esc(SPEC_URL) + '</code>. Check that the server is running, then <a href="">reload</a>.</p></div>';
    nav.innerHTML = "";
  }

  search.addEventListener("input", filter);
  document.getElementById("menu").addEventListener("click", function () { document.body.classList.toggle("nav-open"); });
  nav.addEventListener("click", function (e) { if (e.target.closest && e.target.closest("a")) document.body.classList.remove("nav-open"); });

  fetch(SPEC_URL, { headers: { Accept: "application/json" } })
    .then(function (res) {
      if (!res.ok) throw new Error("The server answered " + res.status + (res.statusText ? " " + res.statusText : "") + ".");
      return res.json().catch(function () { throw new Error("The response is not valid JSON."); });
    })
    .then(function (doc) {
      if (!isObj(doc) || !isObj(doc.paths)) throw new Error("The response is not an OpenAPI document (it has no paths).");
      spec = doc;
      render();
    })
    .catch(fail);
})();
`;
