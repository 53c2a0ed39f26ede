"""How the customer chat looks at phone width, beside the bank apps customers know: the bank's header with
its name, logo, hotline and 大字 (large-text mode for older customers, 适老化), the input pinned to the
bottom with compact buttons, quick-reply chips, the hotline as a `tel:` link that never breaks across
lines, no 👍/👎 on messages that are not the assistant's answers, and office hours in the customer's own
time zone. Pure helpers (unit-tested) and the page's CSS and script.
"""

from __future__ import annotations

import html
import re

from ..answer.replies import SUGGESTION_PREFIX
from ..config import Settings
from ..conversations.handoff import HandoffPolicy

# A message carrying this marker shows no 👍/👎 (the welcome, hand-offs, an expert's words): they are
# not answers the assistant could improve.
NO_FEEDBACK = '<span class="xb-nofb"></span>'
_SUGGESTION = re.compile(r"“([^”]{2,80})”")


def tel_link(hotline: str) -> str:
    digits = re.sub(r"[^0-9+]", "", hotline)
    return f'<a class="xb-tel" href="tel:{digits}">{html.escape(hotline)}</a>'


def link_hotline(escaped_text: str, hotline: str) -> str:
    """Already-escaped text with the bank's hotline as a tel: link (kept on one line by the CSS)."""
    if not hotline:
        return escaped_text
    return escaped_text.replace(html.escape(hotline), tel_link(hotline))


def split_suggestions(text: str) -> tuple[str, list[str]]:
    """("text without the 您是不是想问 line", [the suggested questions]) — they become buttons."""
    start = text.find(SUGGESTION_PREFIX)
    if start < 0:
        return text, []
    questions = _SUGGESTION.findall(text[start:])
    if not questions:
        return text, []
    return text[:start].rstrip(), questions[:3]


def logo_html(settings: Settings) -> str:
    if settings.logo_url:
        return f'<img class="xb-logo" src="{html.escape(settings.logo_url, quote=True)}" alt="">'
    return f'<span class="xb-logo" aria-hidden="true">{html.escape(settings.bank_name[:1])}</span>'


def header_html(settings: Settings) -> str:
    """The bank's header: logo, name, the hotline (tap to call) and the large-text switch."""
    return (f'<header id="xb-header">{logo_html(settings)}'
            f'<div class="xb-title"><b>{html.escape(settings.bank_name)}</b><small>消保智答 · 回答均注明依据</small></div>'
            f'<span class="xb-call"><span class="xb-call-icon" aria-hidden="true">☎ </span>{tel_link(settings.hotline)}</span>'
            '<button type="button" id="xb-large" aria-pressed="false" title="大字模式" '
            'onclick="window.xbToggleLarge && window.xbToggleLarge()">大字</button></header>')


def office_hours_html(policy: HandoffPolicy, settings: Settings) -> str:
    """Office hours in the bank's time zone, which the page's script restates in the customer's own when it
    differs (a customer abroad sees when experts are there in their local time)."""
    return (f'<span class="xb-hours" data-open="{html.escape(settings.office_open)}" '
            f'data-close="{html.escape(settings.office_close)}" data-zone="{html.escape(settings.timezone)}">'
            f'{html.escape(policy.office_hours_text())}（北京时间）</span>')


def footer_html(policy: HandoffPolicy, settings: Settings) -> str:
    return (f'<p id="xb-footnote">人工服务时间：{office_hours_html(policy, settings)}；24小时客服热线'
            f'{tel_link(settings.hotline)}。本助手的回答仅供参考，以{html.escape(settings.bank_name)}正式公告为准。</p>')


def page_css(settings: Settings) -> str:
    color = settings.brand_color if re.fullmatch(r"#[0-9a-fA-F]{3,8}", settings.brand_color or "") else "#c8102e"
    return CSS.replace("BRAND", color)


