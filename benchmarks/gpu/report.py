"""The report of a GPU check: ``gpu_check.json`` (everything measured) and
``gpu_check.md`` (the same as tables)."""

from __future__ import annotations

import json
from pathlib import Path


def markdown(summary: dict) -> str:
    prov = summary["provenance"]
    lines = [
        "# GPU check",
        "",
        f"- device: {prov['device']} ({prov.get('gpu') or 'no GPU'}), driver "
        f"{prov.get('driver')}, torch {prov['torch']}, CUDA {prov['cuda_runtime']}",
        f"- git {prov['git_revision']}{' (dirty)' if prov['git_dirty'] else ''}, "
        f"{prov['date_utc']}, mode {summary['mode']}, wall {summary['wall_s']:.0f} s",
    ]
    if summary["mode"] != "full" or not prov.get("gpu"):
        lines.append("- **not GPU figures**: a CPU or quick run checks the script only")
    tests = summary.get("cuda_tests", {})
    lines += [
        "",
        "## CUDA tests",
        "",
        f"{tests.get('status')}: {tests.get('passed')} "
        f"passed, {tests.get('failed')} failed, {tests.get('skipped')} skipped",
    ]
    lines += [
        "",
        "## One training iteration (median, ms)",
        "",
        "| method | " + " | ".join(summary.get("iterations", {})) + " |",
        "|---|" + "---:|" * len(summary.get("iterations", {})),
    ]
    models = summary.get("iterations", {})
    methods = list(dict.fromkeys(m for rows in models.values() for m in rows))
    for method in methods:
        cells = []
        for rows in models.values():
            row = rows.get(method, {})
            cells.append(f"{1000 * row['median_s']:.2f}" if "median_s" in row else "-")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    step = summary.get("optimizer_step")
    if step:
        lines += [
            "",
            f"## Optimizer step, SNGAN-ResNet generator ({step['tensors']} "
            f"tensors, {step['parameters']:,} parameters), median ms",
            "",
            f"Adam fused {1000 * step['adam_fused']['median_s']:.3f}, Adam "
            f"foreach {1000 * step['adam_foreach']['median_s']:.3f}",
            "",
            "| CG rule | default path | for-loop | / Adam fused |",
            "|---|---:|---:|---:|",
        ]
        for rule, row in step["cg"].items():
            loop = row.get("for_loop")
            loop_ms = f"{1000 * loop['median_s']:.3f}" if loop else "-"
            lines.append(
                f"| {rule} | {1000 * row['default']['median_s']:.3f} | "
                f"{loop_ms} | {row['ratio_to_adam_fused']:.2f} |"
            )
        lines.append(
            f"\ntarget <= {step['target']}x Adam fused for every rule: "
            f"{'met' if step['target_met'] else 'NOT met'}"
        )
    fid = summary.get("fid")
    if fid:
        lines += [
            "",
            "## FID evaluation",
            "",
            f"{fid['n_samples']} samples at "
            f"{fid['dims']}-d: {fid['seconds']:.2f} s ({fid['weights']})",
        ]
    conc = summary.get("concurrency")
    if conc:
        lines += [
            "",
            f"## Concurrency (DCGAN-32, Adam; runs of "
            f"{conc['run_iterations']:,} iterations)",
            "",
            "| k | iterations/s | speed-up | runs per GPU-hour |",
            "|---:|---:|---:|---:|",
        ]
        for key, row in conc.items():
            if key.isdigit() and "iterations_per_s" in row:
                lines.append(
                    f"| {key} | {row['iterations_per_s']:.1f} | "
                    f"{row.get('speedup_vs_1', 1.0):.2f} | "
                    f"{row['runs_per_gpu_hour']:.3f} |"
                )
    cost = summary.get("cost")
    if cost:
        lines += [
            "",
            f"## Cost of {cost['config']}",
            "",
            f"- planned runs: {cost['runs']:,} ({cost['sweep_runs']:,} sweep + "
            f"{cost['confirmation_runs']:,} confirmation)",
            f"- GPU-hours at one run per GPU: {cost['gpu_hours']:.1f} "
            f"(sweep {cost['sweep_gpu_hours']:.1f})",
            f"- methods without a measured time: {cost['missing'] or 'none'}",
            f"- SLURM `train:runtime`: {cost['slurm_runtime_min']} min",
        ]
    rec = summary.get("recommended_profile")
    if rec:
        lines += ["", "## Recommended profile values (not applied)", ""]
        lines += [f"- `{k}`: {v}" for k, v in rec.items()]
    if summary.get("errors"):
        lines += ["", "## Errors", ""] + [
            f"- {k}: {v}" for k, v in summary["errors"].items()
        ]
    return "\n".join(lines) + "\n"


def write(summary: dict, out: Path) -> Path:
    """Write ``gpu_check.json`` and ``gpu_check.md`` into ``out``; the JSON's path."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu_check.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "gpu_check.md").write_text(markdown(summary))
    return out / "gpu_check.json"
