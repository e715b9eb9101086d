"""``create_app()`` with no argument configures itself from the environment."""

from __future__ import annotations

from web import BLUEPRINTS, create_app


def test_create_app_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CREDIT_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("CREDIT_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("CREDIT_REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setenv("CREDIT_SEARCH_LIMIT", "7 per minute")
    monkeypatch.setenv("CREDIT_RATELIMIT", "0")  # no Redis server needed for this test
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/15"  # limits shared by every worker
    assert app.config["CREDIT_SEARCH_LIMIT"] == "7 per minute" and app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["BABEL_DEFAULT_LOCALE"] == "zh"
    assert app.config["RATELIMIT_ENABLED"] is False
    page = app.test_client().get("/")  # the schema was created on the way
    assert page.status_code == 200 and "查询企业信用信息" in page.get_data(as_text=True)


def test_every_audience_has_its_blueprint(tmp_path, monkeypatch):
    monkeypatch.setenv("CREDIT_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    app = create_app({"RATELIMIT_ENABLED": False})
    assert {"public", "account", "enterprise", "authorised", "government", "api_v1", "clerk",
            "api_batches", "review", "regulator", "trust"} <= set(app.blueprints)
    assert len(BLUEPRINTS) >= 8  # Web II's faces added theirs
