import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse


def assert_json_error(response: TestResponse, status: int) -> None:
    assert response.status_code == status
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error", "message"}


def test_unknown_path_is_404(client: FlaskClient) -> None:
    assert_json_error(client.get("/nope"), 404)


@pytest.mark.parametrize(
    ("method", "path"), [("post", "/health"), ("delete", "/"), ("get", "/echo")]
)
def test_wrong_method_is_405(client: FlaskClient, method: str, path: str) -> None:
    response = getattr(client, method)(path)
    assert_json_error(response, 405)
    assert "Allow" in response.headers


def test_malformed_json_is_400(client: FlaskClient) -> None:
    response = client.post("/echo", data="{not json", content_type="application/json")
    assert_json_error(response, 400)


def test_body_that_is_not_json_is_415(client: FlaskClient) -> None:
    assert_json_error(client.post("/echo", data="a=1"), 415)


def test_body_over_the_limit_is_413(client: FlaskClient) -> None:
    response = client.post("/echo", json={"pad": "x" * 100})
    assert_json_error(response, 413)


def test_crash_is_500_without_traceback(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = client.get("/boom")
    assert_json_error(response, 500)
    assert "secret detail" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert "RuntimeError: secret detail" in caplog.text
