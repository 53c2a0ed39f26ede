"""One FastAPI app: the JSON API under /api, the staff console at /staff (login) and the customer chat at /,
wrapped in the security middleware of web/guards.py (README "Security")."""

from __future__ import annotations

import contextlib

from fastapi import Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, RedirectResponse

from ..services import Services
from .api import create_api
from .desk_format import CSS as STAFF_CSS
from .embed import frame_script, widget_router
from .guards import (BodyLimit, CrossSiteGuard, CustomerFileGuard, CustomerRateLimit, RateLimiter, SecurityHeaders,
                     StaffLoginGuard)
from .openai_api import openai_router
from .page import TRANSLATIONS, PageShell
from .sessions import PageSession, SessionSigner, set_session_cookie
from .staff_api import staff_router
from .staff_ui import build_staff_ui
from .chat_look import SCRIPT as CHAT_SCRIPT
from .survey_api import add_survey_route
from .ui import build_ui, page_style


def create_app(services: Services, *, background_jobs: bool = False):
    import gradio as gr

    settings = services.settings
    signer = SessionSigner.from_settings(settings)
    limiter = RateLimiter(settings.rate_limit)
    api = create_api(services.chat, signer)
    api.include_router(staff_router(services.desk, services.staff, services.knowledge, gaps=services.gaps,
                                    throttle=services.login_throttle, erasure=services.erasure,
                                    ops=services.operations))
    add_survey_route(api, services.chat, signer)
    api.include_router(openai_router(services.chat, signer))
    api.include_router(widget_router())

    @api.post("/api/session/reset")
    def reset_session(request: Request) -> JSONResponse:
        """清空对话: a new session for this browser; the old one is not reachable from it any more."""
        response = JSONResponse({"ok": True})
        set_session_cookie(response, signer.issue()[1], https=request.url.scheme == "https")
        return response

    @api.get("/staff", include_in_schema=False)
    def staff_without_slash(request: Request) -> RedirectResponse:
        """/staff as people type it, and where Gradio's /logout of the console sends the browser; without this
        the customer page's catch-all answered 404. Relative, so a proxy's path prefix is kept."""
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse("staff/" + query, status_code=307)

    # Same-origin only: this also stops Gradio from adding its own CORS rules (which let any localhost
    # origin send credentials).
    api.add_middleware(CORSMiddleware, allow_origins=[], allow_credentials=False)
    directory = services.staff

    theme = gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])  # no web fonts
    chinese = gr.I18n(**{"zh-CN": TRANSLATIONS})
    staff = build_staff_ui(services.desk, directory, knowledge=services.knowledge, gaps=services.gaps,
                           operations=services.operations)
    staff.queue(default_concurrency_limit=settings.ui_concurrency)
    # /staff is mounted before / so that the customer app's catch-all does not shadow it.
    api = gr.mount_gradio_app(api, staff, path="/staff", css=STAFF_CSS, theme=theme, run_history=False,
                              footer_links=[], max_file_size=int(settings.upload_max_mb * 1024 * 1024),
                              auth=console_login(directory, services.operations.audit),
                              auth_message="消保智答员工工作台：请使用员工账号登录", i18n=chinese)
    chat = build_ui(services.chat, signer, limiter)
    chat.queue(default_concurrency_limit=settings.ui_concurrency)
    api = gr.mount_gradio_app(api, chat, path="/", css=page_style(settings), theme=theme, run_history=False, footer_links=[],
                              show_error=False, max_file_size=0, head=CHAT_SCRIPT + frame_script(settings),
                              i18n=chinese)
    # Gradio accepts an event's file paths only from its upload cache once a Blocks "has launched"; a
    # mounted Blocks never launches, so without this any server path named in a request was copied in.
    staff.has_launched = chat.has_launched = True
    # Outermost last: headers on every answer, then size, cross-site, file routes, rates, login back-off.
    api.add_middleware(StaffLoginGuard, throttle=services.login_throttle)
    api.add_middleware(CustomerRateLimit, limiter=limiter)
    api.add_middleware(PageSession, signer=signer)
    api.add_middleware(PageShell, settings=settings)
    api.add_middleware(CustomerFileGuard)
    api.add_middleware(CrossSiteGuard)
    api.add_middleware(BodyLimit, settings=settings)
    api.add_middleware(SecurityHeaders, settings=settings)
    serving = api.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app):
        """While the server runs: follow publishes and (`ingest_worker=embedded`) run the ingest jobs and,
        with `background_jobs`, the retention job; with an external worker, that process runs retention."""
        services.start_background(retention=background_jobs)
        try:
            async with serving(app) as state:
                yield state
        finally:
            services.stop_background()

    api.router.lifespan_context = lifespan
    return api


def console_login(directory, audit):
    """The console's login check; each successful login goes to the staff action log."""

    def check(name: str, password: str) -> bool:
        user = directory.authenticate(name, password)
        if user is not None:
            audit.record(user.name, "login", "员工工作台", role=user.role)
        return user is not None

    return check
