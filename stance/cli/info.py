"""`stance info MODEL_DIR`: what a model folder is (its manifest)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_parser(commands, shared) -> None:
    p = commands.add_parser("info", parents=[shared], help="show a model folder's manifest")
    p.add_argument("model_dir")
    p.add_argument("--json", action="store_true", help="print the manifest as JSON")


def run(args: argparse.Namespace) -> int:
    from stance.model_folder import folder_size, read_manifest
    from stance.reports.format import fmt, fmt_interval

    manifest = read_manifest(args.model_dir)
    if args.json:
        print(json.dumps(manifest, indent=2))
        return 0
    metrics = manifest.get("metrics") or {}
    intervals = metrics.get("intervals") if isinstance(metrics.get("intervals"), dict) else {}
    data_config = (manifest.get("config") or {}).get("data") or {}
    sources = manifest.get("data_sources") or {}
    lines = [
        f"model:        {args.model_dir}",
        f"kind:         {manifest['kind']}",
        f"target:       {manifest.get('target', '?')}",
        f"labels:       {', '.join(manifest['labels'])} "
        f"(stance labels: {', '.join(manifest.get('stance_labels', []))})",
        f"created:      {manifest.get('created', '?')}",
    ]
    if sources.get("evaluated"):
        evaluated = sources["evaluated"]
        lines.append(f"data:         {evaluated['path']} ({evaluated['n']} sentences, scored)")
    if sources.get("train_only"):
        extra = sources["train_only"]
        lines.append(f"train-only:   {extra['path']} ({extra['n']} sentences, never scored)")
    if not sources and data_config.get("path"):
        lines.append(f"data:         {data_config['path']}")
    lines.append(f"fingerprint:  {manifest.get('data_fingerprint', '?')}")
    if manifest.get("targets"):
        lines.append(f"targets:      {', '.join(manifest['targets'])} (classify with --target)")
    if metrics:
        lines.append(f"evaluation:   {metrics.get('protocol', '?')}")
        for name in ("macro_f1", "f_avg", "accuracy"):
            value = metrics.get(name)
            value = value if isinstance(value, (int, float)) else None
            shown = fmt_interval(intervals.get(name)) if intervals.get(name) else ""
            lines.append(f"  {name + ':':<12}{fmt(value)} {shown}".rstrip())
    model_config = (manifest.get("config") or {}).get("model") or {}
    if model_config:
        lines.append("settings:     " + ", ".join(f"{k}={v}" for k, v in model_config.items() if k != "name"))
    from stance.models.onnx import describe

    if describe(manifest):
        lines.append(f"onnx:         {describe(manifest)}")
    size = folder_size(Path(args.model_dir))
    lines.append(f"size:         {size / 1e6:.1f} MB")
    versions = manifest.get("versions") or {}
    if versions:
        lines.append("versions:     " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print("\n".join(lines))
    return 0