CSS = """
:root { --xb-brand: BRAND; }
.gradio-container { max-width: 760px !important; margin: 0 auto !important; padding: 0 !important; overflow-x: clip; }
/* One screen high (the keyboard shrinks it: interactive-widget=resizes-content); the chat takes the rest. */
#xb-shell { height: 100dvh; flex-wrap: nowrap !important; gap: 6px; overflow-y: auto; }
#xb-shell > * { flex: none !important; }
#xb-shell > #xb-chat { flex: 1 1 0 !important; height: auto !important; min-height: 120px !important; }
/* While an expert has the conversation the quick replies would go to the expert: they wait. */
#xb-shell:has(#xb-agent.xb-active) #xb-chips { display: none !important; }
.gradio-container .column { min-width: 0 !important; }
.xb-contained { contain: inline-size; max-width: 100%; }
#xb-footnote { overflow-wrap: anywhere; }
.gradio-container .main, .gradio-container .wrap, .gradio-container .contain { padding: 0 !important; }
.gradio-container .primary { background: var(--xb-brand) !important; border-color: var(--xb-brand) !important; }
#xb-header { display: flex; align-items: center; gap: 10px; padding: 10px 12px; background: var(--xb-brand);
             color: #fff; position: sticky; top: 0; z-index: 20; }
#xb-header .xb-logo { width: 34px; height: 34px; border-radius: 8px; background: #fff; color: var(--xb-brand);
                      display: grid; place-items: center; font-weight: 700; font-size: 18px; flex: none;
                      object-fit: contain; }
#xb-header .xb-title { flex: 1; min-width: 0; line-height: 1.25; }
#xb-header .xb-title b { display: block; font-size: 17px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
#xb-header .xb-title small { opacity: .9; font-size: 12px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; display: block; }
#xb-header .xb-call, #xb-header .xb-call a { color: #fff; font-size: 14px; text-decoration: none; white-space: nowrap; }
#xb-header #xb-large { border: 1px solid rgba(255,255,255,.7); background: transparent; color: #fff; border-radius: 16px;
                       padding: 4px 10px; font-size: 14px; min-height: 32px; cursor: pointer; white-space: nowrap; }
@media (max-width: 380px) {  /* a small phone: the bank's name keeps its room */
  #xb-header { gap: 8px; } #xb-header .xb-call-icon { display: none; } }
html.xb-large #xb-header #xb-large { background: #fff; color: var(--xb-brand); }
a.xb-tel { white-space: nowrap; color: var(--xb-brand); font-weight: 600; }
#xb-chat { border: 0 !important; }
#xb-chat .message-row:has(.xb-nofb) + .message-buttons button[aria-label="有帮助"],
#xb-chat .message-row:has(.xb-nofb) + .message-buttons button[aria-label="没帮助"],
#xb-chat .message-row:has(.xb-nofb) + .message-buttons button[aria-label^="已标记"],
#xb-chat .message-row:has(.xb-nofb) + .message-buttons button[aria-label="反馈原因"] { display: none !important; }
#xb-chips { flex-wrap: nowrap !important; overflow-x: auto; gap: 8px; padding: 6px 10px; scrollbar-width: none;
            min-width: 0; max-width: 100%; contain: inline-size; }
#xb-chips button { flex: none !important; min-width: 0 !important; width: auto !important; border-radius: 16px;
                   padding: 4px 12px; font-size: 14px; white-space: nowrap; }
#xb-composer { position: sticky; bottom: 0; z-index: 15; background: var(--background-fill-primary);
               padding: 6px 8px calc(6px + env(safe-area-inset-bottom)); border-top: 1px solid var(--border-color-primary);
               gap: 6px; }
#xb-composer .row { gap: 6px; flex-wrap: nowrap !important; align-items: stretch; }
#xb-composer .block { border: 0 !important; padding: 0 !important; box-shadow: none !important; background: transparent; }
#xb-composer #xb-input { flex: 1 1 auto !important; min-width: 0 !important; }
#xb-composer #xb-input textarea { font-size: 16px; }  /* 16px: phones do not zoom into the field */
#xb-send, #xb-human, #xb-back, #xb-clear { flex: none !important; min-width: 0 !important; width: auto !important;
                                            padding: 0 14px !important; white-space: nowrap; }
#xb-actions { gap: 6px; flex-wrap: nowrap !important; }
#xb-actions button { font-size: 14px; min-height: 34px; }
#xb-footnote { font-size: 12px; color: var(--body-text-color-subdued); padding: 4px 12px 8px; margin: 0; }
html.xb-embedded #xb-header .xb-logo, html.xb-embedded #xb-header .xb-title { display: none !important; }
html.xb-embedded #xb-header { justify-content: flex-end; padding: 4px 10px; position: static; }
html.xb-large #xb-chat .message-content, html.xb-large #xb-chat .message-content * { font-size: 21px !important;
                                                                                     line-height: 1.7 !important; }
html.xb-large #xb-composer textarea { font-size: 20px !important; }
html.xb-large #xb-composer button, html.xb-large #xb-chips button { font-size: 18px !important; min-height: 44px; }
html.xb-large #xb-footnote { font-size: 16px; }
"""

# 大字 (remembered on this device: a display preference, not conversation data), and office hours restated
# in the customer's time zone when it is not the bank's.
SCRIPT = """<script>
(function () {
  function apply(on) {
    document.documentElement.classList.toggle("xb-large", on);
    var button = document.getElementById("xb-large");
    if (button) button.setAttribute("aria-pressed", String(on));
  }
  window.xbToggleLarge = function () {
    var on = !document.documentElement.classList.contains("xb-large");
    try { localStorage.setItem("xb-large-text", on ? "1" : "0"); } catch (error) {}
    apply(on);
  };
  try { if (localStorage.getItem("xb-large-text") === "1") apply(true); } catch (error) {}
  function localHours() {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    document.querySelectorAll(".xb-hours[data-zone]:not([data-done])").forEach(function (node) {
      node.setAttribute("data-done", "1");
      if (!zone || zone === node.dataset.zone) return;
      function local(hhmm) {
        var parts = hhmm.split(":");
        var now = new Date();
        var bank = new Date(now.toLocaleString("en-US", { timeZone: node.dataset.zone }));
        var offset = bank.getTime() - now.getTime();
        var at = new Date(bank.getFullYear(), bank.getMonth(), bank.getDate(), +parts[0], +parts[1]);
        return new Date(at.getTime() - offset).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" });
      }
      node.insertAdjacentText("beforeend", "，即您当地时间 " + local(node.dataset.open) + "–" + local(node.dataset.close));
    });
  }
  new MutationObserver(function () {
    localHours();
    var button = document.getElementById("xb-large");
    if (button) button.setAttribute("aria-pressed", String(document.documentElement.classList.contains("xb-large")));
  }).observe(document.documentElement, { subtree: true, childList: true });
})();
</script>"""
