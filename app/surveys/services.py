"""Answering a survey: save each screen, submit (a provision to the pilot analysts through the consent door),
edit until the survey closes, withdraw. And the operator's opening and closing."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete
from sqlmodel import Session, col, select

from app import audit
from app.accounts.models import Resident
from app.audit import EventTag
from app.consent import enforce
from app.db import insert_ignoring_conflicts, new_id, utcnow
from app.errors import DomainError, NotFound
from app.ledger.models import RecordKind
from app.ledger.services import append
from app.surveys.answers import ITEM_KEY, ITEM_NAME_JA
from app.surveys.models import Survey, SurveyRespondent, SurveyResponse, SurveyStatus, SurveySubmission
from app.surveys.questionnaire import AnswerError, Questionnaire, available, load, read_group, with_screen

RECIPIENT = "pilot_analysts"
PURPOSE = "pilot_research"
# Given with the answers when the resident consented to them: the analysts' only breakdowns.
ATTRIBUTE_ITEMS = ("children_count", "age_bands")


class SurveyClosed(DomainError):
    status = 409
    message = _l("This survey is closed: answers can no longer be sent or changed. Thank you for your interest.")


class SurveyNotOpen(DomainError):
    status = 404
    message = _l("This survey is not open.")


class ConsentNeeded(DomainError):
    status = 403
    message = _l("Answering needs your consent to give your answers to the pilot analysts.")


class AnswersMissing(DomainError):
    status = 422
    message = _l("Some questions still need an answer.")


class WrongSurveyState(DomainError):
    status = 409
    message = _l("The survey is already in that state.")


@dataclass(frozen=True)
class SurveyView:
    row: Survey
    questionnaire: Questionnaire

    @property
    def key(self) -> str:
        return self.row.key

    @property
    def is_open(self) -> bool:
        return self.row.status == SurveyStatus.OPEN


# --- the surveys ----------------------------------------------------------------------------------------------


def load_surveys(session: Session) -> int:
    """A row (draft) for every questionnaire file without one; idempotent. Returns how many were added."""
    known = set(session.exec(select(Survey.key)))
    added = [key for key in available() if key not in known]
    for key in added:
        load(key)  # a broken file is refused here, not when a resident opens it
        session.add(Survey(key=key))
    session.flush()
    return len(added)


def survey(session: Session, key: str, *, listed_only: bool = True) -> SurveyView:
    """The survey; a draft (or an unknown key) is not found for residents (`listed_only`)."""
    row = session.get(Survey, key)
    if row is None or (listed_only and row.status == SurveyStatus.DRAFT):
        raise NotFound()
    return SurveyView(row, load(key))


def all_surveys(session: Session, *, listed_only: bool = True) -> list[SurveyView]:
    statement = select(Survey).order_by(col(Survey.key).desc())  # pre_pilot before post_pilot
    rows = [row for row in session.exec(statement) if not listed_only or row.status != SurveyStatus.DRAFT]
    return [SurveyView(row, load(row.key)) for row in rows]


def set_status(session: Session, actor: str, key: str, status: str, ip: str | None = None) -> SurveyView:
    """The operator opens a survey (a draft, or a closed one again) or closes an open one."""
    view = survey(session, key, listed_only=False)
    row = view.row
    if status not in (SurveyStatus.OPEN, SurveyStatus.CLOSED) or row.status == status:
        raise WrongSurveyState()
    if status == SurveyStatus.CLOSED and row.status != SurveyStatus.OPEN:
        raise WrongSurveyState()
    now = utcnow()
    row.status, row.changed_by = status, actor
    if status == SurveyStatus.OPEN:
        row.opened_at, row.closed_at = now, None
    else:
        row.closed_at = now
    session.add(row)
    session.flush()
    audit.record(session, EventTag.SURVEY_OPEN if status == SurveyStatus.OPEN else EventTag.SURVEY_CLOSE, actor=actor,
                 ip=ip, survey=key)
    return view


# --- the resident's answers -----------------------------------------------------------------------------------


def may_answer(session: Session, resident: Resident) -> bool:
    """A live consent to give the answers to the pilot analysts (the door decides at submission)."""
    return ITEM_KEY in enforce.live_consents(session, resident, RECIPIENT, PURPOSE)


def response_of(session: Session, resident: Resident, key: str) -> SurveyResponse | None:
    return session.exec(select(SurveyResponse).where(SurveyResponse.survey_key == key,
                                                     SurveyResponse.resident_id == resident.id)).first()


def responses_of(session: Session, resident: Resident) -> dict[str, SurveyResponse]:
    return {row.survey_key: row for row in session.exec(select(SurveyResponse).where(
        SurveyResponse.resident_id == resident.id))}


def _open_for_answers(session: Session, resident: Resident, view: SurveyView) -> None:
    if not view.is_open:
        raise SurveyClosed()
    if not may_answer(session, resident):
        raise ConsentNeeded()


def save_group(session: Session, resident: Resident, view: SurveyView, index: int,
               form: Mapping[str, Sequence[str]], *, forward: bool) -> tuple[SurveyResponse, list[AnswerError]]:
    """Save one screen's answers (whatever is valid is kept even when going back). Going forward, a missing
    required answer stops on the same screen; otherwise the response resumes at the next screen."""
    _open_for_answers(session, resident, view)
    groups = view.questionnaire.groups
    if not 0 <= index < len(groups):
        raise NotFound()
    response = response_of(session, resident, view.key)
    if response is None:
        session.execute(insert_ignoring_conflicts(session, SurveyResponse, "survey_key", "resident_id").values(
            id=new_id(), survey_key=view.key, resident_id=resident.id, answers={}, position=0,
            started_at=utcnow(), updated_at=utcnow()))
        response = response_of(session, resident, view.key)
        assert response is not None
    group = groups[index]
    found, errors = read_group(group, form, response.answers, require=forward)
    response.answers = view.questionnaire.cleaned(with_screen(group, response.answers, found))
    if not errors:
        response.position = min(index + 1, len(groups)) if forward else max(index - 1, 0)
    response.updated_at = utcnow()
    session.add(response)
    session.flush()
    return response, errors


def submit(session: Session, resident: Resident, view: SurveyView, ip: str | None = None) -> SurveySubmission:
    """Send the answers to the pilot analysts: through the consent door (the provision record), then kept in the
    analysts' copy, replacing an earlier submission of the same survey."""
    _open_for_answers(session, resident, view)
    response = response_of(session, resident, view.key)
    if response is None or view.questionnaire.missing(response.answers):
        raise AnswersMissing()
    now = utcnow()
    response.submitted_at = response.updated_at = now
    response.position = len(view.questionnaire.groups)
    session.add(response)
    session.flush()
    values, record = enforce.use_recorded(session, resident=resident, recipient=RECIPIENT, purpose=PURPOSE,
                                          items=[ITEM_KEY, *ATTRIBUTE_ITEMS],
                                          via={"method": "survey_submission", "survey": view.key})
    answers = (values.get(ITEM_KEY) or {}).get(view.key)
    if answers is None:  # the door gave no answers: consent to them is not live (checked above; a race)
        raise ConsentNeeded()
    respondent = pseudonym(session, resident)
    _forget_submissions(session, resident.id, view.key)  # an earlier submission of this survey is replaced
    submission = SurveySubmission(survey_key=view.key, respondent=respondent, answers=answers,
                                  attributes={k: values[k] for k in ATTRIBUTE_ITEMS if k in values}, submitted_at=now,
                                  ledger_seq=record.seq)
    session.add(submission)
    session.flush()
    audit.record(session, EventTag.SURVEY_SUBMIT, actor=resident.principal, ip=ip, survey=view.key)
    return submission


