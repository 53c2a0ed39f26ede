"""python ingest.py [PATH] [--rebuild] [--json] — see chatbot/ingest_cli.py."""

import sys

from chatbot.ingest_cli import main

if __name__ == "__main__":
    sys.exit(main())
