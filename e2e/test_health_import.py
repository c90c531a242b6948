"""Bringing Apple Health data, on a phone, in Japanese. hanako opens わたしのデータ → ほかのサービスのデータを持ち込む,
reads how to make the export, and uploads a 20 MB export.zip. The connection drops during the second chunk: the page
says so, asks the bank where the file ends and goes on from there. The live worker reads the export while she watches
the progress; she sees what was found (steps, sources, the period) and that the ECG was left out as 要配慮 because she
did not tick the box. A damaged file is refused with a message saying what to do, and nothing is kept."""

from __future__ import annotations

import io
import re
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page, Route, expect

from app.demo.seed import DEMO_RESIDENTS
from e2e.conftest import Journey, log_in
from tests.factories.exports import EXPORT_XML, export_zip

HANAKO = DEMO_RESIDENTS[0]
EXTRA_STEPS = 80_000
WAIT_SECONDS = 90
START = datetime(2026, 9, 1)


def big_export(path: Path) -> int:
    """A stored (uncompressed) export.zip of about 20 MB: the factory's export plus 80,000 step samples."""
    lines = []
    for n in range(EXTRA_STEPS):
        stamp = (START + timedelta(minutes=n)).strftime("%Y-%m-%d %H:%M:%S +0900")
        lines.append(f' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="花子のiPhone" unit="count" '
                     f'creationDate="{stamp}" startDate="{stamp}" endDate="{stamp}" value="{n % 97 + 3}"/>\n')
    xml = EXPORT_XML.replace("</HealthData>", "".join(lines) + "</HealthData>")
    small = zipfile.ZipFile(io.BytesIO(export_zip()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as out:
        for info in small.infolist():
            out.writestr(info.filename, xml if info.filename.endswith("/export.xml") else small.read(info))
    return path.stat().st_size


def wait_for_text(page: Page, text: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not page.get_by_text(text, exact=False).count():
        assert time.monotonic() < deadline, f"no “{text}” after {WAIT_SECONDS} s"
        time.sleep(1)


def test_hanako_uploads_her_health_export_through_a_dropped_connection(page: Page, journey: Journey, tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    size = big_export(archive)
    assert size > 16 * 1024**2  # three chunks of 8 MB

    dropped: list[str] = []

    def drop_second_chunk(route: Route) -> None:
        request = route.request
        if request.method == "PATCH" and request.headers.get("upload-offset") not in (None, "0") and not dropped:
            dropped.append(request.headers["upload-offset"])
            route.abort("connectionreset")
            return
        route.continue_()

    log_in(page, HANAKO.email, HANAKO.password)
    page.goto("/my-data")
    expect(page.get_by_role("heading", name="持ち込んだデータ")).to_be_visible()
    page.get_by_role("link", name="ほかのサービスのデータを持ち込む").click()
    expect(page.get_by_role("heading", name="ほかのサービスのデータを持ち込む", level=1)).to_be_visible()
    journey.check("upload page")

    page.route(re.compile(r"/my-data/imports/[0-9a-f-]+/upload$"), drop_second_chunk)
    page.get_by_label("書き出したファイル（zip・tgz・json・ics など）").set_input_files(str(archive))
    page.get_by_role("button", name="アップロード", exact=True).click()
    expect(page.get_by_text("接続が切れました。再試行しています…")).to_be_visible(timeout=30_000)
    journey.check("connection dropped")
    # The page goes on by itself from the bank's offset and then shows the import's page.
    expect(page).to_have_url(re.compile(r"/my-data/imports/[0-9a-f-]{36}$"), timeout=60_000)
    assert dropped == [str(8 * 1024**2)]
    wait_for_text(page, "保管済み")
    expect(page.get_by_role("heading", name="見つかったデータ")).to_be_visible()
    found = page.locator("section", has=page.get_by_role("heading", name="見つかったデータ"))
    expect(found).to_contain_text(f"{EXTRA_STEPS + 6:,}")  # the records kept: all but the 要配慮 one
    expect(found).to_contain_text("保管していません")
    expect(found).to_contain_text("心電図")
    expect(page.locator("section", has=page.get_by_role("heading", name="種類ごとの記録"))).to_contain_text("歩数")
    expect(page.locator("section", has=page.get_by_role("heading", name="記録元"))).to_contain_text("花子のiPhone")
    journey.check("import read")

    page.goto("/my-data")
    expect(page.locator("#imports")).to_contain_text("export.zip")
    expect(page.locator("#imports")).to_contain_text("保管済み")
    journey.check("my data")


def test_a_damaged_export_is_refused_and_nothing_is_kept(page: Page, journey: Journey, tmp_path: Path) -> None:
    damaged = tmp_path / "export.zip"
    damaged.write_bytes(export_zip()[:1500])
    log_in(page, HANAKO.email, HANAKO.password)
    page.goto("/my-data/imports/")
    page.get_by_label("書き出したファイル（zip・tgz・json・ics など）").set_input_files(str(damaged))
    page.get_by_role("button", name="アップロード", exact=True).click()
    expect(page).to_have_url(re.compile(r"/my-data/imports/[0-9a-f-]{36}$"), timeout=30_000)
    wait_for_text(page, "読み込めず")
    expect(page.get_by_role("alert")).to_contain_text("アーカイブが壊れているか、途中で切れています")
    expect(page.get_by_text("このファイルのデータは何も保管していません。")).to_be_visible()
    journey.check("refused")
    page.get_by_role("button", name="このアップロードとデータを削除する").click()
    expect(page).to_have_url(re.compile(r"/my-data/imports/$"))
    expect(page.get_by_text("読み込んだデータとともに削除しました。")).to_be_visible()
    journey.check("deleted")
