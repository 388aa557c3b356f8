// chatrec floating chat widget: a button that opens a small chat panel talking to a running chatrec app through its
// named API (/chat, /feedback, /reset, /status) with @gradio/client. Bundled by esbuild into dist/chatrec-widget.js,
// so a page needs no CDN and no npm at run time:
//
//   <script src="chatrec-widget.js" data-app="https://your-chatrec.example" defer></script>
//
// or, for options:  ChatrecWidget.mount({ app: "https://...", catalog: "products", title: "Gift ideas" })
//
// Everything from the app (titles, explanations, errors) is inserted with textContent: nothing renders as markup.
// The widget lives in a shadow root, so the host page's CSS and the widget's CSS never touch each other.
import { Client } from "@gradio/client";

const STYLE = `
:host { all: initial; }
* { box-sizing: border-box; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; border: none; border-radius: 999px;
  padding: 12px 18px; background: #4f46e5; color: #fff; font-size: 15px; font-weight: 600; cursor: pointer;
  box-shadow: 0 6px 20px rgba(0,0,0,.25); }
.panel { position: fixed; right: 20px; bottom: 76px; z-index: 2147483000; width: min(380px, calc(100vw - 40px));
  height: min(560px, calc(100vh - 110px)); display: none; flex-direction: column; background: #fff; color: #111827;
  border-radius: 14px; box-shadow: 0 12px 40px rgba(0,0,0,.3); overflow: hidden; }
.panel.open { display: flex; }
.head { display: flex; align-items: center; gap: 8px; padding: 10px 12px; background: #4f46e5; color: #fff; }
.head .title { font-weight: 700; flex: 1; }
.head select, .head button { font-size: 12px; border-radius: 6px; border: 1px solid rgba(255,255,255,.5);
  background: rgba(255,255,255,.15); color: #fff; padding: 3px 6px; cursor: pointer; }
.head select option { color: #111827; }
.log { flex: 1; overflow-y: auto; padding: 10px; display: flex; flex-direction: column; gap: 8px; background: #f8fafc; }
.msg { max-width: 92%; padding: 8px 10px; border-radius: 10px; font-size: 14px; line-height: 1.35; white-space: pre-wrap; }
.msg.user { align-self: flex-end; background: #4f46e5; color: #fff; }
.msg.bot { align-self: flex-start; background: #fff; border: 1px solid #e5e7eb; }
.msg.error { border-color: #fca5a5; color: #991b1b; background: #fef2f2; }
.status { font-size: 12px; color: #6b7280; font-style: italic; }
.card { border: 1px solid #e0e7ff; border-radius: 8px; padding: 6px 8px; margin-top: 6px; background: #fafaff; white-space: normal; }
.card .t { font-weight: 700; }
.card .f { font-size: 12px; color: #4b5563; }
.card .e { font-size: 13px; margin: 4px 0; }
.card .b { display: flex; gap: 6px; }
.card .b button { font-size: 12px; border: 1px solid #d1d5db; background: #fff; border-radius: 6px; padding: 2px 8px; cursor: pointer; }
.card .b button.on.like { background: #dcfce7; border-color: #16a34a; }
.card .b button.on.dislike { background: #fee2e2; border-color: #dc2626; }
.card.disliked { opacity: .55; }
form { display: flex; gap: 6px; padding: 8px; border-top: 1px solid #e5e7eb; background: #fff; }
form input { flex: 1; font-size: 14px; padding: 8px; border: 1px solid #d1d5db; border-radius: 8px; }
form button { border: none; border-radius: 8px; background: #4f46e5; color: #fff; padding: 0 14px; font-weight: 600; cursor: pointer; }
form button:disabled { opacity: .5; cursor: default; }
`;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function errorText(ev) {
  const m = ev && ev.message;
  if (Array.isArray(m)) return m.map((x) => (x && x.message) || String(x)).join("; ");
  return m || "Something went wrong; please try again.";
}

