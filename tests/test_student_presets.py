"""configs/students/*.yaml: every preset loads through train.py's parser, validates as a
RunConfig, and its student_params build the SB3 model they name."""

from __future__ import annotations

from pathlib import Path

import pytest
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

from students.config import RunConfig, algorithm_class
from students.train import EnvFactory
from tests.scripts import load_script

PRESET_DIR = Path(__file__).resolve().parents[1] / "configs" / "students"
PRESETS = sorted(PRESET_DIR.glob("*.yaml"))
ECHO = "students.testing:teachrl_test/TaskEcho-v0"


@pytest.fixture(scope="module")
def script():
    return load_script("train")


def test_presets_exist():
    names = {p.stem for p in PRESETS}
    assert {"sac-tma", "ppo-tma", "ppo-zoo-bipedal", "sac-zoo-bipedal"} <= names
    for path in PRESETS:
        assert path.read_text().startswith("#"), f"{path.name} has no header comment naming its source"
        assert "Source:" in path.read_text(), f"{path.name} does not name its source"


def _policy_widths(model) -> list[int]:
    """Hidden layer widths of the model's policy network (SAC's actor, PPO's pi net)."""
    policy = model.policy
    layers = policy.actor.latent_pi if hasattr(policy, "actor") else policy.mlp_extractor.policy_net
    return [m.out_features for m in layers if hasattr(m, "out_features")]


def _preset_config(script, path: Path, *flags: str) -> RunConfig:
    args = script.build_parser().parse_args(["--config", str(path), "--env", "teachrl/StumpTracks-v0", *flags])
    return RunConfig.from_dict(script.config_from_args(args)).validate()


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_preset_validates_and_builds_its_model(script, path):
    config = _preset_config(script, path)
    assert config.env == "teachrl/StumpTracks-v0" and config.student_params
    algo = algorithm_class(config.student)
    # The model is built with the preset's own n_envs only when small (the zoo PPO uses 32).
    venv = DummyVecEnv([EnvFactory(ECHO)] * min(config.n_envs, 2))
    env = VecNormalize(venv) if config.normalize else venv
    try:
        model = algo(config.policy, env, seed=0, device="cpu", **config.student_params)
    finally:
        env.close()
    for key, value in config.student_params.items():
        if key in ("learning_rate", "policy_kwargs", "clip_range", "clip_range_vf", "train_freq", "ent_coef"):
            continue  # SB3 turns these into schedules / objects
        assert getattr(model, key) == value, key
    arch = config.student_params.get("policy_kwargs", {}).get("net_arch")
    if arch is not None:
        assert _policy_widths(model) == arch


def test_tma_presets_values(script):
    """The values the presets claim (TeachMyAgent's benchmark students), as SB3 reads them."""
    sac = _preset_config(script, PRESET_DIR / "sac-tma.yaml")
    assert sac.student == "sac" and sac.n_envs == 1 and not sac.normalize
    assert sac.student_params == {
        "learning_rate": 1e-3, "buffer_size": 2_000_000, "batch_size": 1000, "ent_coef": 0.005,
        "gamma": 0.99, "tau": 0.005, "learning_starts": 10_000, "train_freq": 10, "gradient_steps": 1,
        "policy_kwargs": {"net_arch": [400, 300]},
    }
    ppo = _preset_config(script, PRESET_DIR / "ppo-tma.yaml")
    assert ppo.student == "ppo" and ppo.n_envs == 1 and ppo.normalize
    params = ppo.student_params
    assert (params["n_steps"], params["batch_size"], params["n_epochs"], params["learning_rate"]) == (20_000, 1000, 5, 3e-4)


def test_flags_override_a_preset(script):
    config = _preset_config(script, PRESET_DIR / "sac-tma.yaml", "--student-param", "batch_size=256", "--n-envs", "2")
    assert config.student_params["batch_size"] == 256 and config.student_params["buffer_size"] == 2_000_000
    assert config.n_envs == 2
