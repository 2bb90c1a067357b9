"""Settings for the bench: the app's own, with DEBUG off and the floor pages.

The database comes from the environment exactly as for the app; `bench.run`
points SQLITE_PATH or DATABASE_URL at the bench database before Django starts.
"""

import os

# Development mode, opted into as by `make run` and the tests (the app's default
# is production, which wants a secret key and redirects to HTTPS).
os.environ["GUAZHI_DEV"] = "1"

from guazhi.settings import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "bench.urls"
