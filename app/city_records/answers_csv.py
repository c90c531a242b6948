"""柏市's staff answer requests with a CSV file (layout: docs/city-records.md). Parsing is pure: every problem is
reported with its line (1 = the header) and column, and a file with any problem is refused whole.

UTF-8, with or without a BOM (Excel's "CSV UTF-8"); Excel's Japanese default (Shift_JIS, cp932) is read too.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.city_records.usage import RecordProblem, clean_record, looks_like_my_number

COLUMNS = ("request_id", "decision", "reason", "service_id", "used_from", "used_to", "child_birth_date", "note")
RECORD_COLUMNS = ("service_id", "used_from", "used_to", "child_birth_date", "note")
DECISIONS = ("disclose", "not_disclose")
MAX_BYTES = 1024 * 1024
MAX_ROWS = 5000
MAX_CELL = 500
REASON_LIMIT = 300


@dataclass(frozen=True)
class Problem:
    line: int  # 1 is the header; 0 is the file as a whole
    column: str | None
    code: str


@dataclass
class RequestAnswer:
    """Every row of one request_id: one decision, its reason, the records to disclose."""

    request_id: uuid.UUID
    decision: str
    first_line: int
    reason: str | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    record_lines: list[int] = field(default_factory=list)


def decode(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def parse(data: bytes, *, known_services: Iterable[str]) -> tuple[list[RequestAnswer], list[Problem]]:
    """The answers by request, in the file's order, and every problem found (answers are only good without any)."""
    if len(data) > MAX_BYTES:
        return [], [Problem(0, None, "too_large")]
    text = decode(data)
    if text is None:
        return [], [Problem(0, None, "encoding")]
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip().lower() for cell in next(rows)]
    except StopIteration:
        return [], [Problem(0, None, "empty")]
    except csv.Error:
        return [], [Problem(1, None, "unreadable")]
    problems = _header_problems(header)
    if problems:
        return [], problems
    known = set(known_services)
    answers: dict[uuid.UUID, RequestAnswer] = {}
    count = 0
    try:
        for row in rows:
            line = rows.line_num
            if not any(cell.strip() for cell in row):
                continue
            count += 1
            if count > MAX_ROWS:
                problems.append(Problem(line, None, "too_many_rows"))
                break
            if len(row) != len(header):
                problems.append(Problem(line, None, "cell_count"))
                continue
            _row(dict(zip(header, (cell.strip() for cell in row), strict=True)), line, known, answers, problems)
    except csv.Error:
        problems.append(Problem(rows.line_num, None, "unreadable"))
    if not count and not problems:
        problems.append(Problem(0, None, "no_rows"))
    return list(answers.values()), problems


def _header_problems(header: list[str]) -> list[Problem]:
    problems = [Problem(1, name, "unknown_column") for name in header if name not in COLUMNS]
    problems += [Problem(1, name, "duplicate_column") for name in sorted(set(header)) if header.count(name) > 1]
    problems += [Problem(1, name, "missing_column") for name in COLUMNS if name not in header]
    return problems


def _row(cells: dict[str, str], line: int, known: set[str], answers: dict[uuid.UUID, RequestAnswer],
         problems: list[Problem]) -> None:
    found = [Problem(line, name, "too_long") for name, value in cells.items() if len(value) > MAX_CELL]
    found += [Problem(line, name, "my_number") for name, value in cells.items()
              if name in ("reason", "note") and looks_like_my_number(value)]
    try:
        request_id = uuid.UUID(cells["request_id"])
    except ValueError:
        found.append(Problem(line, "request_id", "missing" if not cells["request_id"] else "not_an_id"))
        request_id = None
    decision = cells["decision"].lower()
    if decision not in DECISIONS:
        found.append(Problem(line, "decision", "missing" if not decision else "unknown_decision"))
    elif decision == "not_disclose":
        if not cells["reason"]:
            found.append(Problem(line, "reason", "reason_needed"))
        elif len(cells["reason"]) > REASON_LIMIT:
            found.append(Problem(line, "reason", "too_long"))
        found += [Problem(line, name, "not_for_not_disclose") for name in RECORD_COLUMNS if cells[name]]
    record = None
    if decision == "disclose" and not found:
        try:
            record = clean_record(cells, known_services=known)
        except RecordProblem as problem:
            found.append(Problem(line, problem.field, problem.code))
    problems += found
    if request_id is None or decision not in DECISIONS:
        return
    answer = answers.setdefault(request_id, RequestAnswer(request_id, decision, line))
    if answer.decision != decision:
        problems.append(Problem(line, "decision", "mixed_decisions"))
    elif decision == "not_disclose" and answer.first_line != line:
        problems.append(Problem(line, "request_id", "repeated_refusal"))
    elif decision == "not_disclose":
        answer.reason = cells["reason"]
    elif record is not None:
        answer.records.append(record)
        answer.record_lines.append(line)


def template(request_ids: Iterable[uuid.UUID]) -> str:
    """The header and one row per answerable request, ready to fill in (UTF-8 with a BOM, for Excel)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for request_id in request_ids:
        writer.writerow([str(request_id), "", "", "", "", "", "", ""])
    return "\ufeff" + buffer.getvalue()
