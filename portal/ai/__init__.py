"""portal.ai — the only code that talks to a model (local scikit-learn or Gemini).

init_app(app): one google-genai client per app (when GEMINI_API_KEY is set), the `flask ai`
commands, and the task handlers (triage on ticket_created, corrections on ticket_updated).
"""

from __future__ import annotations

import json
import random
import sys

import click
from flask import Flask

AI_DEFAULTS = {
    "AI_MODEL_DIR": None,  # defaults to app.instance_path
    "AI_GEMINI_TIMEOUT_MS": 20000,
    "AI_GEMINI_RETRY_ATTEMPTS": 3,
    "AI_GEMINI_RETRY_INITIAL_DELAY": 1.0,
    "AI_GEMINI_RETRY_MAX_DELAY": 8.0,
    "AI_GEMINI_RETRY_JITTER": 1.0,
    "AI_RETRAIN_AFTER": 20,  # new staff corrections that trigger an automatic retrain
    "AI_TRAIN_IF_MISSING": True,
}


def init_app(app: Flask) -> None:
    for key, value in AI_DEFAULTS.items():
        app.config.setdefault(key, value)
    from portal.ai.providers.gemini import build_client

    app.extensions["ai_gemini_client"] = build_client(app.config)

    from portal.ai import tasks

    tasks.register_handlers()
    app.cli.add_command(ai_cli)


@click.group("ai")
def ai_cli() -> None:
    """Train and evaluate the AI triage model."""


@ai_cli.command("train")
@click.option("--if-missing", is_flag=True, help="Do nothing when a saved model exists.")
def train_command(if_missing: bool) -> None:
    """Train the local model on the shipped examples plus staff corrections, and save it."""
    from portal.ai import service

    path = service.model_path()
    if if_missing and path.exists():
        click.echo(f"Model exists at {path}; nothing to do.")
        return
    model = service.train_and_save(measure=True)
    meta = model.meta
    click.echo(
        f"Trained on {meta['n_examples']} examples + {meta['n_corrections']} corrections; "
        f"cross-validated accuracy {meta['cv_accuracy']:.3f}, ECE {meta['cv_ece']:.3f}. "
        f"Saved to {path}."
    )


@ai_cli.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--learn-from",
    type=click.Path(exists=True, dir_okay=False),
    help="Feed this file's labels in as staff corrections (in memory) before scoring.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--verbose", is_flag=True, help="With --json: add per-category details.")
def eval_command(file: str, learn_from: str | None, as_json: bool, verbose: bool) -> None:
    """Score triage on a labelled JSONL file. Changes neither the database nor the model."""
    from portal.ai import evaluation, service
    from portal.ai.providers import local

    records = evaluation.read_jsonl(file)
    corrections, threshold_for = _readonly_state()
    if learn_from:
        corrections += evaluation.as_corrections(evaluation.read_jsonl(learn_from))
        model = local.train(local.load_builtin_examples(), corrections=corrections)
    else:
        model = local.load(service.model_path())
        if model is None:
            model = local.train(local.load_builtin_examples(), corrections=corrections)
    with click.progressbar(length=len(records), label="Scoring", file=sys.stderr) as bar:
        result = evaluation.score(model, records, threshold_for=threshold_for, progress=bar.update)
    if as_json:
        keys = list(evaluation.JSON_KEYS)
        if verbose:
            keys += ["per_category", "priority_n", "priority_accuracy_urgent_as_high"]
        click.echo(json.dumps({k: result[k] for k in keys}))
        return
    _print_report(result)


def _readonly_state():
    """Stored corrections and the threshold function, read only. A database without the AI
    tables yet (not migrated) evaluates with no corrections and the global threshold."""
    from sqlalchemy.exc import SQLAlchemyError

    from portal.ai import service
    from portal.extensions import db
    from portal.services.settings import get_setting

    try:
        corrections, _ = service.stored_corrections()
        service.threshold_for(None)
        service.threshold_overrides()
        return corrections, service.threshold_for
    except SQLAlchemyError:
        db.session.rollback()
        click.echo("note: AI tables missing; no corrections, global threshold only", err=True)
        try:
            value = float(get_setting("AI_CONFIDENCE_THRESHOLD"))
        except SQLAlchemyError:
            db.session.rollback()
            value = 0.7
        return [], lambda category=None: value


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def _print_report(r: dict) -> None:
    click.echo(f"Examples:               {r['n']}")
    click.echo(f"Category accuracy:      {_fmt(r['category_accuracy'])}")
    click.echo(f"Category macro-F1:      {_fmt(r['category_macro_f1'])}")
    for c, m in r["per_category"].items():
        click.echo(
            f"  {c:<16} precision {_fmt(m['precision'])}  recall {_fmt(m['recall'])}"
            f"  (n={m['support']})"
        )
    click.echo(
        f"Priority accuracy:      {_fmt(r['priority_accuracy'])} on {r['priority_n']} labelled"
        f" (urgent=high: {_fmt(r['priority_accuracy_urgent_as_high'])})"
    )
    click.echo(f"ECE (category):         {_fmt(r['ece'])}")
    click.echo(f"Threshold:              {_fmt(r['threshold'])}")
    click.echo(f"Precision at threshold: {_fmt(r['precision_at_threshold'])}")
    click.echo(f"Coverage at threshold:  {_fmt(r['coverage_at_threshold'])}")


def split_file(path: str, out_a: str, out_b: str, *, seed: int = 0) -> None:
    """Helper for the learn-from-half experiment (bench/ uses it): a random half each way."""
    with open(path, encoding="utf-8") as fh:
        lines = [line for line in fh if line.strip()]
    random.Random(seed).shuffle(lines)
    half = len(lines) // 2
    with open(out_a, "w", encoding="utf-8") as a, open(out_b, "w", encoding="utf-8") as b:
        a.writelines(lines[:half])
        b.writelines(lines[half:])
