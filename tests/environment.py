"""Loaded by pytest before Django (see `addopts`): the environment a test run needs.

Values already set in the environment win, so `.ci/run` can point the same suite at PostgreSQL
and Redis with DATABASE_URL / REDIS_URL.
"""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-" + "k" * 60)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
# Emails, media and the embedded broker of a test run never land in the developer's var/.
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="asso-hub-test-"))
os.makedirs(os.path.join(os.environ["VAR_DIR"], "static"), exist_ok=True)
