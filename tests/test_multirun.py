import json
import subprocess
import sys

from conftest import ROOT


def test_parallel_multirun_trains_each_model_and_writes_the_comparison(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "scripts/train.py",
            "-m",
            "hydra/launcher=parallel",
            "model.char_ngram_max=3,4",
            "n_bootstrap=50",
            f"output_dir={tmp_path}/m${{model.char_ngram_max}}",
            f"hydra.sweep.dir={tmp_path}/sweep",
            f"hydra.callbacks.comparison.report_dir={tmp_path}/reports",
        ],
        capture_output=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    for n in (3, 4):
        manifest = json.loads((tmp_path / f"m{n}" / "stance.json").read_text())
        assert manifest["config"]["model"]["char_ngram_max"] == n
    comparison = (tmp_path / "reports" / "comparison.md").read_text()
    assert "| tfidf (model.char_ngram_max=3) |" in comparison and "| tfidf (model.char_ngram_max=4) |" in comparison
    assert "majority baseline" in comparison and (tmp_path / "sweep" / "comparison.md").is_file()
    assert (tmp_path / "reports" / "comparison.png").stat().st_size > 1000
