"""Write portal/ai/training/minilm-examples.npz: the shipped examples' sentence vectors, so a
new process (a test run, a task worker retraining) does not embed them again. Run it after
changing the examples; a stale file only costs time (missing texts are embedded when needed).

    .venv/bin/python scripts/embed_examples.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal.ai import embedding  # noqa: E402
from portal.ai.providers import local  # noqa: E402


def main() -> None:
    embedder = embedding.get()
    if embedder is None:
        sys.exit("the sentence embedder is not installed (requirements-embeddings.txt)")
    texts = sorted({e.text for e in local.load_builtin_examples()})
    embedder._memo.clear()  # embed afresh; never copy vectors from an older file
    vectors = embedder.embed(texts)
    np.savez_compressed(
        embedding.EXAMPLES_CACHE,
        model_sha256=np.array(embedding.MODEL_SHA256),
        keys=np.array([embedding.text_key(t) for t in texts]),
        vectors=vectors.astype(np.float16),
    )
    print(f"{len(texts)} example vectors written to {embedding.EXAMPLES_CACHE}")


if __name__ == "__main__":
    main()
