"""``python -m gradsheet.cli`` runs the ``gradsheet`` command."""
import sys

from . import main

if __name__ == "__main__":  # (not when multiprocessing's spawn re-imports this module)
    sys.exit(main())
