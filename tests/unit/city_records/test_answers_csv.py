"""The staff's CSV answers: a good file by request, every kind of bad line with its line and column, BOM and
Shift_JIS, a wrong header, a file too large."""

from __future__ import annotations

import uuid

import pytest

from app.city_records import answers_csv
from app.city_records.answers_csv import MAX_ROWS, Problem, parse, template

SERVICES = {"svc_kenshin_3y", "svc_ichiji_azukari_hoikuen", "svc_teiki_yobosesshu"}
HEADER = "request_id,decision,reason,service_id,used_from,used_to,child_birth_date,note\n"
ONE, TWO = uuid.UUID(int=1), uuid.UUID(int=2)


def run(text: str, encoding: str = "utf-8") -> tuple[list, list[Problem]]:
    return parse(text.encode(encoding), known_services=SERVICES)


def test_a_good_file_gives_one_answer_per_request() -> None:
    answers, problems = run(HEADER + f"{ONE},disclose,,svc_kenshin_3y,2024-06-18,,2021-05-12,集団健診\n"
                                     f"{ONE},DISCLOSE,,svc_ichiji_azukari_hoikuen,2025/06/02,2025-06-03,,\n"
                                     "\n"  # blank lines are skipped
                                     f"{TWO},not_disclose,該当する記録がありません,,,,,\n")
    assert problems == []
    first, second = answers
    assert (first.request_id, first.decision, first.first_line) == (ONE, "disclose", 2)
    assert first.records == [
        {"service_id": "svc_kenshin_3y", "used_from": "2024-06-18", "used_to": None, "child_birth_date": "2021-05-12",
         "note": "集団健診"},
        {"service_id": "svc_ichiji_azukari_hoikuen", "used_from": "2025-06-02", "used_to": "2025-06-03",
         "child_birth_date": None, "note": ""}]
    assert first.record_lines == [2, 3]
    assert (second.decision, second.reason, second.records) == ("not_disclose", "該当する記録がありません", [])


def test_a_bom_and_shift_jis_are_read_and_columns_may_come_in_any_order() -> None:
    reordered = "decision,request_id,note,reason,service_id,used_from,used_to,child_birth_date\n"
    answers, problems = parse(("\ufeff" + reordered + f"not_disclose,{ONE},,記録なし,,,,\n").encode("utf-8"),
                              known_services=SERVICES)
    assert problems == [] and answers[0].reason == "記録なし"
    answers, problems = run(HEADER + f"{ONE},not_disclose,本人確認ができません,,,,,\n", "cp932")
    assert problems == [] and answers[0].reason == "本人確認ができません"


@pytest.mark.parametrize(("line", "expected"), [
    ("not-an-id,disclose,,svc_kenshin_3y,2024-06-18,,,", ("request_id", "not_an_id")),
    (",disclose,,svc_kenshin_3y,2024-06-18,,,", ("request_id", "missing")),
    (f"{ONE},maybe,,svc_kenshin_3y,2024-06-18,,,", ("decision", "unknown_decision")),
    (f"{ONE},,,svc_kenshin_3y,2024-06-18,,,", ("decision", "missing")),
    (f"{ONE},disclose,,,2024-06-18,,,", ("service_id", "missing")),
    (f"{ONE},disclose,,svc_unknown,2024-06-18,,,", ("service_id", "unknown_service")),
    (f"{ONE},disclose,,svc_kenshin_3y,18/06/2024,,,", ("used_from", "not_a_date")),
    (f"{ONE},disclose,,svc_kenshin_3y,2024-02-30,,,", ("used_from", "not_a_date")),
    (f"{ONE},disclose,,svc_kenshin_3y,,,,", ("used_from", "missing")),
    (f"{ONE},disclose,,svc_kenshin_3y,2024-06-18,2024-06-01,,", ("used_to", "before_start")),
    (f"{ONE},disclose,,svc_kenshin_3y,2024-06-18,,2025-01-01,", ("child_birth_date", "after_use")),
    (f"{ONE},disclose,,svc_kenshin_3y,2024-06-18,,,{'あ' * 201}", ("note", "too_long")),
    (f"{ONE},disclose,,svc_kenshin_3y,2024-06-18,,,番号 1234 5678 9012", ("note", "my_number")),
    (f"{ONE},not_disclose,,,,,,", ("reason", "reason_needed")),
    (f"{ONE},not_disclose,理由,svc_kenshin_3y,,,,", ("service_id", "not_for_not_disclose")),
    (f"{ONE},disclose,,svc_kenshin_3y,2024-06-18,,", (None, "cell_count")),
    (f'{ONE},disclose,,svc_kenshin_3y,2024-06-18,,,"{"x" * 501}"', ("note", "too_long")),
])
def test_each_bad_line_is_named_by_line_and_column(line: str, expected: tuple[str | None, str]) -> None:
    good = f"{TWO},not_disclose,該当する記録がありません,,,,,\n"
    _answers, problems = run(HEADER + good + line + "\n")
    assert (problems[0].line, problems[0].column, problems[0].code) == (3, *expected)