def withdraw(session: Session, resident: Resident, view: SurveyView, ip: str | None = None) -> bool:
    """The resident takes their answers back: the analysts' copy is deleted (it leaves every output, now and in
    later exports) and so are the resident's own answers. Possible while open or closed. False: nothing to do."""
    response = response_of(session, resident, view.key)
    removed = _forget_submissions(session, resident.id, view.key)
    if response is None and not removed:
        return False
    if response is not None:
        session.delete(response)
    append(session, subject=resident.principal, kind=RecordKind.DELETION,
           payload={"items": [ITEM_KEY], "item_names": {ITEM_KEY: ITEM_NAME_JA}, "by": "resident", "survey": view.key,
                    "provided_copies_deleted": removed})
    audit.record(session, EventTag.SURVEY_WITHDRAW, actor=resident.principal, ip=ip, survey=view.key)
    session.flush()
    return True


def forget_after_withdrawn_consent(session: Session, resident_id: Any) -> int:
    """The consent to give answers was withdrawn: the analysts' copies go, and the resident's answers count as not
    submitted (kept as the resident's own data; sending them again needs a new consent)."""
    removed = _forget_submissions(session, resident_id)
    for response in session.exec(select(SurveyResponse).where(SurveyResponse.resident_id == resident_id,
                                                              col(SurveyResponse.submitted_at).is_not(None))):
        response.submitted_at = None
        session.add(response)
    session.flush()
    return removed


def _forget_submissions(session: Session, resident_id: Any, key: str | None = None) -> int:
    """Delete what the analysts hold of the resident: one survey's submission, or (no `key`) every one. Returns how
    many rows went."""
    respondent = session.get(SurveyRespondent, resident_id)
    if respondent is None:
        return 0
    statement = delete(SurveySubmission).where(col(SurveySubmission.respondent) == respondent.pseudonym)
    if key is not None:
        statement = statement.where(col(SurveySubmission.survey_key) == key)
    return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def pseudonym(session: Session, resident: Resident) -> str:
    """The resident's respondent pseudonym, made on first use (random: it says nothing about the resident)."""
    row = session.get(SurveyRespondent, resident.id)
    if row is None:
        session.execute(insert_ignoring_conflicts(session, SurveyRespondent, "resident_id").values(
            resident_id=resident.id, pseudonym="r-" + secrets.token_hex(8)))
        row = session.get(SurveyRespondent, resident.id, populate_existing=True)
        assert row is not None
    return row.pseudonym


def waiting_for(session: Session, resident: Resident) -> list[SurveyView]:
    """Open surveys the resident has not sent answers to (the home tab asks them, once per survey)."""
    sent = {key for key, row in responses_of(session, resident).items() if row.submitted_at is not None}
    return [view for view in all_surveys(session) if view.is_open and view.key not in sent]
