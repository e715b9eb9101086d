"""What the public may see of a past date: only what is public today too (停止公示 holds whatever
date is asked for); view dates out of range and other organisations' grants answered without a leak."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.web.world import ago


@pytest.mark.parametrize("path", ["/enterprises/1?date={d}", "/api/v1/enterprises/1?date={d}"])
def test_a_past_date_does_not_bring_back_an_ended_penalty(client: FlaskClient, path: str) -> None:
    # CF-OLD, a fine decided 2,000 days ago, was public in its first year and is no longer
    then = client.get(path.format(d=ago(1990)))
    assert then.status_code == 200
    text = then.get_data(as_text=True)
    assert "涉密备注" not in text and "CF-OLD" not in text
    assert "CF-1" not in text  # decided 30 days ago: it did not exist on that date


def test_government_users_may_look_back(auth) -> None:
    client = auth.login("regulator")
    text = client.get(f"/enterprises/1?date={ago(1990)}").get_data(as_text=True)
    assert "CF-OLD" in text


def test_a_past_black_list_leaves_out_what_is_no_longer_public(client: FlaskClient) -> None:
    today = client.get("/api/v1/lists/black").get_json()
    past = client.get(f"/api/v1/lists/black?date={ago(1990)}").get_json()
    assert "CF-OLD" not in str(past) and "CF-OLD" not in str(today)


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1900-01-01"])
def test_a_view_date_out_of_range_is_a_clear_refusal(client: FlaskClient, value: str) -> None:
    for path in (f"/enterprises/1?date={value}", f"/api/v1/enterprises/1?date={value}", f"/lists/black?date={value}"):
        response = client.get(path)
        assert response.status_code == 422, path
        assert "1949-10-01" in response.get_data(as_text=True)


@pytest.mark.parametrize("enterprise", [1, 2])
def test_someone_elses_grant_reveals_nothing(client: FlaskClient, tokens: dict[str, str], enterprise: int) -> None:
    bank = {"Authorization": f"Bearer {tokens['bank']}"}
    made = client.post("/api/v1/grants", json={"enterprise_id": 1, "legal_basis": "贷款审批"}, headers=bank)
    assert made.status_code in (200, 201), made.get_data(as_text=True)
    grant = made.get_json()["id"]
    for who in ({}, {"Authorization": f"Bearer {tokens['other']}"}):  # anonymous, another enterprise
        refused = client.get(f"/api/v1/enterprises/{enterprise}?grant={grant}", headers=who)
        assert refused.status_code == 404
        body = refused.get_data(as_text=True)
        assert "企业 1" not in body and "enterprise 1" not in body and "valid" not in body
    assert client.get(f"/api/v1/enterprises/1?grant={grant}", headers=bank).status_code == 200


def test_another_enterprise_sees_of_a_past_date_only_what_is_public_today(client: FlaskClient,
                                                                          tokens: dict[str, str]) -> None:
    other = {"Authorization": f"Bearer {tokens['other']}"}  # enterprise 2's account looks at enterprise 1
    text = client.get(f"/api/v1/enterprises/1?date={ago(1990)}", headers=other).get_data(as_text=True)
    assert "CF-OLD" not in text and "涉密备注" not in text
    own = {"Authorization": f"Bearer {tokens['firm']}"}  # enterprise 1 itself may look back
    assert "CF-OLD" in client.get(f"/api/v1/enterprises/1?date={ago(1990)}", headers=own).get_data(as_text=True)


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_exports_and_the_dashboard_refuse_a_date_out_of_range(client: FlaskClient, tokens: dict[str, str],
                                                              auth, value: str) -> None:
    regulator = {"Authorization": f"Bearer {tokens['regulator']}"}
    assert client.get(f"/api/v1/exports/black?date={value}", headers=regulator).status_code == 422
    assert auth.login("regulator").get(f"/regulator/dashboard?date={value}").status_code == 422
