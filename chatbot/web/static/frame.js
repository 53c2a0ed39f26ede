function (config) {
  // The chat page inside the bank's website widget (web/embed.py). Outside a frame it does nothing.
  if (window.self === window.top) return;
  var patterns = config.origins.map(function (source) { return new RegExp(source); });
  function allowed(origin) {
    if (!origin || origin === "null") return false;
    if (config.self && origin === window.location.origin) return true;
    return patterns.some(function (pattern) { return pattern.test(origin); });
  }
  var ancestors = window.location.ancestorOrigins;
  var parentOrigin = (ancestors && ancestors.length) ? ancestors[0]
    : (document.referrer ? new URL(document.referrer).origin : null);
  document.documentElement.classList.add("xb-embedded");
  var pending = null;

  function identityField() { return document.querySelector("#xb-identity textarea, #xb-identity input"); }
  function setIdentity(token) {
    var field = identityField();
    if (!field) { pending = token; return; }
    field.value = token;
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }
  function setColor(color) {
    if (/^(#[0-9a-fA-F]{3,8}|rgba?\([0-9.,%\s]+\)|hsla?\([0-9.,%\sdeg]+\))$/.test(color)) {
      document.documentElement.style.setProperty("--xb-brand", color);
    }
  }
  window.addEventListener("message", function (event) {
    // Only the parent window, and only when its origin is one the bank configured.
    if (event.source !== window.parent || !allowed(event.origin)) return;
    var data = event.data;
    if (!data || typeof data !== "object") return;
    if (data.type === "xiaobao:identity" && typeof data.token === "string" && data.token.length <= 4096) {
      setIdentity(data.token);
    } else if (data.type === "xiaobao:theme" && typeof data.color === "string") {
      setColor(data.color);
    }
  });
  function announce() {
    if (!identityField()) { setTimeout(announce, 100); return; }
    if (pending !== null) setIdentity(pending);
    if (allowed(parentOrigin)) window.parent.postMessage({ type: "xiaobao:ready" }, parentOrigin);
  }
  announce();
}
