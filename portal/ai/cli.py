"""`flask ai train` and `flask ai eval`: the local model's training and its measurement."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

import click
from sqlalchemy.exc import SQLAlchemyError

from portal.ai import evaluation, trainer
from portal.ai.options import Thresholds
from portal.ai.providers import local
from portal.extensions import db


def build_cli(read_thresholds: Callable[[], Thresholds]) -> click.Group:
    """The `flask ai` group. `read_thresholds` gives the admin's thresholds (read only)."""

    @click.group("ai")
    def ai_cli() -> None:
        """Train and evaluate the AI triage model."""

    ai_cli.add_command(train_command)
    ai_cli.add_command(_eval_command(read_thresholds))
    return ai_cli


@click.command("train")
@click.option(
    "--if-missing",
    is_flag=True,
    help="Do nothing when a saved model exists and was trained on the current examples.",
)
def train_command(if_missing: bool) -> None:
    """Train the local model on the shipped examples plus staff corrections, and save it."""
    path = trainer.model_path()
    if if_missing and path.exists():
        saved = local.load(path)  # None when the saved format is older than this code's
        if saved is not None and saved.meta.get("examples_digest") == local.examples_digest():
            click.echo(f"Model exists at {path}; nothing to do.")
            return
        click.echo("The saved model predates the shipped examples or format; retraining.")
    model = trainer.train_and_save(measure=True)
    meta = model.meta
    click.echo(
        f"Trained on {meta['n_examples']} examples + {meta['n_corrections']} corrections; "
        f"cross-validated category accuracy {meta['cv_accuracy']:.3f}, ECE {meta['cv_ece']:.3f}; "
        f"priority accuracy {meta.get('cv_priority_accuracy', 0):.3f}, "
        f"ECE {meta.get('cv_priority_ece', 0):.3f}. Saved to {path}."
    )


def _eval_command(read_thresholds: Callable[[], Thresholds]) -> click.Command:
    @click.command("eval")
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
        records = evaluation.read_jsonl(file)
        corrections, thresholds = _readonly_state(read_thresholds)
        if learn_from:
            corrections += evaluation.as_corrections(evaluation.read_jsonl(learn_from))
            model = local.train(local.load_builtin_examples(), corrections=corrections)
        else:
            model = local.load(trainer.model_path())
            if model is None:
                model = local.train(local.load_builtin_examples(), corrections=corrections)
        with click.progressbar(length=len(records), label="Scoring", file=sys.stderr) as bar:
            result = evaluation.score(
                model,
                records,
                threshold_for=thresholds.for_category,
                priority_threshold=thresholds.for_priority(),
                progress=bar.update,
            )
        if as_json:
            keys = list(evaluation.JSON_KEYS)
            if verbose:
                keys += ["per_category", "priority_n"]
            click.echo(json.dumps({k: result[k] for k in keys}))
            return
        _print_report(result)

    return eval_command


def _readonly_state(read_thresholds: Callable[[], Thresholds]):
    """Stored corrections and the thresholds, read only. A database without the AI tables
    yet (not migrated) evaluates with no corrections and the default threshold."""
    try:
        corrections, _ = trainer.stored_corrections()
        return corrections, read_thresholds()
    except SQLAlchemyError:
        db.session.rollback()
        click.echo("note: AI tables missing; no corrections, default threshold only", err=True)
        return [], Thresholds()


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
    for level, recall in r["priority_recall"].items():
        click.echo(f"  {level:<16} recall {_fmt(recall)}")
    click.echo(f"Urgent predicted low/medium: {r['urgent_predicted_low_or_medium']}")
    click.echo(f"ECE (priority):         {_fmt(r['priority_ece'])}")
    click.echo(
        f"Priority precision / coverage at threshold: "
        f"{_fmt(r['priority_precision_at_threshold'])} / "
        f"{_fmt(r['priority_coverage_at_threshold'])}"
    )
    click.echo(f"ECE (category):         {_fmt(r['ece'])}")
    click.echo(f"Threshold:              {_fmt(r['threshold'])}")
    click.echo(f"Precision at threshold: {_fmt(r['precision_at_threshold'])}")
    click.echo(f"Coverage at threshold:  {_fmt(r['coverage_at_threshold'])}")
