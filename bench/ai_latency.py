"""What one ticket's local triage costs: `predict()` (category and priority) per ticket, after
the model is trained, with and without the optional sentence embedder.

    PYTHONPATH=. OMP_NUM_THREADS=1 python bench/ai_latency.py /work/shared/data/triage-dev.jsonl \
        [--tickets 200] [--no-embedder]

Prints the embedder's load time, the training time and the median and p90 milliseconds per
ticket. In memory only; nothing is written.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from portal.ai import embedding, evaluation
from portal.ai.providers import local


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--no-embedder", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.no_embedder:
        embedding._state["embedder"] = None
    embedder = embedding.get()
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    model = local.train(local.load_builtin_examples())
    train_s = time.perf_counter() - started
    records = evaluation.read_jsonl(args.file)[: args.tickets]
    texts = [local.ticket_text(r.get("title"), r.get("description")) for r in records]
    times = []
    for text in texts:
        if embedder is not None:
            embedder._memo.clear()  # a new ticket is never in the memo
        started = time.perf_counter()
        model.predict(text)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(
        json.dumps(
            {
                "featuriser": model.meta["featuriser"],
                "embedder_load_s": round(load_s, 2),
                "train_s": round(train_s, 1),
                "tickets": len(times),
                "predict_ms_median": round(statistics.median(times), 1),
                "predict_ms_p90": round(times[int(0.9 * (len(times) - 1))], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
