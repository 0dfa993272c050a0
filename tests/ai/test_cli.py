"""`flask ai train` and `flask ai eval`, on small hand-written labelled files."""

from __future__ import annotations

import json

import sqlalchemy as sa

from portal.ai import evaluation, trainer
from portal.ai.calibration import expected_calibration_error
from portal.ai.providers import local
from portal.extensions import db
from portal.models import AIFeedback, AIUsage, Ticket

ROWS = [
    (
        "Refund for a double charge",
        "I paid the exam fee twice, please refund one payment.",
        "billing",
        "medium",
    ),
    (
        "Invoice for my employer",
        "Please send an invoice with our company VAT number.",
        "billing",
        "low",
    ),
    (
        "App crashes on submit",
        "The page throws TypeError and crashes when I press submit.",
        "bug_report",
        "high",
    ),
    (
        "Please add dark mode",
        "A dark theme would be a great new feature for the portal.",
        "feature_request",
        "low",
    ),
    ("Cannot log in", "My password is rejected and the SSO page loops.", "technical", "high"),
    ("Office hours", "When is the admissions office open for phone calls?", "general", None),
]


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as fh:
        for i, (title, description, category, priority) in enumerate(rows):
            fh.write(
                json.dumps(
                    {
                        "id": f"t-{i}",
                        "title": title,
                        "description": description,
                        "category": category,
                        "priority": priority,
                    }
                )
                + "\n"
            )
    return str(path)


def test_train_saves_a_model_and_if_missing_keeps_it(app, tmp_path):
    app.config["AI_MODEL_DIR"] = str(tmp_path)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ai", "train"])
    assert result.exit_code == 0, result.output
    assert "ECE" in result.output
    path = tmp_path / local.MODEL_FILE
    model = local.load(path)
    assert model.meta["n_examples"] >= 100
    assert 0 <= model.meta["cv_ece"] <= 1
    mtime = path.stat().st_mtime_ns
    result = runner.invoke(args=["ai", "train", "--if-missing"])
    assert result.exit_code == 0 and "nothing to do" in result.output
    assert path.stat().st_mtime_ns == mtime


def test_eval_json_keys_and_no_side_effects(ai_app, tmp_path):
    data = write_jsonl(tmp_path / "eval.jsonl", ROWS)
    learn = write_jsonl(tmp_path / "learn.jsonl", ROWS[:3])
    path = trainer.model_path()
    mtime = path.stat().st_mtime_ns
    runner = ai_app.test_cli_runner()
    for extra in ([], ["--learn-from", learn]):
        result = runner.invoke(args=["ai", "eval", data, "--json", *extra])
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout.strip().splitlines()[-1])
        assert set(out) == set(evaluation.JSON_KEYS)
        assert out["n"] == len(ROWS)
        assert 0 <= out["category_accuracy"] <= 1 and 0 <= out["ece"] <= 1
        assert out["threshold"] == 0.7
    assert path.stat().st_mtime_ns == mtime
    for model in (AIFeedback, AIUsage, Ticket):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0
    text = runner.invoke(args=["ai", "eval", data])
    assert "Category macro-F1" in text.output and "billing" in text.output


def test_learning_from_labels_fixes_what_the_model_got_wrong():
    """Corrections teach: an unseen domain is learned from a handful of fed-in labels."""
    odd = [
        (
            f"Wormhole flux {i}",
            "The quantum flux capacitor in wormhole lab is oscillating.",
            "billing",
            None,
        )
        for i in range(4)
    ]
    records = [{"title": t, "description": d, "category": c, "priority": p} for t, d, c, p in odd]
    base = local.train(local.load_builtin_examples())
    taught = local.train(
        local.load_builtin_examples(), corrections=evaluation.as_corrections(records)
    )
    probe = local.ticket_text("Wormhole flux 9", odd[0][1])
    assert taught.predict(probe).category == "billing"
    assert taught.predict(probe).category_confidence > base.predict(probe).category_probs["billing"]


def test_expected_calibration_error():
    assert expected_calibration_error([], []) == 0.0
    assert expected_calibration_error([1.0, 1.0], [True, True]) == 0.0
    assert expected_calibration_error([0.9, 0.9], [False, False]) == 0.9
    assert abs(expected_calibration_error([0.75] * 4, [True, True, True, False])) < 1e-9


def test_shipped_examples_cover_every_category_and_priority():
    examples = local.load_builtin_examples()
    assert {e.category for e in examples} == {
        "technical",
        "billing",
        "general",
        "bug_report",
        "feature_request",
    }
    assert {e.priority for e in examples} == {"low", "medium", "high", "urgent"}
    assert len({e.text for e in examples}) == len(examples)
