"""python app.py — serve the customer chat at / and the JSON API under /api."""

from __future__ import annotations

import logging

from chatbot.config import Settings


def create_app(settings: Settings | None = None, *, assistant=None):
    import gradio as gr

    from chatbot.api import create_api
    from chatbot.bootstrap import build_assistant
    from chatbot.conversations.db import Database
    from chatbot.conversations.service import ChatService
    from chatbot.publishing.admin import KnowledgeAdmin
    from chatbot.staff.accounts import StaffDirectory
    from chatbot.staff.desk import Desk
    from chatbot.staff_api import staff_router
    from chatbot.staff_ui import build_staff_ui
    from chatbot.ui import CSS, build_ui

    settings = settings or Settings()
    assistant = assistant or build_assistant(settings)
    service = ChatService(assistant, Database.from_settings(settings), settings)
    directory = StaffDirectory.from_settings(settings)
    if not len(directory):
        logging.getLogger(__name__).warning("no staff accounts: set CHATBOT_STAFF_USERS to use /staff (see README)")
    desk = Desk(service)
    api = create_api(service)
    knowledge = KnowledgeAdmin(settings, assistant.retriever)
    api.include_router(staff_router(desk, directory, knowledge))

    # /staff is mounted before / so that the customer app's catch-all does not shadow it.
    api = gr.mount_gradio_app(api, build_staff_ui(desk, directory, knowledge=knowledge), path="/staff",
                              auth=lambda name, password: directory.authenticate(name, password) is not None,
                              auth_message="消保智答员工工作台：请使用员工账号登录")
    return gr.mount_gradio_app(api, build_ui(service), path="/", css=CSS)


def factory():
    """For `uvicorn --factory app:factory` and for several workers."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return create_app()


def main() -> None:
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings()
    logging.getLogger(__name__).info("serving on http://%s:%s", settings.host, settings.port)
    if settings.workers > 1:
        from chatbot.bootstrap import build_assistant

        build_assistant(settings)  # index once here (first run), not in every worker at the same time
        uvicorn.run("app:factory", factory=True, host=settings.host, port=settings.port,
                    workers=settings.workers, log_level="warning")
        return
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")


if __name__ == "__main__":
    main()
