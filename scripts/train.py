"""Train, evaluate and save a stance model: python scripts/train.py [model=NAME] [key=value ...]"""

import hydra

from stance.config import register_configs
from stance.hydra_entry import train_main

register_configs()


@hydra.main(version_base="1.3", config_path="../configs", config_name="train")
def main(cfg) -> float:
    return train_main(cfg)


if __name__ == "__main__":
    main()
