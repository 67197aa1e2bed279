"""Django settings of the django-notifications-hq process (`bench/hq_child.py`), never of Asso Hub.

Its app is a Python package named `notifications` with the app label `notifications`, like ours:
the two cannot live in one process. This process installs only hub (for `hub.User`, the same
recipients, in the same database) and django-notifications-hq. Its tables live in the schema
`bench_hq`, first on the search path, so its `notifications_notification` table does not meet
ours (which stays in `public`, beside `hub_user`).
"""

import os

import environ

HQ_SCHEMA = "bench_hq"

SECRET_KEY = "bench-only-" + "x" * 50  # noqa: S105 (a throwaway process on a throwaway database)
DEBUG = False  # DEBUG would keep every query in memory
USE_TZ = True
TIME_ZONE = "Europe/Paris"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "hub",
    "notifications",  # django-notifications-hq, from the benchmark's virtualenv
]
AUTH_USER_MODEL = "hub.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INVITATION_MAX_AGE_DAYS = 14

DATABASES = {"default": environ.Env.db_url_config(os.environ["DATABASE_URL"])}
DATABASES["default"]["OPTIONS"] = {"options": f"-c search_path={HQ_SCHEMA},public"}
