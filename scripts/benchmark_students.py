"""Env steps/s of the SB3 students on Stump Tracks, on CPU against CUDA.

Trains SAC and PPO through the curriculum loop (``CurriculumVecEnv`` under a Random teacher)
on ``teachrl/StumpTracks-v0`` with one env (``DummyVecEnv``) and with ``--n-envs`` envs
(``SubprocVecEnv``), on each device of ``--devices``; each run warms up first (SAC: past its
``learning_starts``, PPO: one rollout and update) and then times ``--steps`` env steps of
``model.learn``. ``cuda`` runs only when ``torch.cuda.is_available()``; otherwise the output
says so.

    python scripts/benchmark_students.py [--steps 5000] [--n-envs 8] [--algos sac ppo]
        [--devices cpu cuda] [--net-arch 400 300] [--out benchmarks/results/students_speed]

Writes ``<out>.json`` and ``<out>.md`` with the machine (CPU count, load, torch version,
device names).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without install

import torch
from stable_baselines3.common.vec_env import DummyVecEnv

import teachers
from students.config import DEVICES, algorithm_class
from students.curriculum import CurriculumVecEnv
from students.train import EnvFactory, make_subproc_vec_env

ENV_ID = "teachrl/StumpTracks-v0"
ALGOS = ("sac", "ppo")


def student_params(algo: str, n_envs: int, steps: int, net_arch: list[int]) -> dict[str, Any]:
    """SB3 arguments of ``algo`` for a timing run of about ``steps`` env steps.

    SAC: SB3's defaults (one gradient step per env step, batch 256) with ``learning_starts``
    100, passed in the warm-up. PPO: rollouts of ``n_steps`` per env (64 to 256, a multiple
    of the minibatch, so that a short run still holds whole rollouts), minibatches of 64,
    10 epochs.
    """
    common: dict[str, Any] = {"policy_kwargs": {"net_arch": list(net_arch)}}
    if algo == "sac":
        return {**common, "learning_starts": 100}
    n_steps = 64 * min(4, max(1, steps // (2 * 64 * n_envs)))
    return {**common, "n_steps": n_steps, "batch_size": 64}


def time_student(algo: str, device: str, n_envs: int, steps: int, net_arch: list[int], seed: int = 0) -> dict[str, Any]:
    """Train ``algo`` on ``device`` with ``n_envs`` envs; return the timed part's steps/s.

    :param algo: ``"sac"`` or ``"ppo"``.
    :param device: ``"cpu"`` or ``"cuda"``.
    :param n_envs: 1 runs a ``DummyVecEnv``, more a ``SubprocVecEnv`` (forkserver).
    :param steps: env steps timed after the warm-up (rounded up by SB3 to whole rollouts).
    :param net_arch: hidden layer widths of the policy and critics.
    :param seed: the seed of teacher, envs and model.
    """
    fns = [EnvFactory(ENV_ID) for _ in range(n_envs)]
    venv = DummyVecEnv(fns) if n_envs == 1 else make_subproc_vec_env(fns, "forkserver")
    try:
        venv.seed(seed)
        teacher = teachers.make("random", venv.get_attr("task_space", [0])[0], seed=seed)
        env = CurriculumVecEnv(venv, teacher)
        params = student_params(algo, n_envs, steps, net_arch)
        model = algorithm_class(algo)("MlpPolicy", env, seed=seed, device=device, **params)
        warmup = params.get("learning_starts", 0) + (params.get("n_steps", 1) * n_envs)
        model.learn(warmup)
        start_steps, start = model.num_timesteps, time.perf_counter()
        model.learn(steps, reset_num_timesteps=False)
        seconds = time.perf_counter() - start
        done = model.num_timesteps - start_steps
    finally:
        venv.close()
    return {
        "algo": algo, "device": device, "n_envs": n_envs, "vec_env": "dummy" if n_envs == 1 else "subproc",
        "steps": int(done), "seconds": round(seconds, 3), "steps_per_s": round(done / seconds, 1),
    }


def machine_info() -> dict[str, Any]:
    """CPU count, load, Python/torch versions and the CUDA devices torch sees."""
    cuda = torch.cuda.is_available()
    return {
        "cpu_count": os.cpu_count(), "load_avg_start": list(os.getloadavg()), "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(), "python": platform.python_version(),
        "torch": torch.__version__, "torch_threads": torch.get_num_threads(), "cuda_available": cuda,
        "cuda_devices": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if cuda else [],
    }


def to_markdown(report: dict[str, Any]) -> str:
    """The report as a Markdown page: a table of steps/s, the notes, the machine."""
    m = report["machine"]
    lines = [
        "# Student speed: env steps/s on Stump Tracks, CPU vs CUDA",
        "",
        f"`python scripts/benchmark_students.py {report['command']}`",
        "",
        "| algo | device | envs | vec env | steps | seconds | steps/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in report["results"]:
        lines.append(
            f"| {r['algo']} | {r['device']} | {r['n_envs']} | {r['vec_env']} | {r['steps']} | {r['seconds']} | {r['steps_per_s']} |"
        )
    lines += ["", *(f"- {note}" for note in report["notes"]), ""]
    devices = ", ".join(m["cuda_devices"]) or "none"
    lines.append(
        f"Machine: {m['processor']}, {m['cpu_count']} CPUs (load {m['load_avg_start'][0]:.2f} at start), "
        f"Python {m['python']}, torch {m['torch']} ({m['torch_threads']} threads), CUDA devices: {devices}."
    )
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=5000, help="env steps timed per run, after the warm-up")
    p.add_argument("--n-envs", type=int, default=8, help="envs of the SubprocVecEnv runs (1-env runs always run)")
    p.add_argument("--algos", nargs="+", default=list(ALGOS), choices=ALGOS)
    p.add_argument("--devices", nargs="+", default=["cpu", "cuda"], choices=[d for d in DEVICES if d != "auto"])
    p.add_argument("--net-arch", nargs="+", type=int, default=[400, 300], help="hidden layer widths (TeachMyAgent's)")
    p.add_argument("--out", default="benchmarks/results/students_speed", help="output path without suffix")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for name in ("steps", "n_envs"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    torch.set_num_threads(1)  # as the runs do (RunConfig.torch_threads)
    report: dict[str, Any] = {
        "command": " ".join(argv if argv is not None else sys.argv[1:]), "env": ENV_ID,
        "machine": machine_info(), "results": [], "notes": [],
    }
    devices = list(dict.fromkeys(args.devices))
    if "cuda" in devices and not torch.cuda.is_available():
        devices.remove("cuda")
        report["notes"].append("cuda: skipped, torch.cuda.is_available() is False on this machine (CPU figures only)")
    for algo in args.algos:
        for device in devices:
            for n_envs in sorted({1, args.n_envs}):
                row = time_student(algo, device, n_envs, args.steps, args.net_arch)
                print(f"{algo} {device} {n_envs} envs: {row['steps_per_s']} steps/s", flush=True)
                report["results"].append(row)
    report["notes"].append(
        "steps/s of model.learn after a warm-up, Random teacher on the curriculum loop, "
        f"net_arch {args.net_arch}, torch 1 thread; 1 env: DummyVecEnv, more: SubprocVecEnv (forkserver)"
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    out.with_suffix(".md").write_text(to_markdown(report))
    print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