export function mount(options = {}) {
  const app = (options.app || "").replace(/\/+$/, "");
  if (!app) throw new Error("chatrec widget: pass the app URL, e.g. mount({ app: 'https://...' })");
  const catalogs = options.catalogs || ["movies", "products"];
  let catalog = options.catalog || catalogs[0];
  let clientPromise = null;
  let busy = false;

  const host = el("div");
  host.id = options.id || "chatrec-widget";
  const root = host.attachShadow({ mode: "open" });
  root.appendChild(el("style", null, STYLE));

  const launcher = el("button", "launcher", options.label || "Ask chatrec");
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  const panel = el("div", "panel");
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", options.title || "chatrec recommendations");
  const head = el("div", "head");
  head.appendChild(el("span", "title", options.title || "chatrec"));
  const select = el("select", "catalog");
  select.setAttribute("aria-label", "Catalog");
  for (const c of catalogs) {
    const o = el("option", null, c);
    o.value = c;
    if (c === catalog) o.selected = true;
    select.appendChild(o);
  }
  const resetBtn = el("button", "reset", "New");
  resetBtn.type = "button";
  const closeBtn = el("button", "close", "Close");
  closeBtn.type = "button";
  head.append(select, resetBtn, closeBtn);
  const log = el("div", "log");
  log.setAttribute("aria-live", "polite");
  const form = el("form");
  const input = el("input");
  input.placeholder = options.placeholder || "What are you looking for?";
  input.maxLength = 2000;
  input.setAttribute("aria-label", "Message");
  const send = el("button", "send", "Send");
  send.type = "submit";
  form.append(input, send);
  panel.append(head, log, form);
  root.append(launcher, panel);
  (options.container || document.body).appendChild(host);

  const client = () => {
    if (!clientPromise) {
      clientPromise = Client.connect(app).catch((e) => {
        clientPromise = null;
        throw e;
      });
    }
    return clientPromise;
  };

  function add(role, text) {
    const m = el("div", "msg " + role, text);
    log.appendChild(m);
    log.scrollTop = log.scrollHeight;
    return m;
  }

  const HINTS = { movies: '"shorter", "no horror", "more like the second one"', products: '"cheaper", "for a 10-year-old"' };

  function greet() {
    log.textContent = "";
    add("bot", options.greeting || `Hi! Tell me what ${catalog} you are looking for, then push back to refine ` +
      `(${HINTS[catalog] || '"more like the first one"'}).`);
  }

  function card(rec) {
    const c = el("div", "card");
    c.dataset.itemId = rec.item_id;
    c.appendChild(el("div", "t", rec.title));
    const facts = Object.values(rec.facts || {}).filter(Boolean).join(" · ");
    if (facts) c.appendChild(el("div", "f", facts));
    c.appendChild(el("div", "e", rec.explanation || "writing an explanation..."));
    const b = el("div", "b");
    const note = el("div", "status note");
    for (const [cls, label, liked] of [["like", "Like", true], ["dislike", "Not for me", false]]) {
      const btn = el("button", cls, label);
      btn.type = "button";
      btn.addEventListener("click", async () => {
        b.querySelectorAll("button").forEach((x) => x.classList.remove("on"));
        btn.classList.add("on");
        c.classList.toggle("disliked", !liked);
        note.textContent = "";
        try {
          const cl = await client();
          await cl.predict("/feedback", { item_id: rec.item_id, liked });
          note.textContent = liked ? "Noted: more like this." : "Noted: I won't suggest it again.";
        } catch (e) {
          note.textContent = errorText(e);
        }
      });
      b.appendChild(btn);
    }
    c.appendChild(b);
    c.appendChild(note);
    return c;
  }

  function render(bubble, out) {
    bubble.textContent = "";
    const recs = out.recommendations || [];
    if (out.done) {
      bubble.appendChild(el("div", null, recs.length ? `Here are ${recs.length} ${catalog} for you:` : out.reply));
    } else {
      bubble.appendChild(el("div", "status working", recs.length ? "Writing explanations..." : "Thinking..."));
    }
    for (const r of recs) bubble.appendChild(card(r));
    for (const n of out.done ? out.notices || [] : []) bubble.appendChild(el("div", "status", n));
    log.scrollTop = log.scrollHeight;
  }

  async function ask(text) {
    if (busy || !text.trim()) return;
    busy = true;
    send.disabled = true;
    add("user", text);
    const bubble = add("bot", "");
    bubble.appendChild(el("div", "status working", "Connecting..."));
    try {
      const cl = await client();
      const job = cl.submit("/chat", { message: text, catalog });
      for await (const ev of job) {
        if (ev.type === "data" && ev.data && ev.data[0]) {
          render(bubble, ev.data[0]);
        } else if (ev.type === "status") {
          if (ev.stage === "error") {
            bubble.className = "msg bot error";
            bubble.textContent = errorText(ev);
            break;
          }
          if (ev.stage === "pending" && ev.position) {
            bubble.textContent = "";
            bubble.appendChild(el("div", "status working", `Waiting in line (position ${ev.position + 1})...`));
          }
          if (ev.stage === "complete") break;
        }
      }
    } catch (e) {
      bubble.className = "msg bot error";
      bubble.textContent = "Could not reach chatrec: " + errorText(e);
    } finally {
      busy = false;
      send.disabled = false;
      input.focus();
    }
  }

  async function reset() {
    greet();
    try {
      const cl = await client();
      await cl.predict("/reset", { catalog });
    } catch (e) {
      add("bot error", errorText(e));
    }
  }

  // On first start the app loads its model and index in the background; say so instead of a silent wait.
  async function checkReady() {
    try {
      const cl = await client();
      const st = (await cl.predict("/status", {})).data[0] || {};
      if (!st.ready && !st.error) add("bot", `chatrec is still getting ready (${st.stage}); your first answer may take a minute.`);
      if (st.error) add("bot error", "chatrec could not start: " + st.error);
    } catch (e) {
      add("bot error", "Could not reach chatrec: " + errorText(e));
    }
  }

  launcher.addEventListener("click", () => {
    const open = !panel.classList.contains("open");
    panel.classList.toggle("open", open);
    launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      if (!log.childElementCount) greet();
      input.focus();
      checkReady();
    }
  });
  closeBtn.addEventListener("click", () => {
    panel.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
  });
  select.addEventListener("change", () => {
    catalog = select.value;
    reset();
  });
  resetBtn.addEventListener("click", reset);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value;
    input.value = "";
    ask(text);
  });

  return { host, open: () => launcher.click(), ask, reset };
}

// Auto-mount from the script tag: <script src=".../chatrec-widget.js" data-app="https://..."></script>
const script = typeof document !== "undefined" ? document.currentScript : null;
if (script && script.dataset && script.dataset.app) {
  const opts = { app: script.dataset.app, catalog: script.dataset.catalog, title: script.dataset.title };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => mount(opts));
  } else {
    mount(opts);
  }
}
