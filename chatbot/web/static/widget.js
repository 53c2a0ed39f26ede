/*! XiaoBao (消保智答) website widget — one line on the bank's page:
 *   <script src="https://CHAT-HOST/widget.js" data-bank-name="示例银行" async></script>
 * Attributes (all optional):
 *   data-bank-name, data-title (default 在线客服), data-logo (image URL), data-color (CSS colour),
 *   data-identity-token (the signed token of the logged-in customer; or call XiaoBao.setIdentity(token)),
 *   data-mode="bubble" (default) | "inline", data-target (CSS selector of the container, inline mode),
 *   data-position="right" (default) | "left", data-open="true" (start open).
 * Theming: CSS variables on the page (:root or #xiaobao-widget): --xb-color, --xb-text-on-color,
 *   --xb-radius, --xb-offset, --xb-z-index, --xb-panel-width, --xb-panel-height, --xb-font.
 * The widget speaks to the chat frame only through postMessage, to and from the chat's own origin.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.XiaoBao) return;
  var chatUrl = new URL("./", script.src);
  var chatOrigin = chatUrl.origin;
  var options = script.dataset;
  var title = options.title || "在线客服";
  var bankName = options.bankName || "";
  var identity = options.identityToken || null;
  var inline = options.mode === "inline";
  var frame = null, frameReady = false, panel = null, bubble = null, opened = false;

  var CSS = [
    ":host { all: initial; display: block; }",
    ".xb { --c: var(--xb-color, #c8102e); --t: var(--xb-text-on-color, #fff); --r: var(--xb-radius, 16px);",
    "  --o: var(--xb-offset, 20px); font-family: var(--xb-font, system-ui, -apple-system, 'PingFang SC',",
    "  'Microsoft YaHei', sans-serif); }",
    ".bubble { position: fixed; bottom: var(--o); right: var(--o); z-index: var(--xb-z-index, 2147483000);",
    "  display: flex; align-items: center; gap: 8px; height: 52px; padding: 0 20px 0 16px; border: 0;",
    "  border-radius: 26px; background: var(--c); color: var(--t); font: inherit; font-size: 16px;",
    "  font-weight: 600; box-shadow: 0 6px 20px rgba(0,0,0,.22); cursor: pointer; white-space: nowrap; }",
    ".left .bubble, .left .panel { right: auto; left: var(--o); }",
    ".bubble:focus-visible, .close:focus-visible { outline: 3px solid #1a73e8; outline-offset: 2px; }",
    ".bubble svg { width: 24px; height: 24px; flex: none; }",
    ".panel { position: fixed; bottom: calc(var(--o) + 64px); right: var(--o); z-index: var(--xb-z-index, 2147483000);",
    "  width: var(--xb-panel-width, 400px); height: var(--xb-panel-height, 640px);",
    "  max-height: calc(100dvh - var(--o) * 2 - 64px); display: none; flex-direction: column; overflow: hidden;",
    "  background: #fff; border-radius: var(--r); box-shadow: 0 12px 40px rgba(0,0,0,.25); }",
    ".open .panel { display: flex; }",
    ".head { display: flex; align-items: center; gap: 10px; min-height: 52px; padding: 0 6px 0 14px;",
    "  background: var(--c); color: var(--t); flex: none; }",
    ".head img { width: 28px; height: 28px; border-radius: 6px; object-fit: contain; background: #fff; }",
    ".name { flex: 1; font-size: 16px; font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }",
    ".close { width: 44px; height: 44px; border: 0; background: transparent; color: inherit; font-size: 26px;",
    "  line-height: 1; cursor: pointer; border-radius: 8px; }",
    "iframe { flex: 1; width: 100%; min-height: 0; border: 0; display: block; background: #fff; }",
    ".inline { width: 100%; height: 100%; }",
    ".inline iframe { height: 100%; }",
    /* Phones: a full-screen sheet. 100dvh follows the browser's toolbars; the height is also set from
       visualViewport while open, so the on-screen keyboard shrinks the sheet instead of hiding the input. */
    "@media (max-width: 600px) {",
    "  .open .bubble { display: none; }",
    "  .panel { inset: 0; right: 0; bottom: 0; width: 100vw; height: 100dvh; max-height: none; border-radius: 0;",
    "    padding-top: env(safe-area-inset-top); box-sizing: border-box; }",
    "}"
  ].join("\n");

  var CHAT_ICON = '<svg viewBox="0 0 24 24" aria-hidden="true" fill="currentColor"><path d="M12 3C6.5 3 2 6.8 2 ' +
    '11.5c0 2.4 1.3 4.6 3.4 6.1L4.6 21l4-2.1c1.1.3 2.2.4 3.4.4 5.5 0 10-3.8 10-8.5S17.5 3 12 3zm-4 9.8a1.3 1.3 0 ' +
    '110-2.6 1.3 1.3 0 010 2.6zm4 0a1.3 1.3 0 110-2.6 1.3 1.3 0 010 2.6zm4 0a1.3 1.3 0 110-2.6 1.3 1.3 0 010 2.6z"/></svg>';

  function post(message) {
    // Only to the chat's origin, never "*": if the frame navigated elsewhere, nothing is delivered.
    if (frame && frame.contentWindow) frame.contentWindow.postMessage(message, chatOrigin);
  }

  function sendState() {
    if (!frameReady) return;
    if (options.color) post({ type: "xiaobao:theme", color: options.color });
    post({ type: "xiaobao:identity", token: identity || "" });
  }

  function makeFrame() {
    frame = document.createElement("iframe");
    frame.src = new URL("?embed=1", chatUrl).href;
    frame.title = (bankName ? bankName + " · " : "") + title;
    frame.allow = "clipboard-write";
    frame.referrerPolicy = "origin";
    return frame;
  }

  function fitToKeyboard() {
    // On phones the sheet follows the visual viewport (the part the keyboard leaves).
    if (!panel || !window.visualViewport) return;
    var phone = window.matchMedia("(max-width: 600px)").matches;
    panel.style.height = opened && phone ? window.visualViewport.height + "px" : "";
    panel.style.top = opened && phone ? window.visualViewport.offsetTop + "px" : "";
  }

  function setOpen(value) {
    if (inline || !panel) return;
    opened = value;
    if (opened && !frame) panel.appendChild(makeFrame());
    root.classList.toggle("open", opened);
    bubble.setAttribute("aria-expanded", String(opened));
    var phone = window.matchMedia("(max-width: 600px)").matches;
    document.documentElement.style.overflow = opened && phone ? "hidden" : "";
    fitToKeyboard();
    if (opened && frame) frame.focus();
    window.dispatchEvent(new CustomEvent(opened ? "xiaobao:open" : "xiaobao:close"));
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== chatOrigin || !frame || event.source !== frame.contentWindow) return;
    var data = event.data;
    if (!data || typeof data !== "object") return;
    if (data.type === "xiaobao:ready") { frameReady = true; sendState(); }
    else if (data.type === "xiaobao:close") setOpen(false);
  });

  var host = document.createElement("div");
  host.id = "xiaobao-widget";
  var shadow = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var style = document.createElement("style");
  style.textContent = CSS;
  shadow.appendChild(style);
  var root = document.createElement("div");
  root.className = "xb" + (options.position === "left" ? " left" : "") + (inline ? " inline" : "");
  shadow.appendChild(root);

  if (inline) {
    root.appendChild(makeFrame());
  } else {
    bubble = document.createElement("button");
    bubble.type = "button";
    bubble.className = "bubble";
    bubble.setAttribute("aria-haspopup", "dialog");
    bubble.setAttribute("aria-expanded", "false");
    bubble.innerHTML = CHAT_ICON;
    bubble.appendChild(document.createTextNode(title));
    bubble.addEventListener("click", function () { setOpen(!opened); });

    panel = document.createElement("div");
    panel.className = "panel";
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", title);
    var head = document.createElement("div");
    head.className = "head";
    if (options.logo) {
      var logo = document.createElement("img");
      logo.src = options.logo;
      logo.alt = "";
      head.appendChild(logo);
    }
    var name = document.createElement("div");
    name.className = "name";
    name.textContent = (bankName ? bankName + " · " : "") + title;
    head.appendChild(name);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "close";
    close.setAttribute("aria-label", "关闭");
    close.textContent = "×";
    close.addEventListener("click", function () { setOpen(false); bubble.focus(); });
    head.appendChild(close);
    panel.appendChild(head);
    root.appendChild(bubble);
    root.appendChild(panel);
    document.addEventListener("keydown", function (event) { if (event.key === "Escape" && opened) setOpen(false); });
    if (window.visualViewport) {
      window.visualViewport.addEventListener("resize", fitToKeyboard);
      window.visualViewport.addEventListener("scroll", fitToKeyboard);
    }
  }

  function mount() {
    var target = inline && options.target ? document.querySelector(options.target) : null;
    if (target) host.style.height = "100%";
    (target || document.body).appendChild(host);
    if (options.open === "true") setOpen(true);
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);

  window.XiaoBao = {
    open: function () { setOpen(true); },
    close: function () { setOpen(false); },
    toggle: function () { setOpen(!opened); },
    /** The signed identity of the customer who just logged in (the bank's backend made it). */
    setIdentity: function (token) { identity = token || null; sendState(); }
  };
})();
