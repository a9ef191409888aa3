"""cggan.train.tensorboard: a run's event files, read back with TensorBoard's reader.

Each test sets ``CGGAN_TENSORBOARD`` itself (on by default, so every other training test
of the suite logs too).
"""

from __future__ import annotations

import json
import time

import pytest

from cggan import fingerprint
from cggan.train import run
from cggan.train import tensorboard as tb

from .conftest import (
    Interrupt,
    digits_spec,
    interrupt_after,
    metrics_without_timing,
    read_rows,
    ring_spec,
)

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import (  # noqa: E402
    EventAccumulator,
)
from tensorboard.plugins.hparams import api_pb2, metadata  # noqa: E402

#: summary.json keys that differ between two runs of one spec (wall clock), and the
#: digest of metrics.csv, whose elapsed_s column is wall clock too.
TIMING_KEYS = ("wall_time_s", "eval_time_s", "files")
CG = {"method": "cg_fr", "method_kwargs": {"beta_coeff": 0.5}}


def _events(run_dir) -> EventAccumulator:
    guidance = {"scalars": 0, "images": 0, "tensors": 0}  # 0: keep every event
    acc = EventAccumulator(str(run_dir / tb.SUBDIR), size_guidance=guidance)
    return acc.Reload()


def _steps(acc: EventAccumulator, tag: str) -> list[int]:
    return [event.step for event in acc.Scalars(tag)]


def _session(acc: EventAccumulator):
    content = acc.PluginTagToContent(metadata.PLUGIN_NAME)
    start = metadata.parse_session_start_info_plugin_data(
        content[metadata.SESSION_START_INFO_TAG]
    )
    end = metadata.parse_session_end_info_plugin_data(
        content[metadata.SESSION_END_INFO_TAG]
    )
    return start, end


def _summary_without_timing(run_dir) -> dict:
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    return {k: v for k, v in summary.items() if k not in TIMING_KEYS}


def test_digits_run_logs_rows_samples_and_hparams(
    tmp_path, data_root, fid_stats, monkeypatch
):
    monkeypatch.setenv(tb.ENV_SWITCH, "1")
    spec = digits_spec(data_root, **CG)
    summary = run(spec, tmp_path / "run", fid_stats=fid_stats)
    acc = _events(tmp_path / "run")
    scalars = set(acc.Tags()["scalars"])
    per_player = {f"{s}/{p}" for s in ("loss", "grad_norm", "lr") for p in "gd"}
    beta = {f"beta/{s}_{p}" for s in ("mean", "capped", "zero") for p in "gd"}
    evals = {f"eval/{m}" for m in ("fid", "kid", "confident", "class_entropy")}
    final = {"final/fid", "final/best_fid", "final/best_iteration"}
    times = {"time/elapsed_s", "time/eval_time_s"}
    assert scalars == per_player | beta | evals | final | times
    # every metrics.csv row at its iteration; losses and β from the first interval on
    rows = read_rows(tmp_path / "run")
    assert _steps(acc, "eval/fid") == [0, 3, 6] == [int(r["iteration"]) for r in rows]
    assert _steps(acc, "loss/g") == _steps(acc, "beta/mean_d") == [3, 6]
    for tag, column in (("eval/fid", "fid"), ("loss/d", "loss_d"), ("lr/g", "lr_g")):
        logged = [e.value for e in acc.Scalars(tag)]
        expected = [float(r[column]) for r in rows if r[column]]
        assert logged == pytest.approx(expected, rel=1e-6)
    assert [e.value for e in acc.Scalars("final/fid")] == pytest.approx(
        [summary["final_metric"]], rel=1e-6
    )
    assert _steps(acc, "final/best_fid") == [6]
    # the sample grid at every evaluation: 8×8 images of 16 pixels, padding 2
    assert acc.Tags()["images"] == ["samples"]
    images = acc.Images("samples")
    assert [e.step for e in images] == [0, 3, 6]
    assert (images[-1].width, images[-1].height) == (8 * 18 + 2, 8 * 18 + 2)
    assert "eval/fid_status/text_summary" in acc.Tags()["tensors"]
    start, end = _session(acc)
    hp = start.hparams
    assert hp["method"].string_value == "cg_fr"
    assert hp["lr_rule"].string_value == "constant"
    assert hp["experiment"].string_value == "digits"
    assert hp["study"].string_value == "test"
    assert hp["lr_d"].number_value == spec["lr_d"]
    assert hp["lr_g"].number_value == spec["lr_g"]
    assert hp["seed"].number_value == spec["seed"]
    assert hp["method.beta_coeff"].number_value == 0.5
    assert end.status == api_pb2.Status.Value("STATUS_SUCCESS")


