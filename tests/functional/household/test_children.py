"""Children under the guardian's account: entering, checking, editing, removing; one guardian never sees another's."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.household.models import Child
from app.household.services import today
from tests.conftest import csrf_token
from tests.factories.accounts import ResidentFactory


def add(client, **fields):  # type: ignore[no-untyped-def]
    data = {"csrf_token": csrf_token(client, "/household/children/new"), "nickname": "", "birth_day": ""}
    data.update({k: str(v) for k, v in fields.items()})
    return client.post("/household/children/new", data=data)


def children(db, resident):  # type: ignore[no-untyped-def]
    return db.exec(select(Child).where(Child.guardian_id == resident.id)).all()


@pytest.mark.smoke
def test_a_child_is_added_with_year_and_month_and_shown_with_derived_ages(client, db, login) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    login(client, resident)
    response = add(client, nickname="さくら", birth_year=2021, birth_month=5)
    assert response.status_code == 303
    (child,) = children(db, resident)
    assert (child.birth_year, child.birth_month, child.birth_day, child.source) == (2021, 5, None, "manual")
    page = client.get("/my-data").get_data(as_text=True)
    assert "さくら" in page and "2021年5月" in page
    assert "歳児クラス" in page or "year-old class" in page


def test_the_day_is_asked_for_when_it_decides_the_school_year(client, db, login) -> None:  # type: ignore[no-untyped-def]
    login(client, ResidentFactory())
    add(client, birth_year=today().year - 6, birth_month=4)
    page = client.get("/my-data").get_data(as_text=True)
    assert "add the day" in page or "日" in page and "追加" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"birth_year": 2099, "birth_month": 1}, ("future", "未来")),
        ({"birth_year": 1990, "birth_month": 1}, ("up to the age of 22", "22")),
        ({"birth_year": 2023, "birth_month": 2, "birth_day": 30}, ("does not exist", "その日はありません")),
        ({"birth_year": "", "birth_month": 3}, ("year of birth", "生まれた年")),
    ],
)
def test_impossible_birth_dates_are_refused_with_a_message_and_nothing_saved(client, db, login, fields,
                                                                           message) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    login(client, resident)
    response = add(client, **fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert any(m in page for m in message), page[:2000]
    assert children(db, resident) == []


def test_an_adult_sibling_is_recorded_only_when_counted_for_the_allowance(client, db, login) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    login(client, resident)
    year = today().year - 20
    assert add(client, birth_year=year, birth_month=8, birth_day=1).status_code == 422
    assert add(client, birth_year=year, birth_month=8, birth_day=1, counted="y").status_code == 303
    (child,) = children(db, resident)
    assert child.counted_for_allowance


def test_no_more_than_twelve_children(client, db, login) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    login(client, resident)
    for month in range(1, 13):
        db.add(Child(guardian_id=resident.id, birth_year=2020, birth_month=month))
    db.flush()
    response = add(client, birth_year=2024, birth_month=1)
    assert response.status_code == 422
    assert "12" in response.get_data(as_text=True)
    assert len(children(db, resident)) == 12


def test_edit_and_remove(client, db, login) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    login(client, resident)
    add(client, birth_year=2022, birth_month=6)
    (child,) = children(db, resident)
    edit = client.post(f"/household/children/{child.id}/edit", data={
        "csrf_token": csrf_token(client, f"/household/children/{child.id}/edit"),
        "nickname": "はると", "birth_year": "2022", "birth_month": "6", "birth_day": "14"})
    assert edit.status_code == 303
    db.refresh(child)
    assert (child.nickname, child.birth_day) == ("はると", 14)
    gone = client.post(f"/household/children/{child.id}/delete", data={"csrf_token": csrf_token(client, "/my-data")})
    assert gone.status_code == 303
    assert children(db, resident) == []


def test_another_guardians_child_is_not_found(client, other_client, db, login) -> None:  # type: ignore[no-untyped-def]
    owner, stranger = ResidentFactory(), ResidentFactory()
    login(client, owner)
    login(other_client, stranger)
    add(client, nickname="ひみつ", birth_year=2022, birth_month=6)
    (child,) = children(db, owner)
    assert "ひみつ" not in other_client.get("/my-data").get_data(as_text=True)
    assert other_client.get(f"/household/children/{child.id}/edit").status_code == 404
    token = csrf_token(other_client, "/my-data")
    assert other_client.post(f"/household/children/{child.id}/delete", data={"csrf_token": token}).status_code == 404
    assert other_client.post(f"/household/children/{child.id}/edit", data={
        "csrf_token": token, "birth_year": "2020", "birth_month": "1"}).status_code == 404
    assert len(children(db, owner)) == 1


def test_the_day_is_asked_for_when_it_decides_child_or_older_sibling(client, db, login) -> None:  # type: ignore[no-untyped-def]
    from app.household.ages import fiscal_year

    resident = ResidentFactory()
    login(client, resident)
    # Born in April eighteen school years ago: 1 April makes them 18 (a sibling), 2–30 April 17 (a child).
    response = add(client, birth_year=fiscal_year(today()) - 18, birth_month=4)
    assert response.status_code == 422
    assert "day of birth" in response.get_data(as_text=True) or "日も入力" in response.get_data(as_text=True)
    assert children(db, resident) == []
