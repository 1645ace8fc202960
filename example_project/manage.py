#!/usr/bin/env python
"""Django's command-line utility for the commerce demo shop.

Works from any directory, e.g. ``python example_project/manage.py runserver``
from the repository root: this file's folder goes on ``sys.path`` so the
``shop``, ``accounts`` and ``demo`` packages import.
"""

import os
import sys
from pathlib import Path


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
