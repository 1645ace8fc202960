"""WSGI entry point of the oscar peer host (gunicorn ``oscarhost.wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oscarhost.settings")
application = get_wsgi_application()
