"""python app.py — serve the customer chat at /, the staff console at /staff and the JSON API under /api."""

from __future__ import annotations

import logging

from chatbot.config import Settings, offline_environment


def create_app(settings: Settings | None = None):
    from chatbot.services import build_services
    from chatbot.web.app import create_app as mount

    return mount(build_services(settings or Settings()))


def factory():
    """For `uvicorn --factory app:factory` and for several workers."""
    offline_environment()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return create_app()


def main() -> None:
    import uvicorn

    offline_environment()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings()
    logging.getLogger(__name__).info("serving on http://%s:%s", settings.host, settings.port)
    if settings.workers > 1:
        from chatbot.services import build_assistant

        build_assistant(settings)  # index once here (first run), not in every worker at the same time
        uvicorn.run("app:factory", factory=True, host=settings.host, port=settings.port,
                    workers=settings.workers, log_level="warning")
        return
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")


if __name__ == "__main__":
    main()
