"""`python -m chatbot worker` (or `python ingest.py --worker`) — the ingest worker, the one writer of the
index: it runs the re-ingest jobs that the console and the staff API queue (publishing/worker.py), and
the deployment's retention job (README "Security"), at its start and then daily.

    python -m chatbot worker            run jobs until stopped (SIGTERM / Ctrl-C)
    python -m chatbot worker --once     run the retention job and the queued jobs, then exit

Exit codes: 0 stopped; 2 refused (another worker holds the lock) or an error stopped it.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from ..config import Settings, offline_environment
from ..errors import ChatbotError
from ..logsafe import configure_logging


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    parser = argparse.ArgumentParser(prog="python -m chatbot worker", description="导入任务进程 (ingest worker)")
    parser.add_argument("--once", action="store_true", help="run the queued jobs, then exit")
    parser.add_argument("-q", "--quiet", action="store_true", help="log warnings only")
    args = parser.parse_args(argv)
    configure_logging(logging.WARNING if args.quiet else logging.INFO)
    # SIGTERM (docker stop, systemd) stops like Ctrl-C: a job cut short is run again once its lease expires.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    settings = Settings()
    try:
        from ..conversations.db import Database
        from ..conversations.erasure import DataEraser
        from ..index.embeddings import build_embeddings
        from ..index.locks import exclusive
        from ..index.store import make_client
        from ..publishing.worker import IngestWorker

        with exclusive(settings, "worker"):  # refused at once while another worker runs
            eraser = DataEraser(Database.from_settings(settings))
            # The deployment's one worker also runs the retention job (at start, then daily): once, not per replica.
            worker = IngestWorker(settings, build_embeddings(settings.embeddings), client=make_client(settings),
                                  housekeeping=lambda: eraser.enforce_retention(settings.retention_days))
            logging.getLogger(__name__).info("ingest worker %s waiting for jobs", worker.name)
            if args.once:
                worker.keep_house()
                while (job := worker.run_once()) is not None and job.status != "queued":
                    pass
            else:
                worker.serve(threading.Event())
    except ChatbotError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        logging.getLogger(__name__).info("ingest worker stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
