"""Bringing Google data, on a phone, in Japanese. taro opens the upload page, reads how to export his Maps Timeline on
an iPhone, uploads the Timeline file from his phone and then a Takeout part with Japanese folder names; the worker reads
both and he sees what was found: places and trips, location points, videos watched and calendar events."""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from app.demo.seed import DEMO_RESIDENTS
from e2e.conftest import Journey, log_in
from tests.factories.google_exports import ios_timeline, takeout_zip

TARO = DEMO_RESIDENTS[1]
WAIT_SECONDS = 60
FILE_LABEL = "書き出したファイル（zip・tgz・json・ics など）"


def upload_and_wait(page: Page, path: Path) -> None:
    page.goto("/my-data/imports/")
    page.get_by_label(FILE_LABEL).set_input_files(str(path))
    page.get_by_role("button", name="アップロード", exact=True).click()
    expect(page).to_have_url(re.compile(r"/my-data/imports/[0-9a-f-]{36}$"), timeout=30_000)
    deadline = time.monotonic() + WAIT_SECONDS
    while not page.get_by_text("保管済み").count():
        assert time.monotonic() < deadline, f"not read after {WAIT_SECONDS} s"
        time.sleep(1)


def test_taro_brings_his_timeline_and_a_takeout_part(page: Page, journey: Journey, tmp_path: Path) -> None:
    timeline = tmp_path / "location-history.json"
    timeline.write_bytes(ios_timeline())
    takeout = tmp_path / "takeout-20231120T000000Z-001.zip"
    takeout.write_bytes(takeout_zip())

    log_in(page, TARO.email, TARO.password)
    page.goto("/my-data/imports/")
    page.get_by_text("iPhone の Google マップのタイムライン").click()
    expect(page.get_by_text("「タイムライン データをエクスポート」をタップします。").last).to_be_visible()
    journey.check("how to export")

    upload_and_wait(page, timeline)
    found = page.locator("section", has=page.get_by_role("heading", name="見つかったデータ"))
    expect(found).to_contain_text("訪れた場所")
    expect(found).to_contain_text("移動")
    journey.check("timeline read")

    upload_and_wait(page, takeout)
    found = page.locator("section", has=page.get_by_role("heading", name="見つかったデータ"))
    for text in ("位置の記録", "視聴した動画", "カレンダーの予定"):
        expect(found).to_contain_text(text)
    files = page.locator("section", has=page.get_by_role("heading", name="読み込んだファイル"))
    expect(files).to_contain_text("ロケーション履歴・タイムライン")
    expect(files).to_contain_text("YouTube と YouTube Music の履歴")
    journey.check("takeout read")
