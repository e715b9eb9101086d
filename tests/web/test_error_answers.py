"""A platform fault answers cleanly, without internals."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from credit.kernel.keys import KeysMissing


def test_a_platform_fault_shows_no_detail(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import web.public

    def broken(*args: object, **kwargs: object) -> None:
        raise KeysMissing("数据密钥文件缺失：/srv/secret/keys.json / the data key file is missing: /srv/secret/keys.json")

    monkeypatch.setattr(web.public, "search_enterprises", broken)
    response = client.get("/search?q=科技")
    assert response.status_code == 500
    assert "/srv/secret" not in response.get_data(as_text=True)


def test_signed_in_and_api_answers_are_not_cached(auth, client: FlaskClient) -> None:
    assert "no-store" not in client.get("/enterprises/1").headers.get("Cache-Control", "")
    assert client.get("/api/v1/enterprises/1").headers["Cache-Control"] == "no-store"
    signed_in = auth.login("regulator")
    assert signed_in.get("/enterprises/1").headers["Cache-Control"] == "no-store"
