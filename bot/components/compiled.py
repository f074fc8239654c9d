"""The trained text classifier's probabilities for one message, without scikit-learn's per-call overhead.

Profiled under load (bench/turns_bench.py --profile, and a parse_message loop), scikit-learn
spent about 8 ms on each `predict_proba` of a single message: its TfidfTransformer rebuilds
the inverse-document-frequency vector from a 25,000 × 25,000 diagonal matrix three times per
call, and every step re-validates its input. The assistant asks two classifiers per message
(intent and FAQ answer), on every turn. This module reads the fitted vectorizers and the
logistic regression once and computes the same numbers directly: the vectorizers' own
analyzers, the same sublinear tf, idf and l2 norm per block, the same softmax; tests compare it
with scikit-learn's `predict_proba` on every training example of the real data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline


class _Block:
    """One fitted TfidfVectorizer of the feature union, as plain lookups."""

    def __init__(self, vectorizer: TfidfVectorizer, offset: int) -> None:
        self.analyze: Callable[[str], list[str]] = vectorizer.build_analyzer()
        self.vocabulary: dict[str, int] = {term: offset + index for term, index in vectorizer.vocabulary_.items()}
        self.idf = np.zeros(0) if not vectorizer.use_idf else np.asarray(vectorizer.idf_, dtype=np.float64)
        self.offset = offset
        self.sublinear = vectorizer.sublinear_tf
        self.norm = vectorizer.norm
        if self.norm not in ("l2", None):
            raise ValueError(f"norm {self.norm!r} is not supported")

    def features(self, text: str) -> tuple[list[int], np.ndarray]:
        """The column indices and values this block contributes for `text`."""
        counts = Counter(term for term in self.analyze(text) if term in self.vocabulary)
        if not counts:
            return [], np.zeros(0)
        columns = [self.vocabulary[term] for term in counts]
        values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        if self.sublinear:
            values = 1.0 + np.log(values)
        if self.idf.size:
            values = values * self.idf[np.asarray(columns) - self.offset]
        if self.norm == "l2":
            values = values / np.sqrt(np.dot(values, values))
        return columns, values


class CompiledTextClassifier:
    """`predict_proba` of a fitted Pipeline(FeatureUnion of TfidfVectorizers, LogisticRegression)."""

    def __init__(self, pipeline: Pipeline) -> None:
        union: FeatureUnion = pipeline.named_steps["features"]
        classifier: LogisticRegression = pipeline.named_steps["classifier"]
        if union.transformer_weights or not all(isinstance(v, TfidfVectorizer) for _, v in union.transformer_list):
            raise ValueError("only an unweighted union of TfidfVectorizers can be compiled")
        if classifier.coef_.shape[0] > 1 and (classifier.multi_class == "ovr" or classifier.solver == "liblinear"):
            raise ValueError("only a multinomial (or binary) logistic regression can be compiled")
        self._blocks = []
        offset = 0
        for _, vectorizer in union.transformer_list:
            self._blocks.append(_Block(vectorizer, offset))
            offset += len(vectorizer.vocabulary_)
        # Column-major, so that picking a message's few columns reads contiguous memory.
        self._coef_t = np.ascontiguousarray(classifier.coef_.T, dtype=np.float64)
        self._intercept = np.asarray(classifier.intercept_, dtype=np.float64)
        self.classes_ = classifier.classes_

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """The probability of each class for each text, as scikit-learn computes it."""
        return np.vstack([self._one(text) for text in texts]) if texts else np.zeros((0, len(self.classes_)))

    def _one(self, text: str) -> np.ndarray:
        scores = self._intercept.copy()
        for block in self._blocks:
            columns, values = block.features(text)
            if columns:
                scores += values @ self._coef_t[columns]
        if scores.size == 1:  # binary: one score for the second class
            positive = 1.0 / (1.0 + np.exp(-scores[0]))
            return np.array([1.0 - positive, positive])
        exp = np.exp(scores - scores.max())
        return exp / exp.sum()
