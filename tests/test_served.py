"""What prod asks of the app, whichever app it is: gunicorn.conf.py's wsgi_app loads and
answers GET /health with 200, as the health check and Kubernetes' probes expect."""

import runpy
from pathlib import Path

import pytest
from flask import Flask
from gunicorn.errors import AppImportError
from gunicorn.util import import_app

CONFIG = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"


def test_the_app_gunicorn_serves_answers_health() -> None:
    target = runpy.run_path(str(CONFIG))["wsgi_app"]
    try:
        app = import_app(target)
    except AppImportError as error:
        pytest.fail(f"wsgi_app {target!r} in {CONFIG.name}: {error}")
    assert isinstance(app, Flask), f"wsgi_app {target!r} in {CONFIG.name} is not a Flask app"
    status = app.test_client().get("/health").status_code
    assert status == 200, (
        f"GET /health of {target!r} answered {status}: the app needs a /health route "
        "that answers 200 (the health check and Kubernetes' probes)"
    )
