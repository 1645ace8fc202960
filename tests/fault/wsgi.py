"""WSGI entry point of the fault test's server (``DJANGO_SETTINGS_MODULE`` set by the test)."""

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
