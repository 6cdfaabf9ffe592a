"""stance: train, evaluate and serve classifiers of a sentence's stance toward a target."""

__version__ = "0.1.0"
