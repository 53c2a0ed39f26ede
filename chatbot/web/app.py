"""One FastAPI app: the JSON API under /api, the staff console at /staff (login) and the customer chat at /."""

from __future__ import annotations

from fastapi.responses import RedirectResponse

from ..services import Services
from .api import create_api
from .desk_format import CSS as STAFF_CSS
from .staff_api import staff_router
from .staff_ui import build_staff_ui
from .ui import CSS, build_ui


def create_app(services: Services):
    import gradio as gr

    api = create_api(services.chat)
    api.include_router(staff_router(services.desk, services.staff, services.knowledge, gaps=services.gaps))
    directory = services.staff

    @api.get("/staff", include_in_schema=False)
    def staff_root():
        """Where Gradio's /logout of the console sends the browser: the console (and its login)."""
        return RedirectResponse("/staff/")

    # /staff is mounted before / so that the customer app's catch-all does not shadow it.
    api = gr.mount_gradio_app(api, build_staff_ui(services.desk, directory, knowledge=services.knowledge,
                                                  gaps=services.gaps),
                              path="/staff", css=STAFF_CSS,
                              auth=lambda name, password: directory.authenticate(name, password) is not None,
                              auth_message="消保智答员工工作台：请使用员工账号登录")
    return gr.mount_gradio_app(api, build_ui(services.chat), path="/", css=CSS)
