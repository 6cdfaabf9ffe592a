"""Train, evaluate and save a stance model: python scripts/train.py [model=NAME] [key=value ...]"""

import sys
from pathlib import Path

import hydra

from stance.config import register_configs
from stance.hydra_entry import preflight, train_main

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
register_configs()


@hydra.main(version_base="1.3", config_path=str(CONFIGS), config_name="train")
def main(cfg) -> float:
    return train_main(cfg)


if __name__ == "__main__":
    preflight(sys.argv[1:], str(CONFIGS))
    main()
