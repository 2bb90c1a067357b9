"""Settings for the bench: the app's own, with DEBUG off and the floor pages.

The database comes from the environment exactly as for the app; `bench.run`
points SQLITE_PATH or DATABASE_URL at the bench database before Django starts.
"""

from guazhi.settings import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "bench.urls"
