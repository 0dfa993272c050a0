"""The learn-from-half experiment: split a labelled file at random into two halves under /tmp,
feed one half in as corrections (`flask ai eval --learn-from`), score on the other half.

    python bench/ai_eval_halves.py /work/shared/data/triage-dev.jsonl [--seed 0]

Writes only to a temporary folder; the portal's database and saved model are not touched.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Run as `python bench/ai_eval_halves.py` from anywhere: the portal is one folder up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal.ai.evaluation import split_file  # noqa: E402


def run_eval(*args: str) -> dict:
    env = dict(os.environ, FLASK_APP="portal")
    out = subprocess.run(  # noqa: S603  (our own interpreter and CLI)
        [sys.executable, "-m", "flask", "ai", "eval", *args, "--json"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ai-halves-") as tmp:
        learn, test = os.path.join(tmp, "learn.jsonl"), os.path.join(tmp, "test.jsonl")
        split_file(args.file, learn, test, seed=args.seed)
        started = time.perf_counter()
        zero = run_eval(test)
        learned = run_eval(test, "--learn-from", learn)
        print(
            json.dumps(
                {
                    "seed": args.seed,
                    "zero_shot_on_test_half": zero,
                    "after_learn_from_other_half": learned,
                    "seconds": round(time.perf_counter() - started, 1),
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
