"""The inbox pages through the browser's requests: list, one notice, read, delete, stopping a sender; another
resident's notice is never reachable; every action is a CSRF-protected POST that also works without htmx."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from markupsafe import escape
from sqlmodel import Session, select

from app.consent.models import ConsentReceipt, Grant
from app.db import utcnow
from app.inbox.models import Notice
from tests.conftest import csrf_token
from tests.factories.accounts import ResidentFactory
from tests.factories.inbox import NoticeFactory
from tests.factories.staff import StaffFactory
from tests.functional.inbox.conftest import CITY_OFFER

CITY_NAME = "柏市 こども部 子育て支援課"
HX_LIST = {"HX-Request": "true", "HX-Target": "inbox-list"}


def html(text: str) -> str:
    return str(escape(text))


def post(  # type: ignore[no-untyped-def]
        client: FlaskClient, path: str, *, headers: dict[str, str] | None = None, **data: object):
    return client.post(path, data={"csrf_token": csrf_token(client, "/inbox"), **data}, headers=headers or {})


def fresh(db: Session, notice_id: uuid.UUID) -> Notice | None:
    db.expire_all()  # the requests changed (or deleted) the rows through their own sessions
    return db.exec(select(Notice).where(Notice.id == notice_id)).first()


# --- the list --------------------------------------------------------------------------------------------------


def test_the_list_shows_newest_first_with_sender_title_time_and_unread_in_words(  # type: ignore[no-untyped-def]
        client, db, resident) -> None:
    now = utcnow()
    older = NoticeFactory(resident=resident, title="健診のご案内", received_at=now - timedelta(days=1), read_at=now)
    newer = NoticeFactory(resident=resident, title="一時預かりのご案内", received_at=now)
    NoticeFactory(resident=ResidentFactory(), title="他の人へのお知らせ")
    response = client.get("/inbox")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.index(html(newer.title)) < page.index(html(older.title))
    assert "他の人へのお知らせ" not in page
    assert html(CITY_NAME) in page
    assert "Unread: 1" in page
    new_item = page.split(f'id="notice-{newer.id}"')[1].split("</li>")[0]
    old_item = page.split(f'id="notice-{older.id}"')[1].split("</li>")[0]
    assert "Unread</span>" in new_item and "Unread</span>" not in old_item  # said in words, not only colour
    assert f'action="/inbox/{newer.id}/read"' in new_item and "/read" not in old_item
    assert f'action="/inbox/{older.id}/delete"' in old_item
    assert 'name="csrf_token"' in new_item
    assert f'<time datetime="{newer.received_at.isoformat()}">' in new_item
    # The top bar's inbox link carries the count for screen readers, and is the current page here.
    bell = re.search(r'<a id="inbox-bell"[^>]*>.*?</a>', page, re.S)
    assert bell and 'aria-current="page"' in bell.group(0) and "1 unread" in bell.group(0)


def test_an_empty_inbox_says_what_comes_here(client, resident) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/inbox").get_data(as_text=True)
    assert "No notices yet" in page and 'href="/consents"' in page
    assert "No unread notices" in page
    bell = re.search(r'<a id="inbox-bell"[^>]*>.*?</a>', page, re.S)
    assert bell and "unread" not in bell.group(0)


def test_the_inbox_needs_a_logged_in_resident(client, db) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/inbox")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    staff = StaffFactory()
    from tests.conftest import login_as

    login_as(client, db, staff)
    assert client.get("/inbox").status_code == 403


# --- one notice ------------------------------------------------------------------------------------------------


def test_a_notice_shows_its_body_link_sender_and_the_consent_behind_it(  # type: ignore[no-untyped-def]
        client, db, resident, grant, deliver) -> None:
    receipt = grant(resident, items=["children_count", "town_group"])
    notice, _ = deliver(resident, receipt, body="<script>alert(1)</script>\n2行目です", ledger_seq=1)
    response = client.get(f"/inbox/{notice.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert html(notice.title) in page and html(CITY_NAME) in page
    body = page.split('<div class="inbox-body">')[1].split("</div>")[0]
    assert body == "&lt;script&gt;alert(1)&lt;/script&gt;\n2行目です"  # escaped, line break kept (pre-line)
    assert "<script>alert" not in page
    assert '<a class="button button--primary button--block" href="https://www.city.kashiwa.lg.jp/" ' \
           'rel="noopener noreferrer">' in page
    assert "www.city.kashiwa.lg.jp" in page
    why = page.split('id="why-title"')[1].split("</section>")[0]
    assert "because you gave your consent" in why
    assert html("Kashiwa City child-raising services for you") in why  # the purpose
    assert "Number of children" in why and "Area group" in why and "Age bands" not in why  # that consent's items
    assert f'href="/consents/receipts/{receipt.id}"' in why
    assert 'href="/my-data/history?before=2#record-1"' in why
    assert "Record No. 1" in why
    assert "Stop notices from this sender" in page
    assert f'href="/inbox/senders/{CITY_OFFER[0]}/{CITY_OFFER[1]}/stop"' in page
    stored = fresh(db, notice.id)
    assert stored is not None and stored.read_at is not None  # opening marks it read
    # The receipt and the ledger record it links to open for this resident.
    assert client.get(f"/consents/receipts/{receipt.id}").status_code == 200
    history = client.get("/my-data/history?before=2").get_data(as_text=True)
    assert 'id="record-1"' in history


def test_opening_twice_keeps_the_first_reading_time(client, db, resident) -> None:  # type: ignore[no-untyped-def]
    notice = NoticeFactory(resident=resident)
    client.get(f"/inbox/{notice.id}")
    first = fresh(db, notice.id).read_at  # type: ignore[union-attr]
    client.get(f"/inbox/{notice.id}")
    assert fresh(db, notice.id).read_at == first  # type: ignore[union-attr]


def test_a_link_that_is_not_https_never_becomes_an_href(client, db, resident) -> None:  # type: ignore[no-untyped-def]
    notice = NoticeFactory(resident=resident, link_url="javascript:alert(1)")  # written behind the service's back
    page = client.get(f"/inbox/{notice.id}").get_data(as_text=True)
    assert "javascript:" not in page


def test_a_notice_without_link_receipt_or_record(client, db, resident) -> None:  # type: ignore[no-untyped-def]
    notice = NoticeFactory(resident=resident, link_url="", consent_receipt_id=None, ledger_seq=None)
    page = client.get(f"/inbox/{notice.id}").get_data(as_text=True)
    assert "rel=\"noopener noreferrer\">" not in page.split('id="why-title"')[0].split("inbox-body")[-1]
    assert "/consents/receipts/" not in page and "/my-data/history?" not in page
    assert "Not in effect" in page  # no consent given: said so
    assert "Stop notices from this sender" not in page


def test_an_unknown_notice_is_404(client, resident) -> None:  # type: ignore[no-untyped-def]
    assert client.get(f"/inbox/{uuid.uuid4()}").status_code == 404
    assert client.get("/inbox/not-a-uuid").status_code == 404


# --- read and delete -------------------------------------------------------------------------------------------


def test_mark_as_read_as_a_plain_form(client, db, resident) -> None:  # type: ignore[no-untyped-def]
    notice = NoticeFactory(resident=resident)
    response = post(client, f"/inbox/{notice.id}/read")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/inbox#notice-{notice.id}"
    assert fresh(db, notice.id).read_at is not None  # type: ignore[union-attr]


def test_mark_as_read_with_htmx_swaps_the_list_and_the_count(  # type: ignore[no-untyped-def]
        client, db, resident) -> None:
    first, second = NoticeFactory(resident=resident), NoticeFactory(resident=resident)
    response = post(client, f"/inbox/{first.id}/read", headers=HX_LIST)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="inbox-list">') and "<html" not in fragment
    assert "Unread: 1" in fragment
    bell = re.search(r'<a id="inbox-bell"[^>]*>.*?</a>', fragment, re.S)
    assert bell and 'hx-swap-oob="true"' in bell.group(0) and "1 unread" in bell.group(0)
    assert fresh(db, first.id).read_at is not None and fresh(db, second.id).read_at is None  # type: ignore[union-attr]


def test_delete_as_a_plain_form_from_the_notice(client, db, resident) -> None:  # type: ignore[no-untyped-def]
    notice_id = NoticeFactory(resident=resident).id
    page = client.get(f"/inbox/{notice_id}").get_data(as_text=True)
    assert f'action="/inbox/{notice_id}/delete"' in page
    response = post(client, f"/inbox/{notice_id}/delete")
    assert response.status_code == 303 and response.headers["Location"] == "/inbox"
    assert fresh(db, notice_id) is None
    assert client.get("/inbox").get_data(as_text=True).count("Notice deleted.") == 1  # one toast, not two
    assert client.get(f"/inbox/{notice_id}").status_code == 404


def test_delete_with_htmx_from_the_list(client, db, resident) -> None:  # type: ignore[no-untyped-def]
    gone, kept = NoticeFactory(resident=resident, title="消すお知らせ"), NoticeFactory(resident=resident)
    gone_id, kept_title = gone.id, kept.title
    response = post(client, f"/inbox/{gone_id}/delete", headers=HX_LIST)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert html("消すお知らせ") not in fragment and html(kept_title) in fragment
    assert "Notice deleted." in fragment  # the toast comes with the fragment
    assert fresh(db, gone_id) is None


def test_delete_with_htmx_from_elsewhere_redirects(client, db, resident) -> None:  # type: ignore[no-untyped-def]
    notice = NoticeFactory(resident=resident)
    response = post(client, f"/inbox/{notice.id}/delete", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/inbox"


# --- two residents, CSRF, methods ------------------------------------------------------------------------------


def test_another_residents_notice_is_404_on_every_route(  # type: ignore[no-untyped-def]
        client, other_client, db, resident, other_resident) -> None:
    notice = NoticeFactory(resident=resident, title="Aさんへのお知らせ")
    assert other_client.get(f"/inbox/{notice.id}").status_code == 404
    for action in ("read", "delete"):
        response = other_client.post(f"/inbox/{notice.id}/{action}",
                                     data={"csrf_token": csrf_token(other_client, "/inbox")})
        assert response.status_code == 404, action
        response = other_client.post(f"/inbox/{notice.id}/{action}", headers=HX_LIST,
                                     data={"csrf_token": csrf_token(other_client, "/inbox")})
        assert response.status_code == 404, action
    assert html(notice.title) not in other_client.get("/inbox").get_data(as_text=True)
    assert html(notice.title) not in other_client.get("/").get_data(as_text=True)
    stored = fresh(db, notice.id)
    assert stored is not None and stored.read_at is None  # untouched
    assert client.get(f"/inbox/{notice.id}").status_code == 200  # still A's


@pytest.mark.parametrize("action", ["read", "delete"])
def test_a_post_without_csrf_token_is_refused(client, db, resident, action) -> None:  # type: ignore[no-untyped-def]
    notice = NoticeFactory(resident=resident)
    client.get("/inbox")  # a session exists
    assert client.post(f"/inbox/{notice.id}/{action}").status_code == 400
    assert client.post(f"/inbox/{notice.id}/{action}", data={"csrf_token": "forged"}).status_code == 400
    stored = fresh(db, notice.id)
    assert stored is not None and stored.read_at is None


def test_stopping_without_csrf_token_is_refused(client, db, resident, grant) -> None:  # type: ignore[no-untyped-def]
    grant(resident)
    client.get("/inbox")
    assert client.post(f"/inbox/senders/{CITY_OFFER[0]}/{CITY_OFFER[1]}/stop").status_code == 400
    db.expire_all()
    assert all(g.granted for g in db.exec(select(Grant).where(Grant.resident_id == resident.id)))


@pytest.mark.parametrize("action", ["read", "delete"])
def test_get_on_a_post_route_is_405(client, resident, action) -> None:  # type: ignore[no-untyped-def]
    notice = NoticeFactory(resident=resident)
    response = client.get(f"/inbox/{notice.id}/{action}")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


# --- stopping a sender -----------------------------------------------------------------------------------------


def test_stopping_a_sender_withdraws_the_consent_and_keeps_its_notices(  # type: ignore[no-untyped-def]
        client, db, resident, grant, deliver) -> None:
    receipt = grant(resident)
    notice, _ = deliver(resident, receipt)
    path = f"/inbox/senders/{CITY_OFFER[0]}/{CITY_OFFER[1]}/stop"
    page = client.get(path).get_data(as_text=True)
    assert html(CITY_NAME) in page
    assert "withdraws your consent" in page
    assert "will no longer receive your data" in page and "can no longer send you notices" in page
    assert f'action="{path}"' in page and 'name="csrf_token"' in page
    response = post(client, path)
    assert response.status_code == 303 and response.headers["Location"] == "/inbox"
    db.expire_all()
    grants = db.exec(select(Grant).where(Grant.resident_id == resident.id, Grant.recipient_key == CITY_OFFER[0])).all()
    assert grants and all(not g.granted for g in grants)
    withdrawn = db.exec(select(ConsentReceipt).where(ConsentReceipt.resident_id == resident.id,
                                                     ConsentReceipt.event == "withdrawn")).all()
    assert len(withdrawn) == 1 and withdrawn[0].recipient_key == CITY_OFFER[0]
    assert client.get("/inbox").get_data(as_text=True).count("are stopped and your consent is withdrawn") == 1
    detail = client.get(f"/inbox/{notice.id}")
    assert detail.status_code == 200  # still readable
    text = detail.get_data(as_text=True)
    assert "Not in effect" in text and "Stop notices from this sender" not in text
    assert f'href="/consents/receipts/{receipt.id}"' in text  # the consent that allowed it, still shown
    again = client.get(path).get_data(as_text=True)
    assert "You have no consent to this sender" in again
    response = post(client, path)  # nothing left to withdraw: no second receipt
    assert response.status_code == 303
    db.expire_all()
    assert len(db.exec(select(ConsentReceipt).where(ConsentReceipt.event == "withdrawn",
                                                    ConsentReceipt.resident_id == resident.id)).all()) == 1


def test_stopping_with_htmx_redirects_the_whole_page(  # type: ignore[no-untyped-def]
        client, db, resident, grant) -> None:
    grant(resident)
    response = post(client, f"/inbox/senders/{CITY_OFFER[0]}/{CITY_OFFER[1]}/stop", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/inbox"


def test_stopping_an_unknown_sender_is_404(client, resident) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/inbox/senders/nobody/nothing/stop").status_code == 404
    assert post(client, "/inbox/senders/nobody/nothing/stop").status_code == 404


def test_stopping_is_one_residents_own_decision(  # type: ignore[no-untyped-def]
        client, other_client, db, resident, other_resident, grant) -> None:
    grant(resident)
    grant(other_resident)
    post(other_client, f"/inbox/senders/{CITY_OFFER[0]}/{CITY_OFFER[1]}/stop")
    db.expire_all()
    mine = db.exec(select(Grant).where(Grant.resident_id == resident.id)).all()
    assert mine and all(g.granted for g in mine)


# --- home, top bar, languages ----------------------------------------------------------------------------------


def test_home_shows_the_unread_count_and_the_three_latest(client, db, resident) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    notices = [NoticeFactory(resident=resident, title=f"お知らせ{n}", received_at=now - timedelta(hours=n),
                             read_at=now if n == 0 else None) for n in range(4)]
    page = client.get("/").get_data(as_text=True)
    card = page.split('id="inbox-title"')[1].split("</section>")[0]
    assert "Unread: 3" in card
    for notice in notices[:3]:
        assert f'href="/inbox/{notice.id}"' in card
    assert f'href="/inbox/{notices[3].id}"' not in card
    assert 'href="/inbox"' in card
    assert html(CITY_NAME) in card


def test_home_without_notices_keeps_the_empty_state(client, resident) -> None:  # type: ignore[no-untyped-def]
    card = client.get("/").get_data(as_text=True).split('id="inbox-title"')[1].split("</section>")[0]
    assert "No notices yet" in card


def test_every_resident_page_has_the_inbox_link_with_the_count(  # type: ignore[no-untyped-def]
        client, db, resident) -> None:
    NoticeFactory(resident=resident)
    NoticeFactory(resident=resident)
    for path in ("/", "/consents", "/my-data/history"):
        page = client.get(path).get_data(as_text=True)
        bell = re.search(r'<a id="inbox-bell"[^>]*>.*?</a>', page, re.S)
        assert bell, path
        assert "2 unread" in bell.group(0) and 'aria-current' not in bell.group(0)
    tabs = re.search(r'<nav class="tabbar".*?</nav>', client.get("/").get_data(as_text=True), re.S)
    assert tabs and "/inbox" not in tabs.group(0)  # the bottom tab bar stays as it is


def test_the_pages_render_in_japanese_by_default(  # type: ignore[no-untyped-def]
        client, db, login, offers, grant, deliver) -> None:
    resident = ResidentFactory(locale="ja")
    login(client, resident)
    notice, _ = deliver(resident, grant(resident))
    for path in ("/inbox", f"/inbox/{notice.id}", f"/inbox/senders/{CITY_OFFER[0]}/{CITY_OFFER[1]}/stop", "/"):
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert '<html lang="ja">' in page and "お知らせ" in page, path


def test_the_pages_render_in_english(client, db, resident, grant, deliver) -> None:  # type: ignore[no-untyped-def]
    notice, _ = deliver(resident, grant(resident))
    page = client.get(f"/inbox/{notice.id}").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "This sender can send you notices because you gave your consent" in page
    assert html("Kashiwa City, Children's Department, Child-Raising Support Division") in page  # name_en beside it
    assert "Notices" in client.get("/inbox").get_data(as_text=True)
