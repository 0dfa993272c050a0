"""The shipped training examples: every examples*.jsonl file counts, and each row is valid."""

from __future__ import annotations

import json

from portal.ai.providers import local

CATEGORIES = {"technical", "billing", "general", "bug_report", "feature_request"}
PRIORITIES = {"low", "medium", "high", "urgent"}


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_every_examples_file_is_loaded_and_changes_the_digest(tmp_path):
    _write(
        tmp_path / "examples.jsonl",
        [{"title": "Refund", "description": "Charged twice", "category": "billing"}],
    )
    before = local.examples_digest(tmp_path)
    _write(
        tmp_path / "examples-github.jsonl",
        [{"title": "Crash", "description": "TypeError on save", "category": "bug_report"}],
    )
    (tmp_path / "notes.jsonl").write_text("not examples\n", encoding="utf-8")
    examples = local.load_builtin_examples(tmp_path)
    assert [e.category for e in examples] == ["bug_report", "billing"]  # sorted by file name
    assert local.examples_digest(tmp_path) != before


def test_every_shipped_row_is_valid():
    files = local.example_files()
    assert files and files[0].name.startswith("examples")
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            where = f"{path.name}:{n}"
            assert (row.get("title") or row.get("description") or "").strip(), where
            assert row.get("category") in CATEGORIES, where
            assert row.get("priority") in PRIORITIES | {None}, where


def test_a_model_trained_now_names_its_example_files():
    model = local.builtin_model()
    assert model.meta["example_files"] == [p.name for p in local.example_files()]
    assert model.meta["examples_digest"] == local.examples_digest()
