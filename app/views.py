"""The service's routes."""

from typing import Any

from flask import Blueprint, request

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> dict[str, Any]:
    """Say what the service is and where its endpoints are."""
    return {"service": "minimal-py-poetry", "endpoints": ["/", "/health", "/echo"]}


@bp.get("/health")
def health() -> dict[str, str]:
    """Liveness and readiness: answers as long as a worker can serve."""
    return {"status": "ok"}


@bp.post("/echo")
def echo() -> dict[str, Any]:
    """Return the JSON body it was sent; malformed JSON gets 400, other types 415."""
    return {"received": request.get_json()}
