"""``python -m gradsheet.cli`` runs the ``gradsheet`` command."""
import sys

from . import main

sys.exit(main())
