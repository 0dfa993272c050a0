"""Benchmark: redaction of another customer's staff reply, on ordinary and adversarial text.

Every resolved ticket's staff answer is redacted when the retrieval index is built, so a
pattern that backtracks on a long unbroken run (a pasted log line, a base64 blob) would stall
each rebuild. Prints milliseconds per reply; asserts nothing.

    python bench/redaction_bench.py
"""

from __future__ import annotations

import random
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal.ai.redaction import redact  # noqa: E402

ORDINARY = (
    "Hi Henrietta, I checked order ORD-55120 and invoice INV-2026-0931: the Visa ending 4417 "
    "was charged €312.40 twice. To pay again, clear the saved card in your wallet settings. "
    "Your temporary password is Kestrel-5521.\nBest regards,\nPriya Raghunathan\n"
)


def cases() -> dict[str, str]:
    rng = random.Random(7)
    return {
        "ordinary reply (300 chars)": ORDINARY,
        "ordinary x 60 (20,000 chars)": ORDINARY * 60,
        "20,000 letters": "a" * 20_000,
        "20,000 digits": "7" * 20_000,
        "20,000 random letters+digits": "".join(
            rng.choice(string.ascii_letters + string.digits) for _ in range(20_000)
        ),
        "'a.' x 10,000": "a." * 10_000,
        "'a@b' x 6,000": "a@b" * 6_000,
    }


def main() -> None:
    names = ("Henrietta Vasquez-Lindqvist", "henrietta.vl", "Priya Raghunathan")
    print(f"{'case':<32} {'ms (median of 5)':>16}")
    for label, text in cases().items():
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            redact(text, names=names)
            runs.append((time.perf_counter() - started) * 1000)
        print(f"{label:<32} {sorted(runs)[2]:>16.1f}")


if __name__ == "__main__":
    main()
