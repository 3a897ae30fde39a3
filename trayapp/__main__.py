"""`python -m trayapp` is `deepgram-tray`."""

import sys

from trayapp.cli import main

sys.exit(main())
