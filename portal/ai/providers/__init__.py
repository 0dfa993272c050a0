"""Model providers behind one small interface.

- ``local``: scikit-learn (TF-IDF + calibrated linear models), trained on shipped examples
  and staff corrections; no key, no network. It classifies; drafts and chat answers are
  composed from retrieval by the use-case modules.
- ``gemini``: google-genai, the only module that imports the SDK.

A text provider answers ``generate(system=, contents=, schema=, settings=)`` with a reply
(text, validated data, token counts) or raises its error; the gateway wraps every call in
the cache, the usage log and the leak check.
"""

from __future__ import annotations

from typing import Any, Protocol


class TextProvider(Protocol):
    name: str

    def generate(self, *, system: str, contents: Any, schema: Any, settings: dict) -> Any: ...
