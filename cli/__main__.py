"""``python -m codegpt`` runs the command line, the same as the ``codegpt`` script."""

import sys

from codegpt.main import main

sys.exit(main())
