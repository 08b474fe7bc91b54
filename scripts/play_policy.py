"""Play a run's trained policy on one task: print each episode's return, optionally save a GIF.

    python scripts/play_policy.py RUN_DIR --task 0.45 4.5 --episodes 3
    python scripts/play_policy.py RUN_DIR --task 0.45 4.5 --seed 1 --gif walker.gif --frame-every 6
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without install


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir", help="a run directory with a checkpoint")
    p.add_argument("--task", type=float, nargs="+", required=True, help="the env task, one value per dimension")
    p.add_argument("--episodes", type=int, default=1, help="episodes to play (default 1)")
    p.add_argument("--seed", type=int, default=0, help="reset seed of the first episode (default 0)")
    p.add_argument("--gif", help="save the rendered episodes here")
    p.add_argument("--frame-every", type=int, default=4, help="with --gif: keep every N-th frame (default 4)")
    p.add_argument("--scale", type=int, default=2, help="with --gif: shrink frames by this factor (default 2)")
    args = p.parse_args(argv)
    from students.playback import play_policy

    try:
        result = play_policy(args.run_dir, args.task, args.episodes, args.frame_every if args.gif else 0, args.seed)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for k, (ret, ok) in enumerate(zip(result.returns, result.successes, strict=True)):
        print(f"episode {k} (seed {args.seed + k}): return {ret:.1f}, success {ok}")
    if args.gif:
        import imageio.v2 as imageio

        frames = [f[:: args.scale, :: args.scale] for f in result.frames]
        imageio.mimsave(args.gif, frames, duration=1000 * args.frame_every / 50, loop=0)
        print(f"{len(frames)} frames of the policy at step {result.step} -> {args.gif}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
