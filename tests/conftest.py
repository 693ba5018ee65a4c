from typing import NoReturn

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from app import create_app


@pytest.fixture
def app() -> Flask:
    """An app in testing mode, with a small body limit and a route that fails."""
    app = create_app({"TESTING": True, "MAX_CONTENT_LENGTH": 64, "PROPAGATE_EXCEPTIONS": False})

    @app.get("/boom")
    def boom() -> NoReturn:
        raise RuntimeError("secret detail")

    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A runner for the app's Click commands."""
    return app.test_cli_runner()
