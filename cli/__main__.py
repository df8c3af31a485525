"""``python -m codegpt`` runs the command line, the same as the ``codegpt`` script.

Guarded, so importing it (a tool; a child process that ``server/syntax_checks.py`` spawns) never
runs the command line.
"""

import sys

from codegpt.main import main

if __name__ == "__main__":
    sys.exit(main())
