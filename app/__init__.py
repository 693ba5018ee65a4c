"""The web service: an application factory and the pieces it wires together."""

import logging
import sys
from typing import Any

from flask import Flask
from flask.logging import default_handler

from app import errors, views


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app; settings come from FLASK_* variables or from test_config."""
    app = Flask(__name__)
    app.config.from_mapping(
        # Request bodies larger than this many bytes are answered with 413.
        MAX_CONTENT_LENGTH=1024 * 1024,
        # Level of the app's own log lines (gunicorn sets its own).
        LOG_LEVEL="INFO",
    )
    if test_config is None:
        # FLASK_MAX_CONTENT_LENGTH=2048 and the like; values are parsed as JSON.
        app.config.from_prefixed_env()
    else:
        app.config.from_mapping(test_config)

    _log_to_stdout(app)
    app.register_blueprint(views.bp)
    errors.register(app)
    return app


def _log_to_stdout(app: Flask) -> None:
    """Containers collect stdout; Flask's default handler writes to stderr. Every app of
    this package shares one logger, so a handler added per call would write each record
    once per app: the handler of an earlier call is replaced instead."""
    handler = logging.StreamHandler(sys.stdout)
    handler.set_name(__name__ + ".stdout")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for old in [h for h in app.logger.handlers if h.get_name() == handler.get_name()]:
        app.logger.removeHandler(old)
    app.logger.removeHandler(default_handler)
    app.logger.addHandler(handler)
    app.logger.setLevel(app.config["LOG_LEVEL"])
