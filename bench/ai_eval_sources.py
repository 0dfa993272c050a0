"""Per-source breakdown of triage scores (category is confounded with source in the dev data).

    PYTHONPATH=. python bench/ai_eval_sources.py /work/shared/data/triage-dev.jsonl [--seed 0] \
        [--no-embedder]

Zero-shot = the model trained on the shipped examples only, scored on the whole file and on
the test half; "learned" = trained on a random half fed in as corrections, scored on the other
half. `all_without_template_hint` drops the NLBSE rows whose text still names the issue type.
In memory only; nothing is written.
"""

from __future__ import annotations

import argparse
import json
import random

from portal.ai import embedding, evaluation
from portal.ai.providers import local


def subsets(records: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {"all": records}
    for r in records:
        out.setdefault(r["source"].split("/")[0], []).append(r)
        if r.get("source_labels", {}).get("template_hint") is False:
            out.setdefault("nlbse_no_template_hint", []).append(r)
        if r.get("source_labels", {}).get("template_hint") is not True:
            out.setdefault("all_without_template_hint", []).append(r)
    return out


KEYS = (
    "n",
    "category_accuracy",
    "category_macro_f1",
    "ece",
    "precision_at_threshold",
    "coverage_at_threshold",
    "priority_accuracy",
    "priority_accuracy_urgent_as_high",
    "priority_ece",
)


def report(model, records, threshold: float) -> dict:
    rows = {}
    for name, subset in subsets(records).items():
        s = evaluation.score(model, subset, threshold_for=lambda _c=None: threshold)
        rows[name] = {k: round(s[k], 3) if isinstance(s[k], float) else s[k] for k in KEYS}
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threshold", type=float, default=0.7)
    parser.add_argument("--no-embedder", action="store_true", help="TF-IDF only, for comparison")
    args = parser.parse_args()
    if args.no_embedder:
        embedding._state["embedder"] = None
    records = evaluation.read_jsonl(args.file)
    random.Random(args.seed).shuffle(records)
    half = len(records) // 2
    learn, test = records[:half], records[half:]
    builtin = local.load_builtin_examples()
    zero = local.train(builtin)
    learned = local.train(builtin, corrections=evaluation.as_corrections(learn))
    print(
        json.dumps(
            {
                "featuriser": zero.meta["featuriser"],
                "zero_shot_on_whole_file": report(zero, records, args.threshold),
                "zero_shot_on_test_half": report(zero, test, args.threshold),
                "learned_on_test_half": report(learned, test, args.threshold),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