def test_a_request_with_mixed_decisions_or_two_refusals() -> None:
    _answers, problems = run(HEADER + f"{ONE},disclose,,svc_kenshin_3y,2024-06-18,,,\n"
                                      f"{ONE},not_disclose,理由,,,,,\n"
                                      f"{TWO},not_disclose,理由,,,,,\n"
                                      f"{TWO},not_disclose,別の理由,,,,,\n")
    assert [(p.line, p.column, p.code) for p in problems] == [(3, "decision", "mixed_decisions"),
                                                             (5, "request_id", "repeated_refusal")]


@pytest.mark.parametrize(("header", "expected"), [
    ("request_id,decision,reason,service_id,used_from,used_to,child_birth_date", [(1, "note", "missing_column")]),
    (HEADER.strip() + ",extra", [(1, "extra", "unknown_column")]),
    (HEADER.strip() + ",note", [(1, "note", "duplicate_column")]),
    ("id;decision", [(1, "id;decision", "unknown_column")] + [(1, c, "missing_column") for c in answers_csv.COLUMNS]),
])
def test_a_wrong_header(header: str, expected: list[tuple]) -> None:
    answers, problems = run(header + "\n" + f"{ONE},not_disclose,理由,,,,,\n")
    assert answers == [] and [(p.line, p.column, p.code) for p in problems] == expected


def test_files_that_are_not_answers() -> None:
    assert run("")[1] == [Problem(0, None, "empty")]
    assert run(HEADER)[1] == [Problem(0, None, "no_rows")]
    assert parse(b"\xff\xfe\x00\x00\x81", known_services=SERVICES)[1] == [Problem(0, None, "encoding")]
    too_large = (HEADER + f"{ONE},not_disclose,理由,,,,,\n" * 40000).encode()
    assert len(too_large) > answers_csv.MAX_BYTES
    assert parse(too_large, known_services=SERVICES) == ([], [Problem(0, None, "too_large")])


def test_too_many_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(answers_csv, "MAX_ROWS", 3)
    rows = "".join(f"{uuid.UUID(int=n)},not_disclose,理由,,,,,\n" for n in range(1, 6))
    _answers, problems = run(HEADER + rows)
    assert problems == [Problem(5, None, "too_many_rows")]
    assert MAX_ROWS == 5000


def test_the_template_lists_the_requests_for_excel() -> None:
    text = template([ONE, TWO])
    assert text.startswith("\ufeffrequest_id,decision,")
    assert text.splitlines()[1:] == [f"{ONE},,,,,,,", f"{TWO},,,,,,,"]
    answers, problems = parse(text.encode("utf-8"), known_services=SERVICES)
    assert [(p.line, p.code) for p in problems][:2] == [(2, "missing"), (3, "missing")]  # a decision is needed
