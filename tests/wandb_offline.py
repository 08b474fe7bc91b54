"""Read back what an offline W&B run wrote, for tests.

An offline run directory holds ``run-<id>.wandb``: a LevelDB-log-style file (a 7-byte header
``":W&B"``, magic ``0xBEE1``, version; then 32 KiB blocks of chunks, each with a 7-byte
header ``crc32 (uint32) | length (uint16) | type (uint8)``, type FULL=1 FIRST=2 MIDDLE=3
LAST=4, a block tail shorter than 7 bytes being zero padding). Each reassembled record is a
serialized ``wandb.proto.wandb_internal_pb2.Record``; ``history`` records carry the logged
rows (items with a key path and a JSON value). Media and tables are files under ``files/``.
"""

from __future__ import annotations

import json
import struct
import time
import zlib
from pathlib import Path
from typing import Any

BLOCK = 32768
HEADER = 7


def read_records(path: str | Path) -> list[Any]:
    """Every protobuf ``Record`` of a ``.wandb`` file, checksums verified."""
    from wandb.proto import wandb_internal_pb2

    data = Path(path).read_bytes()
    ident, magic, _version = struct.unpack("<4sHB", data[:HEADER])
    assert ident == b":W&B" and magic == 0xBEE1, f"not a .wandb file: {path}"
    pos, chunks, payloads = HEADER, b"", []
    while pos + HEADER <= len(data):
        left = BLOCK - pos % BLOCK
        if left < HEADER:
            pos += left
            continue
        crc, length, kind = struct.unpack("<IHB", data[pos:pos + HEADER])
        if kind == 0 and length == 0:  # zero padding up to the end of the block
            pos += left
            continue
        if pos + HEADER + length > len(data):  # still being written
            break
        chunk = data[pos + HEADER:pos + HEADER + length]
        assert zlib.crc32(bytes([kind]) + chunk) & 0xFFFFFFFF == crc, f"bad checksum at {pos}"
        pos += HEADER + length
        if kind == 1:
            payloads.append(chunk)
        elif kind == 2:
            chunks = chunk
        elif kind == 3:
            chunks += chunk
        elif kind == 4:
            payloads.append(chunks + chunk)
    records = []
    for payload in payloads:
        rec = wandb_internal_pb2.Record()
        rec.ParseFromString(payload)
        records.append(rec)
    return records


def finished_records(offline_run_dir: str | Path, timeout: float = 30.0) -> list[Any]:
    """The records of a finished offline run, waiting until its ``exit`` record is written.

    ``Run.finish()`` can return before the wandb-core service has flushed the file's last
    block, so a reader right after ``finish()`` must wait for the end marker.
    """
    (path,) = Path(offline_run_dir).glob("run-*.wandb")
    deadline = time.monotonic() + timeout
    while True:
        records = read_records(path)
        if records and records[-1].WhichOneof("record_type") == "exit":
            return records
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} has no exit record after {timeout} s")
        time.sleep(0.05)


def read_history(offline_run_dir: str | Path) -> list[tuple[int, dict[str, Any]]]:
    """The logged rows of an offline run: ``[(step, {key: value}), ...]`` in log order.

    Nested values (media, tables) come back as dicts, e.g. ``row["t"]["path"]``.
    """
    rows = []
    for rec in finished_records(offline_run_dir):
        if rec.WhichOneof("record_type") != "history":
            continue
        row: dict[str, Any] = {}
        for item in rec.history.item:
            keys = list(item.nested_key) or [item.key]
            node = row
            for k in keys[:-1]:
                node = node.setdefault(k, {})
            node[keys[-1]] = json.loads(item.value_json)
        rows.append((rec.history.step.num, row))
    return rows


def read_config(offline_run_dir: str | Path) -> dict[str, Any]:
    """The run config the offline run recorded (``{key: value}``)."""
    config: dict[str, Any] = {}
    for rec in finished_records(offline_run_dir):
        if rec.WhichOneof("record_type") == "run":
            for item in rec.run.config.update:
                config[item.key] = json.loads(item.value_json)
        elif rec.WhichOneof("record_type") == "config":
            for item in rec.config.update:
                config[item.key] = json.loads(item.value_json)
    return config


def run_id(offline_run_dir: str | Path) -> str:
    """The W&B run id of ``offline-run-<date>_<time>-<id>`` (wandb appends ``-<n>`` when a
    resumed run starts within the same second as the previous one)."""
    return Path(offline_run_dir).name.split("-")[3]


def offline_runs(wandb_dir: str | Path) -> list[Path]:
    """The ``offline-run-*`` directories under a ``wandb/`` directory, oldest first."""
    return sorted(Path(wandb_dir).glob("offline-run-*"))


def read_table(offline_run_dir: str | Path, entry: dict[str, Any]) -> dict[str, Any]:
    """The JSON (``columns``, ``data``) of a logged table entry."""
    return json.loads((Path(offline_run_dir) / "files" / entry["path"]).read_text())
