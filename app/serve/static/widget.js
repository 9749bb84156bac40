/*
 * Hỏi đáp tài liệu — a chat widget any page embeds with one tag:
 *   <script src="https://HOST/widget.js" defer></script>
 * Optional attributes: data-api (default: this script's origin), data-title, data-greeting,
 * data-accent (a CSS colour), data-position ("right" | "left"), data-collection (the collection to
 * answer from; default: the key's one collection, else "default") and data-key (an `ask` key of
 * that collection: it sits in the page, so never a manage or root key; give it `origins`).
 *
 * It lives in a Shadow DOM (the page's CSS cannot reach in, its own cannot leak out), streams answers
 * from POST {api}/ask/stream (Server-Sent Events), and renders everything the server sends as text:
 * server data is only ever set as text (textContent), so a document holding markup shows the markup.
 */
(function () {
  "use strict";
  if (window.vnDocQA) return; // embedded twice: keep the first

  var script = document.currentScript;
  var data = (script && script.dataset) || {};
  var scriptOrigin = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var API = (data.api || scriptOrigin).replace(/\/+$/, "");
  var TITLE = data.title || "Hỏi đáp tài liệu";
  var GREETING = data.greeting || "Xin chào! Hãy hỏi về báo cáo, nghị quyết của địa phương.";
  var ACCENT = data.accent || "#b71c1c";
  var LEFT = data.position === "left";
  var COLLECTION = data.collection || "";
  var KEY = data.key || "";
  var STORE = "vn-docqa:" + API + (COLLECTION ? ":" + COLLECTION : "");
  var ABSTAIN_NOTE = "Tài liệu không có thông tin này";

  var CSS = [
    ".wrap{all:initial;display:block;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;",
    "color:#1a1a1a;text-align:left;direction:ltr}",
    "*{box-sizing:border-box}",
    "button{font:inherit;cursor:pointer}",
    ".launcher{width:56px;height:56px;border-radius:50%;border:0;background:var(--accent);color:#fff;",
    "font-size:24px;box-shadow:0 4px 14px rgba(0,0,0,.25);display:block;margin-left:auto}",
    ".launcher:focus-visible,.panel button:focus-visible,textarea:focus-visible{outline:3px solid #1565c0;outline-offset:2px}",
    ".panel{display:none;flex-direction:column;width:min(380px,calc(100vw - 32px));height:min(560px,calc(100vh - 96px));",
    "background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);overflow:hidden;margin-bottom:10px}",
    ".panel.open{display:flex}",
    "header{display:flex;align-items:center;gap:6px;background:var(--accent);color:#fff;padding:10px 12px}",
    "header h2{flex:1;margin:0;font-size:16px;font-weight:600}",
    "header button{background:transparent;border:1px solid rgba(255,255,255,.6);color:#fff;border-radius:6px;padding:2px 8px}",
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px;background:#fafafa}",
    ".msg{max-width:92%;padding:8px 11px;border-radius:10px;white-space:pre-wrap;overflow-wrap:anywhere}",
    ".user{align-self:flex-end;background:var(--accent);color:#fff}",
    ".bot{align-self:flex-start;background:#fff;border:1px solid #e0e0e0}",
    ".bot.abstain{background:#fff8e1;border-color:#ffcc80}",
    ".bot.error{background:#ffebee;border-color:#ef9a9a}",
    ".note{display:block;font-size:12px;color:#6d4c41;margin-top:4px}",
    ".cite{border:0;background:#e3f2fd;color:#0d47a1;border-radius:4px;padding:0 4px;margin:0 1px;font-size:12px;vertical-align:baseline}",
    "mark{background:#c8e6c9;color:inherit;border-radius:3px;padding:0 2px}",
    ".source{margin-top:6px;padding:8px;border-left:3px solid #1565c0;background:#f5f9ff;font-size:13px}",
    ".source{max-height:220px;overflow-y:auto}.source b{display:block}",
    ".source a.open{display:block;margin-top:4px;color:#0d47a1}",
    ".rate{margin-top:4px}.thumb{border:1px solid #ccc;background:#fff;border-radius:4px;margin-right:4px;padding:0 6px}",
    ".thumb[aria-pressed=true]{background:#e3f2fd}",
    ".retry{margin-top:6px;border:1px solid #c62828;background:#fff;color:#c62828;border-radius:6px;padding:2px 10px}",
    "form{display:flex;gap:6px;padding:10px;border-top:1px solid #e0e0e0;background:#fff}",
    "textarea{flex:1;resize:none;min-height:40px;max-height:120px;padding:8px;border:1px solid #bdbdbd;border-radius:8px;font:inherit;color:#1a1a1a;background:#fff}",
    "form button{border:0;border-radius:8px;padding:0 12px;background:var(--accent);color:#fff}",
    "form button.stop{background:#616161}",
    "[hidden]{display:none!important}",
  ].join("");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "class") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    if (text != null) node.textContent = text;
    return node;
  }

  var host = el("div", { id: "vn-docqa-widget" });
  // The page's CSS still styles the host element itself (even `* { all: unset }`): pin it inline.
  var side = LEFT ? "left" : "right";
  [["all", "initial"], ["position", "fixed"], ["bottom", "16px"], [side, "16px"], ["z-index", "2147483000"],
   ["display", "block"], ["--accent", ACCENT]].forEach(function (p) { host.style.setProperty(p[0], p[1], "important"); });
  var root = host.attachShadow({ mode: "open" });
  root.appendChild(el("style", {}, CSS));
  var wrap = el("div", { class: "wrap" });
  root.appendChild(wrap);

  var panel = el("section", { class: "panel", role: "dialog", "aria-label": TITLE, "aria-modal": "false" });
  var header = el("header");
  var heading = el("h2", { id: "vdq-title" }, TITLE);
  var clearBtn = el("button", { type: "button", "aria-label": "Xóa cuộc trò chuyện" }, "Xóa");
  var closeBtn = el("button", { type: "button", "aria-label": "Đóng" }, "✕");
  header.append(heading, clearBtn, closeBtn);
  var log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Cuộc trò chuyện" });
  var form = el("form", { "aria-label": "Đặt câu hỏi" });
  var input = el("textarea", { rows: "1", "aria-label": "Câu hỏi", placeholder: "Nhập câu hỏi…", maxlength: "1000" });
  var send = el("button", { type: "submit", "aria-label": "Gửi câu hỏi" }, "Gửi");
  var stop = el("button", { type: "button", class: "stop", "aria-label": "Dừng trả lời", hidden: "" }, "Dừng");
  form.append(input, send, stop);
  panel.append(header, log, form);
  var launcher = el("button", { type: "button", class: "launcher", "aria-label": "Mở hỏi đáp", "aria-expanded": "false" }, "?");
  wrap.append(panel, launcher);

  var history = [];
  var inFlight = null;

  function save() {
    try { sessionStorage.setItem(STORE, JSON.stringify(history)); } catch (e) { /* storage full or off */ }
  }

  function scroll() { log.scrollTop = log.scrollHeight; }

  function open() {
    panel.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", "Đóng hỏi đáp");
    input.focus();
  }

  function close() {
    panel.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", "Mở hỏi đáp");
    launcher.focus();
  }

  function addUser(text) {
    log.appendChild(el("div", { class: "msg user" }, text));
    scroll();
  }

  // Answer text with [n] as buttons that open the cited passage and verified figures marked.
  function renderAnswer(box, answer, citations) {
    box.textContent = "";
    box.className = "msg bot" + (answer.abstained ? " abstain" : "");
    var byId = {};
    (citations || answer.citations || []).forEach(function (c) { byId[c.id] = c; });
    var verified = (answer.figures || []).filter(function (f) { return f.verified; }).map(function (f) { return f.text; });
    var parts = String(answer.answer).split(/(\[\d+\])/);
    var source = el("div", { class: "source", hidden: "" });
    parts.forEach(function (part) {
      var m = /^\[(\d+)\]$/.exec(part);
      if (m && byId[m[1]]) {
        var c = byId[m[1]];
        var b = el("button", { type: "button", class: "cite", "aria-label": "Xem nguồn " + m[1], "aria-expanded": "false" }, "[" + m[1] + "]");
        b.addEventListener("click", function () {
          var showing = !source.hidden && source.dataset.id === m[1];
          source.textContent = "";
          if (showing) { source.hidden = true; b.setAttribute("aria-expanded", "false"); return; }
          source.dataset.id = m[1];
          source.appendChild(el("b", {}, (c.title || c.doc_id) + (c.date ? " — ngày " + c.date : "")));
          source.appendChild(document.createTextNode(c.text));
          if (c.url) {
            // The source page opens with the passage marked; built with URL, so only http(s) links.
            var href = new URL(c.url, API + "/");
            if (href.protocol === "http:" || href.protocol === "https:") {
              source.appendChild(el("a", { class: "open", href: href.href, target: "_blank", rel: "noopener noreferrer" }, "Mở tài liệu gốc ↗"));
            }
          }
          source.hidden = false;
          b.setAttribute("aria-expanded", "true");
          scroll();
        });
        box.appendChild(b);
      } else {
        appendMarked(box, part, verified);
      }
    });
    if (answer.abstained) box.appendChild(el("span", { class: "note" }, ABSTAIN_NOTE));
    box.appendChild(source);
    if (answer.answer_id) box.appendChild(feedback(answer.answer_id));
  }

  // Thumbs up / down: lands in the question log (POST /feedback), once per answer.
  function feedback(answerId) {
    var bar = el("div", { class: "rate" });
    [[1, "👍", "Câu trả lời hữu ích"], [-1, "👎", "Câu trả lời chưa đúng"]].forEach(function (r) {
      var b = el("button", { type: "button", class: "thumb", "aria-label": r[2], "aria-pressed": "false" }, r[1]);
      b.addEventListener("click", function () {
        var headers = { "Content-Type": "application/json" };
        if (KEY) headers["X-API-Key"] = KEY;
        fetch(API + "/feedback", { method: "POST", headers: headers, body: JSON.stringify({ answer_id: answerId, rating: r[0] }) })
          .then(function (resp) {
            if (!resp.ok) return;
            bar.querySelectorAll("button").forEach(function (x) { x.disabled = true; });
            b.setAttribute("aria-pressed", "true");
            bar.appendChild(el("span", { class: "note" }, "Cảm ơn bạn đã góp ý"));
          });
      });
      bar.appendChild(b);
    });
    return bar;
  }

  function appendMarked(box, text, figures) {
    var i = 0;
    while (i < text.length) {
      var best = -1, fig = null;
      figures.forEach(function (f) {
        var at = text.indexOf(f, i);
        if (at >= 0 && (best < 0 || at < best)) { best = at; fig = f; }
      });
      if (best < 0) { box.appendChild(document.createTextNode(text.slice(i))); return; }
      if (best > i) box.appendChild(document.createTextNode(text.slice(i, best)));
      box.appendChild(el("mark", { title: "Số liệu đã kiểm chứng với nguồn" }, fig));
      i = best + fig.length;
    }
  }

  function addBotError(question, message) {
    var box = el("div", { class: "msg bot error", role: "alert" }, message);
    var retry = el("button", { type: "button", class: "retry" }, "Thử lại");
    retry.addEventListener("click", function () { box.remove(); ask(question, true); });
    box.appendChild(el("br"));
    box.appendChild(retry);
    log.appendChild(box);
    scroll();
  }

  function busy(on) {
    send.hidden = on;
    stop.hidden = !on;
    input.disabled = on;
    if (!on) input.focus();
  }

  function parseEvents(buffer, onEvent) {
    var events = buffer.split("\n\n");
    var rest = events.pop();
    events.forEach(function (block) {
      var name = "message", payload = "";
      block.split("\n").forEach(function (line) {
        if (line.indexOf("event: ") === 0) name = line.slice(7);
        else if (line.indexOf("data: ") === 0) payload += line.slice(6);
      });
      if (payload) onEvent(name, JSON.parse(payload));
    });
    return rest;
  }

  function ask(question, isRetry) {
    question = String(question || "").trim();
    if (!question || inFlight) return;
    if (!isRetry) { addUser(question); history.push({ role: "user", text: question }); save(); }
    var box = el("div", { class: "msg bot", "aria-busy": "true" }, "…");
    log.appendChild(box);
    scroll();
    var controller = new AbortController();
    inFlight = controller;
    busy(true);
    var citations = [], streamed = "", finished = false;
    var headers = { "Content-Type": "application/json" };
    if (KEY) headers["X-API-Key"] = KEY;
    var body = { question: question };
    if (COLLECTION) body.collection = COLLECTION;
    fetch(API + "/ask/stream", {
      method: "POST",
      headers: headers,
      body: JSON.stringify(body),
      signal: controller.signal,
    }).then(function (resp) {
      if (!resp.ok || !resp.body) {
        return resp.json().catch(function () { return {}; }).then(function (body) {
          throw new Error(body.error || "Máy chủ trả lời lỗi " + resp.status);
        });
      }
      var reader = resp.body.getReader(), decoder = new TextDecoder(), buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) return;
          buffer = parseEvents(buffer + decoder.decode(chunk.value, { stream: true }), function (name, payload) {
            if (name === "citations") citations = payload.citations;
            else if (name === "delta") { streamed += payload.text; box.textContent = streamed; scroll(); }
            else if (name === "final") {
              finished = true;
              renderAnswer(box, payload, citations);
              box.removeAttribute("aria-busy");
              history.push({ role: "bot", answer: payload, citations: citations });
              save();
              scroll();
            } else if (name === "error") throw new Error(payload.error);
          });
          return pump();
        });
      }
      return pump();
    }).then(function () {
      if (!finished) throw new Error("Câu trả lời bị ngắt giữa chừng.");
    }).catch(function (err) {
      box.remove();
      if (err && err.name === "AbortError") {
        log.appendChild(el("div", { class: "msg bot" }, (streamed ? streamed + " … " : "") + "(đã dừng)"));
        scroll();
      } else {
        addBotError(question, "Không kết nối được máy chủ: " + ((err && err.message) || "lỗi mạng"));
      }
    }).then(function () { inFlight = null; busy(false); });
  }

  function restore() {
    var saved = [];
    try { saved = JSON.parse(sessionStorage.getItem(STORE) || "[]"); } catch (e) { saved = []; }
    history = Array.isArray(saved) ? saved : [];
    log.textContent = "";
    log.appendChild(el("div", { class: "msg bot" }, GREETING));
    history.forEach(function (m) {
      if (m.role === "user") addUser(m.text);
      else if (m.answer) { var box = el("div", { class: "msg bot" }); log.appendChild(box); renderAnswer(box, m.answer, m.citations); }
    });
    scroll();
  }

  launcher.addEventListener("click", function () { panel.classList.contains("open") ? close() : open(); });
  closeBtn.addEventListener("click", close);
  clearBtn.addEventListener("click", function () {
    history = [];
    try { sessionStorage.removeItem(STORE); } catch (e) { /* ignore */ }
    restore();
    input.focus();
  });
  stop.addEventListener("click", function () { if (inFlight) inFlight.abort(); });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var q = input.value;
    input.value = "";
    ask(q);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
  });
  root.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && panel.classList.contains("open")) { e.preventDefault(); close(); }
  });

  function mount() {
    document.body.appendChild(host);
    restore();
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  window.vnDocQA = {
    open: open,
    close: close,
    ask: function (q) { open(); ask(q); },
  };
})();
