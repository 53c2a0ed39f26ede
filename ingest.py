"""python ingest.py [PATH] [--rebuild] [--json] — see chatbot/cli/ingest.py."""

import sys

from chatbot.cli.ingest import main

if __name__ == "__main__":
    sys.exit(main())
