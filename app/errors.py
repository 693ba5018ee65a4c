"""Every error answers JSON, and a 500 never shows its traceback to the client."""

from flask import Flask, current_app
from werkzeug.exceptions import HTTPException, InternalServerError

ErrorResponse = tuple[dict[str, str], int, list[tuple[str, str]]]


def register(app: Flask) -> None:
    """Answer every error, expected or not, with a JSON body."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _http_error(error: HTTPException) -> ErrorResponse:
    body = {"error": error.name, "message": error.description or ""}
    # Keep the headers the error carries, such as Allow on a 405.
    headers = [(k, v) for k, v in error.get_headers() if k != "Content-Type"]
    return body, error.code or 500, headers


def _unexpected_error(error: Exception) -> ErrorResponse:
    current_app.logger.exception("unhandled error", exc_info=error)
    return _http_error(InternalServerError())
