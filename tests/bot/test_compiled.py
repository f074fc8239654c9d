"""The compiled classifier gives scikit-learn's own probabilities, on the real FAQ data and on edge cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.shared.nlu.training_data.loading import load_data

from bot.components.compiled import CompiledTextClassifier
from bot.components.masked_intent import MaskedIntentClassifier, new_text_pipeline

FAQ_DATA = Path(__file__).resolve().parents[2] / "data" / "nlu" / "faq.yml"


@pytest.fixture(scope="module")
def faq_examples() -> tuple[list[str], list[str]]:
    examples = [m for m in load_data(str(FAQ_DATA)).intent_examples if m.get("text")]
    return [m.get("text") for m in examples], [m.get("intent_response_key") or m.get("intent") for m in examples]


def test_the_same_probabilities_as_scikit_learn_on_the_faq_questions(faq_examples: tuple[list[str], list[str]]) -> None:
    texts, labels = faq_examples
    pipeline = new_text_pipeline(MaskedIntentClassifier.get_default_config()).fit(texts, labels)
    compiled = CompiledTextClassifier(pipeline)
    # The training questions, others it never saw, words it does not know, nothing at all.
    probes = [*texts, "waar vind ik de premie van maart", "qwerty uiop", "", "ENTPERSONNAME 0000000", "Één ÉÉN café"]
    assert list(compiled.classes_) == list(pipeline.classes_)
    np.testing.assert_allclose(compiled.predict_proba(probes), pipeline.predict_proba(probes), rtol=0, atol=1e-9)


def test_the_same_probabilities_for_two_classes() -> None:
    texts = ["ja graag", "ja hoor", "klopt", "nee", "nee dank je", "liever niet"]
    labels = ["affirm", "affirm", "affirm", "deny", "deny", "deny"]
    pipeline = new_text_pipeline(MaskedIntentClassifier.get_default_config()).fit(texts, labels)
    probes = [*texts, "ja nee", "onbekend"]
    np.testing.assert_allclose(
        CompiledTextClassifier(pipeline).predict_proba(probes), pipeline.predict_proba(probes), rtol=0, atol=1e-12
    )


def test_a_pipeline_it_cannot_compute_is_refused() -> None:
    config = dict(MaskedIntentClassifier.get_default_config())
    pipeline = new_text_pipeline(config)
    pipeline.named_steps["classifier"].set_params(multi_class="ovr")
    pipeline.fit(["ja", "nee", "misschien", "ja hoor", "nee hoor", "weet niet"], ["a", "b", "c", "a", "b", "c"])
    with pytest.raises(ValueError, match="multinomial"):
        CompiledTextClassifier(pipeline)
