"""Shortcut audit of a labeled set: how well do the voice alone, or single words, predict the label?

    python -m benchmarks.shortcut_audit [data/authored.csv] [--min-count 10]

Prints markdown for docs/authored-datasheet.md: chance, the voice-only and best single-word
rules under 5-fold cross-validation, the most label-laden words, and the topic words per label.
"""

import argparse
import re
from collections import Counter, defaultdict

import numpy as np

from stance.data.io import resolve_path
from stance.data.labeled import load_labeled

LABELS = ["supportive", "skeptical", "neutral"]
TOPIC_WORDS = [
    "peace",
    "neutral",
    "mediator",
    "mediation",
    "credible",
    "plan",
    "impartial",
    "broker",
    "talks",
    "envoy",
    "ceasefire",
]


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z][a-z'-]+", text.lower()))


def folds(n: int, k: int = 5, seed: int = 0) -> list[np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    return [order[i::k] for i in range(k)]


def cv_accuracy(predict_fold) -> float:
    """Accuracy of a rule refitted on each training fold and applied to the held-out fold."""
    return float(np.mean(predict_fold))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path", nargs="?", default="data/authored.csv")
    parser.add_argument("--min-count", type=int, default=10)
    args = parser.parse_args()
    data = load_labeled(resolve_path(args.path), LABELS, required=("text", "label", "voice"))
    labels = np.array(data.labels)
    voices = np.array(data.columns["voice"])
    bags = [words(t) for t in data.texts]
    n = len(labels)
    majority = Counter(labels).most_common(1)[0][1] / n

    voice_hits, word_hits, chosen_words = [], [], []
    for test in folds(n):
        train = np.setdiff1d(np.arange(n), test)
        # Voice rule: each voice's majority training label.
        by_voice = {v: Counter(labels[train][voices[train] == v]).most_common(1)[0][0] for v in set(voices[train])}
        voice_hits += [by_voice.get(voices[i]) == labels[i] for i in test]
        # Best single-word rule: if the word occurs, its majority label, else the majority of the rest.
        counts: dict[str, Counter] = defaultdict(Counter)
        for i in train:
            for w in bags[i]:
                counts[w][labels[i]] += 1
        best, best_hits = None, -1
        for w, c in counts.items():
            if sum(c.values()) < args.min_count:
                continue
            inside = c.most_common(1)[0][0]
            outside = Counter(labels[i] for i in train if w not in bags[i]).most_common(1)[0][0]
            hits = sum((inside if w in bags[i] else outside) == labels[i] for i in train)
            if hits > best_hits:
                best, best_hits, rule = w, hits, (inside, outside)
        chosen_words.append(best)
        word_hits += [(rule[0] if best in bags[i] else rule[1]) == labels[i] for i in test]

    print(f"Shortcut audit of `{args.path}` ({n} sentences; 5-fold cross-validation, rules refitted per fold):\n")
    print("| rule | accuracy |\n|---|---:|")
    print(f"| always the commonest label (chance) | {majority:.3f} |")
    print(f"| the voice alone (each voice's commonest label) | {np.mean(voice_hits):.3f} |")
    print(
        f"| the best single word (chosen per fold: {', '.join(sorted(set(chosen_words)))}) "
        f"| {np.mean(word_hits):.3f} |"
    )

    counts = defaultdict(Counter)
    for bag, label in zip(bags, labels):
        for w in bag:
            counts[w][label] += 1
    laden = sorted(
        (
            (max(c.values()) / sum(c.values()), sum(c.values()), w, c)
            for w, c in counts.items()
            if sum(c.values()) >= args.min_count
        ),
        reverse=True,
    )[:15]
    print(f"\nThe most label-laden words (in at least {args.min_count} sentences):\n")
    print("| word | sentences | supportive | skeptical | neutral |\n|---|---:|---:|---:|---:|")
    for _share, total, w, c in laden:
        print(f"| {w} | {total} | " + " | ".join(str(c[x]) for x in LABELS) + " |")
    print("\nTopic words under each label:\n")
    print("| word | supportive | skeptical | neutral |\n|---|---:|---:|---:|")
    for w in TOPIC_WORDS:
        c = counts.get(w, Counter())
        print(f"| {w} | " + " | ".join(str(c[x]) for x in LABELS) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
