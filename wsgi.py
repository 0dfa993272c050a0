"""Production entry point: gunicorn wsgi:app."""

import os

from portal import create_app

if not os.environ.get("SECRET_KEY"):
    raise SystemExit("SECRET_KEY must be set to serve the portal in production.")

app = create_app()
