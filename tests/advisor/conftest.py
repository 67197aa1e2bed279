from .fixtures import open_help  # noqa: F401
