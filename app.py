"""python app.py — serve the customer chat at /, the staff console at /staff and the JSON API under /api."""

from __future__ import annotations

import logging
import sys

from chatbot.config import Settings, offline_environment
from chatbot.errors import ConfigError
from chatbot.logsafe import configure_logging


def create_app(settings: Settings | None = None):
    from chatbot.services import build_services
    from chatbot.web.app import create_app as mount

    return mount(build_services(settings or Settings()), background_jobs=True)


def factory():
    """For `uvicorn --factory app:factory` and for several workers."""
    offline_environment()
    configure_logging()
    return create_app()


def main() -> int:
    import uvicorn

    offline_environment()
    configure_logging()
    log = logging.getLogger(__name__)
    settings = Settings()
    try:
        from chatbot.staff.accounts import StaffDirectory

        StaffDirectory.from_settings(settings)  # a malformed CHATBOT_STAFF_USERS stops here, before any work
        if settings.workers > 1:
            from chatbot.services import build_assistant
            from chatbot.web.sessions import load_secret

            build_assistant(settings)  # index once here (first run), not in every worker at the same time
            load_secret(settings)  # and one session secret for all of them
            log.info("serving on http://%s:%s", settings.host, settings.port)
            uvicorn.run("app:factory", factory=True, host=settings.host, port=settings.port,
                        workers=settings.workers, log_level="warning")
            return 0
        app = create_app(settings)
    except ConfigError as error:
        log.error("configuration error: %s", error)
        return 2
    log.info("serving on http://%s:%s", settings.host, settings.port)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
