"""WSGI entry point: ``gunicorn shop.wsgi`` (with ``example_project`` on the path)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

application = get_wsgi_application()
