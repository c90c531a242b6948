"""The worker's job `data_imports.read`: read one uploaded export into the resident's data.

Each batch commits with the number of items read as the checkpoint, so a worker killed mid-import is followed by
one that counts past what is stored and goes on. A refusal fails the job for good (the export will not change);
the upload file is removed once the import is finished either way.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from app.data_imports import services
from app.data_imports.models import DataImport, ImportStatus
from app.jobs.registry import JobHandler, PeriodicTask
from app.jobs.runner import JobContext, PermanentFailure


def read_export(ctx: JobContext) -> dict[str, Any]:
    import_id = uuid.UUID(ctx.payload["import_id"])
    data_import = ctx.session.get(DataImport, import_id)
    if data_import is None or data_import.status not in (ImportStatus.QUEUED, ImportStatus.READING):
        return {"skipped": True}  # cancelled or deleted while waiting
    path = services.upload_path(ctx.settings.instance_path, import_id)
    if data_import.status == ImportStatus.QUEUED:
        data_import.status = ImportStatus.READING
        ctx.session.add(data_import)
        ctx.save(progress=0, stage="reading")
    resume_after = int(ctx.checkpoint.get("items", 0))

    def step(done: services.Step) -> None:
        ctx.save(progress=min(99, int(done.fraction * 100)), stage="reading", checkpoint={"items": done.items})

    try:
        summary = services.run_import(ctx.session, data_import, path, step=step, resume_after=resume_after)
    except services.ImportRefused as refused:
        ctx.session.commit()
        path.unlink(missing_ok=True)
        raise PermanentFailure(f"refused: {refused.code}") from refused
    except Exception:
        if ctx.job.attempts >= ctx.job.max_attempts:  # the last try: the resident is told, not left waiting
            ctx.session.rollback()
            services.fail(ctx.session, data_import, "internal")
            ctx.session.commit()
            path.unlink(missing_ok=True)
        raise
    ctx.save(progress=100, stage="done")
    path.unlink(missing_ok=True)
    return {"counts": dict(summary.counts)}


def sweep(ctx: JobContext) -> dict[str, Any]:
    dropped = services.sweep_abandoned(ctx.session, instance_path=ctx.settings.instance_path)
    orphans = services.sweep_orphan_files(ctx.session, instance_path=ctx.settings.instance_path)
    ctx.save(progress=100)
    return {"dropped": dropped, "orphan_files": orphans}


JOB_HANDLERS = [JobHandler(services.JOB_KIND, read_export,
                           stage_labels={"reading": _l("Reading your export"), "done": _l("Done")}),
                JobHandler(services.SWEEP_KIND, sweep)]
PERIODIC_TASKS = [PeriodicTask(services.SWEEP_KIND, every=timedelta(hours=1))]
