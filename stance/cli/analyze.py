"""`stance analyze MODEL_DIR ARTICLE.txt...`: article-level stance with evidence sentences."""

from __future__ import annotations

import argparse
import json
import sys


def add_parser(commands, shared) -> None:
    p = commands.add_parser(
        "analyze", parents=[shared], help="article-level stance: classify every sentence of articles"
    )
    p.add_argument("model_dir")
    p.add_argument("articles", nargs="+", help="article text files (UTF-8, one paragraph a line)")
    p.add_argument("--json", action="store_true", help="one JSON object per article")
    p.add_argument("--html", metavar="FILE", help="write one self-contained page with every sentence highlighted")
    p.add_argument("--top", type=int, default=3, help="evidence sentences per stance label")
    p.add_argument("--target", help="stance target, for models trained on several targets")


def run(args: argparse.Namespace) -> int:
    from stance.analyze import analyze_article, render_html
    from stance.data.io import write_text
    from stance.models import load_model
    from stance.predict import resolve_targets
    from stance.reports.format import fmt

    model, manifest = load_model(args.model_dir)
    targets = resolve_targets(manifest, args.target, None, 1)
    target = None if targets is None else targets[0]
    results = [analyze_article(model, manifest, path, target=target, top=args.top) for path in args.articles]
    for r in results:
        for warning in r.get("warnings", []):
            print(f"warning: {r['article']}: {warning}", file=sys.stderr)
    if args.html:
        write_text(args.html, render_html(results, model.labels, args.model_dir))
        print(f"wrote {args.html}", file=sys.stderr)
    if args.json:
        for r in results:
            print(json.dumps({k: v for k, v in r.items() if k != "sentences"}, ensure_ascii=False))
        return 0
    width = max(len("article"), *(len(r["article"]) for r in results))
    print(f"{'article':<{width}} {'n':>4} " + " ".join(f"{x:>11}" for x in model.labels) + "  net stance [95% CI]")
    for r in results:
        interval = r["net_stance_interval"]
        net = (
            "n/a"
            if r["net_stance"] is None
            else f"{r['net_stance']:+.2f}" + (f" [{interval[0]:+.2f}, {interval[1]:+.2f}]" if interval else "")
        )
        cells = " ".join(f"{r['counts'][x]:>4} ({100 * r['shares'][x]:>3.0f}%)" for x in model.labels)
        print(f"{r['article']:<{width}} {r['n_sentences']:>4} {cells}  {net}")
    if results[0].get("net_stance_definition"):
        print(f"net stance = {results[0]['net_stance_definition']} over predicted sentence labels")
    for r in results:
        for label, evidence in r["evidence"].items():
            for e in evidence:
                text = e["text"] if len(e["text"]) <= 100 else e["text"][:97] + "..."
                print(f"{r['article']} {label} {fmt(e['probability'], 2)} #{e['sentence']}: {text}")
    return 0
