import pytest

from app import create_app


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_MAX_CONTENT_LENGTH", "10")
    client = create_app().test_client()
    assert client.post("/echo", json={"k": "more than ten bytes"}).status_code == 413


def test_default_body_limit_is_one_mebibyte() -> None:
    assert create_app().config["MAX_CONTENT_LENGTH"] == 1024 * 1024


def test_log_lines_go_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    app = create_app({"TESTING": True})
    app.logger.info("hello from the app")
    captured = capsys.readouterr()
    assert "hello from the app" in captured.out
    assert captured.err == ""


def test_each_log_record_is_written_once_however_many_apps(
    capsys: pytest.CaptureFixture[str],
) -> None:
    apps = [create_app({"TESTING": True}) for _ in range(3)]
    apps[-1].logger.info("one line only")
    assert capsys.readouterr().out.count("one line only") == 1
