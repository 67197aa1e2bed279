"""Production settings plus one bare view, for the load benchmark's server (bench/load.py)."""

from hub.settings import *  # noqa: F403

ROOT_URLCONF = "bench.load_urls"
