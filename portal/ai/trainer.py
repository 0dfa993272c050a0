"""Training the local model on the shipped examples plus the corrections staff made.

Reads the stored corrections; writes only the model file (atomically, under instance/).
"""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from portal.ai.providers import local
from portal.extensions import db
from portal.models import AIFeedback

log = logging.getLogger(__name__)


def model_path() -> Path:
    base = current_app.config.get("AI_MODEL_DIR") or current_app.instance_path
    return Path(base) / local.MODEL_FILE


def stored_corrections() -> tuple[list[local.Example], int]:
    """Staff corrections as training examples (latest per ticket and field), and the max id."""
    rows = db.session.scalars(
        sa.select(AIFeedback).where(AIFeedback.kind == "correction").order_by(AIFeedback.id)
    ).all()
    latest: dict[tuple, AIFeedback] = {}
    for r in rows:
        latest[(r.ticket_id or -r.id, r.field)] = r
    examples = [
        local.Example(r.text or "", **{r.field: r.value})
        for r in latest.values()
        if r.text and r.field in ("category", "priority")
    ]
    return examples, max((r.id for r in rows), default=0)


def pending_corrections() -> int:
    """Corrections stored since the saved model was trained."""
    model = local.load(model_path())
    since = model.meta.get("max_correction_id", 0) if model else 0
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AIFeedback)
        .where(AIFeedback.kind == "correction", AIFeedback.id > since)
    )


def retrain_due(every: int) -> bool:
    """True when `every` (> 0) or more corrections arrived since the saved model was trained.

    Tests that did not choose a model folder never retrain, so they never write into the
    real instance/.
    """
    may_save = not current_app.testing or current_app.config.get("AI_MODEL_DIR")
    return bool(may_save) and every > 0 and pending_corrections() >= every


def train_and_save(*, measure: bool = True) -> local.LocalModel:
    """Train on the shipped examples plus stored corrections and save under instance/."""
    corrections, max_id = stored_corrections()
    model = local.train(
        local.load_builtin_examples(),
        corrections=corrections,
        measure=measure,
        extra_meta={"max_correction_id": max_id},
    )
    model.save(model_path())
    log.info("AI model trained: %s", model.meta)
    return model
