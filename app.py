"""python app.py — serve the customer chat at / and the JSON API under /api."""

from __future__ import annotations

import logging

from chatbot.config import Settings


def create_app(settings: Settings | None = None, *, assistant=None):
    import gradio as gr

    from chatbot.api import create_api
    from chatbot.bootstrap import build_assistant
    from chatbot.db import Database
    from chatbot.service import ChatService
    from chatbot.ui import CSS, build_ui

    settings = settings or Settings()
    assistant = assistant or build_assistant(settings)
    service = ChatService(assistant, Database.from_settings(settings), settings)
    api = create_api(service)
    return gr.mount_gradio_app(api, build_ui(service), path="/", css=CSS)


def main() -> None:
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings()
    app = create_app(settings)
    logging.getLogger(__name__).info("serving on http://%s:%s", settings.host, settings.port)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


if __name__ == "__main__":
    main()
