"""Production entry point: gunicorn wsgi:app.

The flask CLI also finds this file from the repository root, so `flask create-user …` works
with no extra environment; only a server (gunicorn) insists on SECRET_KEY here. `flask run`
without debug is refused by create_app() itself.
"""

import os

from portal import create_app

if not os.environ.get("SECRET_KEY") and os.environ.get("FLASK_RUN_FROM_CLI") != "true":
    raise SystemExit("SECRET_KEY must be set to serve the portal in production.")

app = create_app()
