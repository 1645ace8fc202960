"""WSGI entry point of the benchmark host: ``gunicorn benchhost.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchhost.settings")

application = get_wsgi_application()
