"""A run saved on one device resumes on another: ``--device`` may change on ``--resume``, the
model and replay buffer are loaded onto the requested device, and RNG states saved on a
CUDA machine restore on a CPU-only one."""

from __future__ import annotations

import pickle
import random

import numpy as np
import pytest
import torch
import yaml
from stable_baselines3 import SAC

from students.checkpoint import get_rng_states, latest_checkpoint, set_rng_states
from students.config import RunConfig
from students.train import run_curriculum
from tests.scripts import load_script

ECHO = "students.testing:teachrl_test/TaskEcho-v0"
CUDA = torch.cuda.is_available()


def sac_run(tmp_path, device: str = "auto", steps: int = 128):
    """A finished tiny SAC run (it has a replay buffer to map) saved with ``device``."""
    return run_curriculum(dict(
        env=ECHO, teacher="random", student="sac", device=device, wandb_mode="disabled",
        student_params={"learning_starts": 32, "batch_size": 32, "buffer_size": 1000},
        steps=steps, n_envs=2, eval_every=0, checkpoint_every=0, run_dir=str(tmp_path / "run"),
    ), log=None)


def test_resume_loads_onto_the_requested_device(tmp_path, monkeypatch):
    first = sac_run(tmp_path)  # saved with device "auto"
    loads = []
    original = SAC.load.__func__
    monkeypatch.setattr(SAC, "load", classmethod(lambda cls, *a, **kw: loads.append(kw) or original(cls, *a, **kw)))
    second = run_curriculum({"steps": 256, "device": "cpu"}, resume=first.run_dir, log=None)
    assert [kw.get("device") for kw in loads] == ["cpu"]
    assert second.steps == 256
    assert second.model.device == torch.device("cpu")
    assert second.model.replay_buffer.device == torch.device("cpu")
    assert all(p.device == torch.device("cpu") for p in second.model.policy.parameters())
    assert RunConfig.from_yaml(first.run_dir / "config.yaml").device == "cpu"  # the run now says where it runs


def test_script_resume_takes_device(tmp_path, capsys):
    first = sac_run(tmp_path)
    script = load_script("train")
    assert script.main(["--resume", str(first.run_dir), "--device", "cpu", "--steps", "192", "--no-progress-bar"]) == 0
    assert RunConfig.from_yaml(first.run_dir / "config.yaml").device == "cpu"


def test_resume_on_cuda_without_cuda_is_a_clear_error(tmp_path, capsys, monkeypatch):
    first = sac_run(tmp_path)
    before = {p.name: p.read_bytes() for p in first.run_dir.iterdir() if p.is_file()}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    script = load_script("train")
    assert script.main(["--resume", str(first.run_dir), "--device", "cuda", "--no-progress-bar"]) == 2
    err = capsys.readouterr().err
    assert "device 'cuda' was requested but torch sees no CUDA device" in err
    assert "config file" not in err  # the flag's fault, not the run directory's
    assert {p.name: p.read_bytes() for p in first.run_dir.iterdir() if p.is_file()} == before
    with pytest.raises(ValueError, match="device must be one of .* got 'tpu'"):
        run_curriculum({"device": "tpu"}, resume=first.run_dir, log=None)


def _fake_cuda_states() -> dict:
    states = get_rng_states()
    states["torch_cuda"] = [torch.zeros(16, dtype=torch.uint8), torch.ones(16, dtype=torch.uint8)]
    return states


def test_rng_states_with_cuda_entry_restore_on_cpu_only_machine(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "set_rng_state", lambda *a, **k: pytest.fail("CUDA RNG set without CUDA"))
    states = _fake_cuda_states()
    expected = (random.random(), np.random.random(), torch.rand(3))  # noqa: NPY002
    random.seed(1), np.random.seed(1), torch.manual_seed(1)  # noqa: NPY002
    set_rng_states(states)
    got = (random.random(), np.random.random(), torch.rand(3))  # noqa: NPY002
    assert got[0] == expected[0] and got[1] == expected[1] and torch.equal(got[2], expected[2])


def test_checkpoint_with_cuda_rng_resumes_on_cpu_only_machine(tmp_path, monkeypatch):
    first = sac_run(tmp_path)
    loop = latest_checkpoint(first.run_dir / "checkpoints") / "loop.pkl"
    state = pickle.loads(loop.read_bytes())
    state["rng"] = {**state["rng"], "torch_cuda": _fake_cuda_states()["torch_cuda"]}  # as a CUDA machine saves it
    loop.write_bytes(pickle.dumps(state))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    second = run_curriculum({"steps": 256, "device": "cpu"}, resume=first.run_dir, log=None)
    assert second.steps == 256 and second.model.device == torch.device("cpu")


@pytest.mark.skipif(not CUDA, reason="needs a CUDA device")
@pytest.mark.parametrize(("saved", "resumed"), [("cuda", "cpu"), ("cpu", "cuda")])
def test_resume_across_devices(tmp_path, saved, resumed):
    first = sac_run(tmp_path, device=saved)
    assert first.model.device.type == saved
    second = run_curriculum({"steps": 256, "device": resumed}, resume=first.run_dir, log=None)
    assert second.steps == 256 and second.model.device.type == resumed
    assert second.model.replay_buffer.device.type == resumed
    assert all(p.device.type == resumed for p in second.model.policy.parameters())


def goal_gan_run(tmp_path, teacher_device: str):
    """A finished tiny PPO run under a small GoalGAN, whose config.yaml then says the teacher
    ran on ``teacher_device`` (as a run made on a CUDA machine would)."""
    result = run_curriculum(dict(
        env=ECHO, teacher="goal-gan", student="ppo", device="cpu", wandb_mode="disabled",
        teacher_params={"generator_layers": [8], "discriminator_layers": [8], "update_size": 4, "train_iters": 2},
        student_params={"n_steps": 32, "batch_size": 32, "n_epochs": 1},
        steps=64, n_envs=2, eval_every=0, checkpoint_every=0, run_dir=str(tmp_path / "run"),
    ), log=None)
    path = result.run_dir / "config.yaml"
    saved = yaml.safe_load(path.read_text())
    saved["teacher_params"]["device"] = teacher_device
    path.write_text(yaml.safe_dump(saved, sort_keys=False))
    return result


def test_resume_with_device_cpu_moves_a_cuda_teacher_to_the_cpu(tmp_path, monkeypatch):
    first = goal_gan_run(tmp_path, "cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    second = run_curriculum({"steps": 128, "device": "cpu"}, resume=first.run_dir, log=None)
    assert second.steps == 128
    assert second.teacher.device == "cpu"
    assert RunConfig.from_yaml(first.run_dir / "config.yaml").teacher_params["device"] == "cpu"


def test_resume_of_a_cuda_teacher_without_cuda_says_to_use_device_cpu(tmp_path, capsys, monkeypatch):
    first = goal_gan_run(tmp_path, "cuda:0")
    before = {p.name: p.read_bytes() for p in first.run_dir.iterdir() if p.is_file()}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    script = load_script("train")
    assert script.main(["--resume", str(first.run_dir), "--steps", "128", "--no-progress-bar"]) == 2
    err = capsys.readouterr().err
    assert "teacher uses device 'cuda:0'" in err and "--device cpu" in err
    assert {p.name: p.read_bytes() for p in first.run_dir.iterdir() if p.is_file()} == before
