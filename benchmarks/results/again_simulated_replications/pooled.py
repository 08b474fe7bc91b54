"""Writes pooled.json: the pooled AGAIN / ALP-GMM ratios of this folder's runs.

    python benchmarks/results/again_simulated_replications/pooled.py
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))  # the checkout, for benchmarks.again

from benchmarks.again import pooled_ratio  # noqa: E402

MA = [800, 900, 1000, 1100, 1200, 1300, 1400, 1500, 1600, 1700, 1800, 1900]


def load(names: list[str]) -> dict:
    return {n: json.loads((HERE / f"{n}.json").read_text()) for n in names}


def main() -> None:
    kc = [f"seed{s}_30k_ma_baseline" for s in MA]
    early = ["seed200_30k_fixed", "seed400_30k_fixed", "seed600_30k_room128", "seed700_30k_room128"]
    out = {
        "ma_protocol_kc": pooled_ratio(load(kc[:8])),  # the pre-registered pooled decision
        "ma_protocol_kc_all12": pooled_ratio(load(kc)),
        "ground_truth": pooled_ratio(load([f"seed{s}_30k_ground_truth" for s in MA[2:8]])),
        "patience1000": pooled_ratio(load([f"seed{s}_30k_patience1000" for s in MA[8:]])),
        "kc_same_populations_as_patience": pooled_ratio(load(kc[8:])),
        "all_kc_after_fixes": pooled_ratio(load(early + kc)),
    }
    (HERE / "pooled.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
