from flask.testing import FlaskClient


def test_index_lists_endpoints(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "/health" in response.get_json()["endpoints"]


def test_health_answers_json(client: FlaskClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.is_json
    assert response.get_json() == {"status": "ok"}


def test_echo_returns_the_body(client: FlaskClient) -> None:
    response = client.post("/echo", json={"a": [1, 2]})
    assert response.status_code == 200
    assert response.get_json() == {"received": {"a": [1, 2]}}
