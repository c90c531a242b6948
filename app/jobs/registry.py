"""Job handlers and periodic tasks, collected from the modules that define them (no import-time registry)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from flask import Flask

if TYPE_CHECKING:
    from app.jobs.runner import JobContext

# Modules whose `JOB_HANDLERS` and `PERIODIC_TASKS` the worker loads.
APP_JOB_MODULES = ("app.mail.jobs", "app.jobs.maintenance", "app.accounts.jobs", "app.consent.jobs",
                   "app.ledger.jobs", "app.recommend.jobs", "app.city_records.jobs",
                   "app.data_imports.jobs", "app.ebpm.jobs", "app.switching.jobs", "app.audit_anchor")


@dataclass(frozen=True)
class JobHandler:
    kind: str
    run: Callable[[JobContext], Any]
    # Labels of the stages a handler reports, shown to whoever watches the job (lazy gettext strings).
    stage_labels: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PeriodicTask:
    """Enqueue `kind` once per `every`; `offset` shifts the slot (e.g. 18 h for 03:00 JST daily)."""

    kind: str
    every: timedelta
    offset: timedelta = timedelta(0)
    payload: dict[str, Any] = field(default_factory=dict)
    max_attempts: int = 3


@dataclass(frozen=True)
class Registry:
    handlers: dict[str, JobHandler]
    periodic: tuple[PeriodicTask, ...]

    def handler(self, kind: str) -> JobHandler | None:
        return self.handlers.get(kind)


def load_registry(extra_modules: str = "") -> Registry:
    names = list(APP_JOB_MODULES) + [m.strip() for m in extra_modules.split(",") if m.strip()]
    handlers: dict[str, JobHandler] = {}
    periodic: list[PeriodicTask] = []
    for name in names:
        module = importlib.import_module(name)
        for handler in getattr(module, "JOB_HANDLERS", ()):
            if handler.kind in handlers:
                raise ValueError(f"two handlers for job kind {handler.kind!r}")
            handlers[handler.kind] = handler
        periodic.extend(getattr(module, "PERIODIC_TASKS", ()))
    return Registry(handlers=handlers, periodic=tuple(periodic))


def registry_for(app: Flask) -> Registry:
    """The app's registry, loaded once from the settings' job modules."""
    if "azukari.jobs" not in app.extensions:
        app.extensions["azukari.jobs"] = load_registry(app.config["AZUKARI"].job_modules)
    return app.extensions["azukari.jobs"]
