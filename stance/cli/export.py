"""`stance export MODEL_DIR`: add an ONNX export to a transformer or SetFit model folder."""

from __future__ import annotations

import argparse


def add_parser(commands, shared) -> None:
    p = commands.add_parser(
        "export",
        parents=[shared],
        help="add an ONNX export to a transformer or SetFit model folder (classify then runs without torch)",
    )
    p.add_argument("model_dir")
    p.add_argument(
        "--precision",
        choices=("fp32", "int8"),
        default="fp32",
        help="int8: dynamic quantisation, faster and smaller, changes some labels (default fp32)",
    )


def run(args: argparse.Namespace) -> int:
    from stance.models.onnx import export_model_folder

    entry = export_model_folder(args.model_dir, args.precision)
    print(
        f"{args.model_dir}: {entry['precision']} ONNX export written ({', '.join(entry['files'])}, "
        f"{entry['bytes'] / 1e6:.1f} MB); classify, evaluate, analyze and suggest now run on onnxruntime"
    )
    return 0
