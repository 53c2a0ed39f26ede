import sys

from .cli.ask import main

sys.exit(main())
