"""One FastAPI app: the JSON API under /api, the staff console at /staff (login) and the customer chat at /."""

from __future__ import annotations

import contextlib

from ..services import Services
from .api import create_api
from .staff_api import staff_router
from .staff_ui import build_staff_ui
from .ui import CSS, build_ui


def create_app(services: Services):
    import gradio as gr

    api = create_api(services.chat)
    api.include_router(staff_router(services.desk, services.staff, services.knowledge, gaps=services.gaps))
    directory = services.staff
    # /staff is mounted before / so that the customer app's catch-all does not shadow it.
    api = gr.mount_gradio_app(api, build_staff_ui(services.desk, directory, knowledge=services.knowledge,
                                                  gaps=services.gaps),
                              path="/staff",
                              auth=lambda name, password: directory.authenticate(name, password) is not None,
                              auth_message="消保智答员工工作台：请使用员工账号登录")
    app = gr.mount_gradio_app(api, build_ui(services.chat), path="/", css=CSS)
    serving = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app):
        """While the server runs: follow publishes, and (embedded mode) run the ingest jobs."""
        services.start_background()
        try:
            async with serving(app) as state:
                yield state
        finally:
            services.stop_background()

    app.router.lifespan_context = lifespan
    return app