@pytest.mark.parametrize("kind", ["ring", "digits"])
def test_logging_off_or_on_leaves_results_byte_identical(
    tmp_path, data_root, fid_stats, monkeypatch, kind
):
    if kind == "ring":
        spec, options = ring_spec(data_root, iterations=20, **CG), {}
    else:
        spec, options = digits_spec(data_root, **CG), {"fid_stats": fid_stats}
    for switch in ("0", "1"):
        monkeypatch.setenv(tb.ENV_SWITCH, switch)
        run(spec, tmp_path / switch, **options)
    assert _events(tmp_path / "1").Tags()["images"] == ["samples"]
    assert metrics_without_timing(tmp_path / "0") == metrics_without_timing(
        tmp_path / "1"
    )
    assert _summary_without_timing(tmp_path / "0") == _summary_without_timing(
        tmp_path / "1"
    )
    for name in ("samples.png", "samples.npy"):
        if (tmp_path / "0" / name).exists():
            assert (tmp_path / "0" / name).read_bytes() == (
                tmp_path / "1" / name
            ).read_bytes()


@pytest.mark.parametrize("switch", ["0", "false", "Off", "no"])
def test_switched_off_writes_no_event_files(tmp_path, data_root, monkeypatch, switch):
    monkeypatch.setenv(tb.ENV_SWITCH, switch)
    assert not tb.is_enabled()
    run(ring_spec(data_root, iterations=5, eval={"every": 5}), tmp_path / "run")
    assert (tmp_path / "run" / "summary.json").is_file()
    assert not (tmp_path / "run" / tb.SUBDIR).exists()


def test_on_by_default():
    assert tb.is_enabled({}) and tb.is_enabled({tb.ENV_SWITCH: "1"})


def test_resume_continues_the_event_files_without_repeating_a_step(
    tmp_path, data_root, monkeypatch
):
    monkeypatch.setenv(tb.ENV_SWITCH, "1")
    spec = ring_spec(data_root, iterations=30, eval={"every": 5}, checkpoint_every=10)
    run_dir = tmp_path / "run"
    with monkeypatch.context() as patch:
        interrupt_after(patch, 17)  # rows 0..15 logged, checkpoint at 10
        with pytest.raises(Interrupt):
            run(spec, run_dir)
    assert _steps(_events(run_dir), "eval/modes") == [0, 5, 10, 15]
    # TensorBoard orders event files by name, whose first field is the second they
    # were opened: the resumed process's file must not share the killed one's second
    time.sleep(1.05 - time.time() % 1)
    run(spec, run_dir)
    acc = _events(run_dir)
    assert len(list((run_dir / tb.SUBDIR).glob("events.out.tfevents.*"))) == 2
    rows = read_rows(run_dir)
    assert _steps(acc, "eval/modes") == list(range(0, 31, 5))
    assert _steps(acc, "loss/g") == list(range(5, 31, 5))
    assert [e.value for e in acc.Scalars("loss/g")] == pytest.approx(
        [float(r["loss_g"]) for r in rows[1:]], rel=1e-6
    )
    assert [e.step for e in acc.Images("samples")] == list(range(0, 31, 5))


def test_a_diverged_run_ends_its_session_as_a_failure(tmp_path, data_root, monkeypatch):
    monkeypatch.setenv(tb.ENV_SWITCH, "1")
    spec = ring_spec(data_root, method="sgd", lr_g=1e6, lr_d=1e6, iterations=200)
    summary = run(spec, tmp_path / "run")
    assert summary["status"] == "diverged"
    acc = _events(tmp_path / "run")
    _, end = _session(acc)
    assert end.status == api_pb2.Status.Value("STATUS_FAILURE")
    assert _steps(acc, "loss/g")[-1] == summary["diverged_at"]
    assert "final/modes" not in acc.Tags()["scalars"]  # no final metric when diverged


def test_a_logging_error_turns_logging_off_and_the_run_goes_on(
    tmp_path, data_root, monkeypatch, capsys
):
    monkeypatch.setenv(tb.ENV_SWITCH, "1")

    def broken(self, step):
        raise RuntimeError("no images today")

    monkeypatch.setattr(tb.RunBoard, "_log_samples", broken)
    summary = run(ring_spec(data_root, iterations=10), tmp_path / "run")
    assert summary["status"] == "finished"
    assert "TensorBoard logging off" in capsys.readouterr().err
    assert _steps(_events(tmp_path / "run"), "eval/modes") == [0]  # then off


def test_tags_of_the_metrics_columns():
    assert [tb.tag_of(c) for c in ("loss_g", "grad_norm_d", "lr_d")] == [
        "loss/g",
        "grad_norm/d",
        "lr/d",
    ]
    assert tb.tag_of("beta_capped_g") == "beta/capped_g"
    assert tb.tag_of("elapsed_s") == "time/elapsed_s"
    assert [tb.tag_of(c) for c in ("fid", "high_quality")] == [
        "eval/fid",
        "eval/high_quality",
    ]


def test_the_tensorboard_module_is_outside_the_code_fingerprint():
    assert "cggan.train.tensorboard" in fingerprint.NOT_NUMERICAL
    assert "cggan.train.tensorboard" not in fingerprint.module_files()
    assert "cggan.train.loop" in fingerprint.module_files()
