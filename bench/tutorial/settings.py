"""Minimal settings for the tutorial-style relay that the bench compares against."""

from __future__ import annotations

import os

SECRET_KEY = "bench-tutorial-only"  # noqa: S105 -- a throwaway process on loopback
DEBUG = False
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
INSTALLED_APPS = ["channels"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
ASGI_APPLICATION = "bench.tutorial.asgi.application"
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [os.environ["REDIS_URL"]]},
    }
}
USE_TZ = True
