"""TF-IDF word and character n-grams into a class-balanced logistic regression.

Saved as safetensors arrays plus JSON vocabularies and rebuilt through scikit-learn's public
API, so loading unpickles nothing. (skops was the plan, but `import skops.io` walks every
scikit-learn estimator, imports torch and takes seconds: it broke the cold-start budget.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from stance.config import TfidfConfig
from stance.errors import StanceError
from stance.models.base import StanceClassifier, joint_inputs

WEIGHTS = "tfidf.safetensors"
VOCABULARY = "tfidf_vocabulary.json"
_FEATURES = ("word", "char")


def build_pipeline(config: TfidfConfig, seed: int, vocabularies: dict | None = None) -> Pipeline:
    """The scikit-learn pipeline; `vocabularies` fixes the features when loading."""
    vocabularies = vocabularies or {}
    word = TfidfVectorizer(
        analyzer="word", ngram_range=(1, config.word_ngram_max), min_df=config.min_df,
        sublinear_tf=config.sublinear_tf, lowercase=True, vocabulary=vocabularies.get("word"),
    )
    char = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(config.char_ngram_min, config.char_ngram_max),
        min_df=config.min_df, sublinear_tf=config.sublinear_tf, lowercase=True,
        vocabulary=vocabularies.get("char"),
    )
    classifier = LogisticRegression(
        C=config.C, class_weight=config.class_weight, max_iter=config.max_iter, random_state=seed,
    )
    return Pipeline([("features", FeatureUnion([("word", word), ("char", char)])), ("classifier", classifier)])


class TfidfClassifier(StanceClassifier):
    kind = "tfidf"

    def __init__(self, config: TfidfConfig, labels: Sequence[str], seed: int = 0):
        super().__init__(config, labels, seed)
        self.pipeline: Pipeline | None = None

    def fit(self, texts: Sequence[str], labels: Sequence[str], targets: Sequence[str] | None = None) -> "TfidfClassifier":
        if len(set(labels)) < 2:
            raise StanceError("the logistic regression needs at least two labels in the training data")
        self.pipeline = build_pipeline(self.config, self.seed).fit(joint_inputs(texts, targets), list(labels))
        return self

    def predict_proba(self, texts: Sequence[str], targets: Sequence[str] | None = None) -> np.ndarray:
        self.check_fitted("pipeline")
        return self.in_label_order(self.pipeline.predict_proba(joint_inputs(texts, targets)), self.pipeline.classes_)

    def top_features(self, k: int = 10) -> dict[str, list[tuple[str, float]]]:
        """The k n-grams with the largest weight toward each label (`word:` and `char:` n-grams)."""
        self.check_fitted("pipeline")
        union = self.pipeline.named_steps["features"]
        names = [f"{name}:{term}" for name, vectorizer in union.transformer_list
                 for term in vectorizer.get_feature_names_out()]
        classifier = self.pipeline.named_steps["classifier"]
        coef = classifier.coef_
        result = {}
        for row, label in enumerate(classifier.classes_):
            weights = coef[row] if coef.shape[0] > 1 else (coef[0] if row == 1 else -coef[0])
            order = np.argsort(weights)[::-1][:k]
            result[str(label)] = [(names[i], float(weights[i])) for i in order]
        return result

    def explain(self, texts: Sequence[str], targets: Sequence[str] | None = None,
                k: int = 5) -> list[list[tuple[str, float]]]:
        """For each text, the k n-grams that pushed it most toward its predicted label
        (feature value times the label's weight; for several labels, relative to the mean).
        Word n-grams are shown as they are, character n-grams in brackets: [ina ]."""
        self.check_fitted("pipeline")
        union = self.pipeline.named_steps["features"]
        classifier = self.pipeline.named_steps["classifier"]
        names = np.array([term if name == "word" else f"[{term}]" for name, vectorizer in union.transformer_list
                          for term in vectorizer.get_feature_names_out()], dtype=object)
        features = union.transform(joint_inputs(texts, targets)).tocsr()
        coef = classifier.coef_
        if coef.shape[0] == 1:  # binary: one weight row toward classes_[1]
            coef = np.vstack([-coef[0], coef[0]])
        relative = coef - coef.mean(axis=0)  # what separates a label from the others
        predicted = classifier.predict_proba(features).argmax(axis=1)
        explanations = []
        for i, row in enumerate(predicted):
            start, end = features.indptr[i], features.indptr[i + 1]
            columns, values = features.indices[start:end], features.data[start:end]
            contributions = values * relative[row, columns]
            order = np.argsort(contributions)[::-1][:k]
            explanations.append([(str(names[columns[j]]), round(float(contributions[j]), 4))
                                 for j in order if contributions[j] > 0])
        return explanations

    def save(self, folder: Path) -> None:
        from safetensors.numpy import save_file

        self.check_fitted("pipeline")
        union = self.pipeline.named_steps["features"]
        classifier = self.pipeline.named_steps["classifier"]
        tensors = {
            "classifier.coef": np.ascontiguousarray(classifier.coef_),
            "classifier.intercept": np.ascontiguousarray(classifier.intercept_),
        }
        vocabularies = {}
        for name, vectorizer in union.transformer_list:
            tensors[f"{name}.idf"] = np.ascontiguousarray(vectorizer.idf_)
            vocabularies[name] = {term: int(i) for term, i in vectorizer.vocabulary_.items()}
        save_file(tensors, str(Path(folder) / WEIGHTS))
        payload = {"classes": [str(c) for c in classifier.classes_], "vocabularies": vocabularies}
        (Path(folder) / VOCABULARY).write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, config: TfidfConfig, labels: Sequence[str]) -> "TfidfClassifier":
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        folder = Path(folder)
        try:
            tensors = load_file(str(folder / WEIGHTS))
            payload = json.loads((folder / VOCABULARY).read_text(encoding="utf-8"))
            vocabularies = payload["vocabularies"]
            classes = payload["classes"]
            pipeline = build_pipeline(config, 0, vocabularies)
            union = pipeline.named_steps["features"]
            for name, vectorizer in union.transformer_list:
                vectorizer._validate_vocabulary()
                vectorizer.idf_ = tensors[f"{name}.idf"]
                if len(vectorizer.idf_) != len(vectorizer.vocabulary_):
                    raise ValueError(f"{name}: idf and vocabulary sizes differ")
            if sorted(classes) != sorted(labels) or len(classes) != len(labels):
                raise StanceError(f"{folder}: the weights' labels {classes} differ from the manifest's {list(labels)}")
            classifier = pipeline.named_steps["classifier"]
            classifier.classes_ = np.array(classes)
            classifier.coef_ = tensors["classifier.coef"]
            classifier.intercept_ = tensors["classifier.intercept"]
            n_features = sum(len(v.vocabulary_) for _, v in union.transformer_list)
            if classifier.coef_.shape[1] != n_features:
                raise ValueError("coefficients do not match the vocabulary")
        except FileNotFoundError as err:
            raise StanceError(f"{folder}: missing weights file {Path(err.filename).name}") from None
        except (SafetensorError, OSError, KeyError, TypeError, ValueError, json.JSONDecodeError) as err:
            raise StanceError(f"{folder}: corrupt or incomplete TF-IDF weights ({err})") from None
        model = cls(config, labels)
        model.pipeline = pipeline
        return model
