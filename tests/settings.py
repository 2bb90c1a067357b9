"""Settings for the test suite: the app's own, in development mode.

The app runs safe by default (guazhi/settings.py); the tests opt into
development explicitly, as `make run` does. Set in os.environ, so that what
the tests start (a Celery worker, `make run`) is in development mode too; the
tests of production mode start `manage.py` with an environment of their own.
"""

import os

os.environ["GUAZHI_DEV"] = "1"

from guazhi.settings import *  # noqa: F403
