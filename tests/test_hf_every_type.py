"""Every model type the installed transformers knows, from its default config cut to two
layers, through ``analyze_hf`` in the sweep's worker pool: analysed, or refused with one
line (an NncostError) — never a traceback, never a hang. About 820 types, about 5 minutes
on two cores: run it deliberately, ``pytest -m hfzoo -s`` (it prints the tally)."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from typing import Any

import pytest

tf = pytest.importorskip("transformers")

pytestmark = pytest.mark.hfzoo

LAYER_KEYS = ("num_hidden_layers", "n_layer", "num_layers", "n_layers", "encoder_layers", "decoder_layers",
              "num_decoder_layers", "num_encoder_layers")
PER_LAYER_LISTS = ("layer_types", "layers_block_type", "block_types")


def two_layer_config(model_type: str) -> dict[str, Any] | None:
    """The type's default config with every layer count cut to 2 (and its per-layer lists
    to their first two entries); None when transformers cannot make the config at all."""
    try:
        cfg = tf.AutoConfig.for_model(model_type)
    except Exception:  # noqa: BLE001 - a type whose config needs an optional package
        return None
    stages = {k for k, v in (getattr(cfg, "attribute_map", None) or {}).items() if v in ("num_stages", "num_encoder_blocks")}
    # ConvNeXt's and SegFormer's "layers" are stages, each with its own lists of depths and widths: not cut; nor a
    # stack whose config names its layers by index (Mllama's tower reads intermediate_layers_indices' outputs)
    indexed = any(k.endswith(("layers_indices", "layer_indices")) and isinstance(v, (list, tuple)) and v
                  and max(v) >= 2 for k, v in cfg.to_dict().items())
    over: dict[str, Any] = {k: 2 for k in LAYER_KEYS if k not in stages and isinstance(getattr(cfg, k, None), int)
                            and getattr(cfg, k) > 2 and not indexed}
    for k in PER_LAYER_LISTS:
        v = getattr(cfg, k, None)
        if over and isinstance(v, (list, tuple)) and len(v) > 2:
            over[k] = list(v[:2])
    try:
        cfg = tf.AutoConfig.for_model(model_type, **over)
    except Exception:  # noqa: BLE001 - the cut is refused: keep the defaults
        pass
    return cfg.to_dict()


def analyse(spec: str, options: dict[str, Any]) -> dict[str, Any]:
    """A sweep worker: analyse one config file; 'refused' for an NncostError, 'traceback' for anything else."""
    import time

    from nncost.errors import NncostError
    from nncost.frontends.hf import analyze_hf

    start = time.perf_counter()
    row: dict[str, Any] = {"spec": spec}
    try:
        try:
            r = analyze_hf(spec, seq=32)
        except NncostError as exc:  # a model with fewer positions (OWL-ViT's text tower: 16) runs at its own length
            most = re.search(r"takes at most (\d+) positions", str(exc))
            if most is None:
                raise
            r = analyze_hf(spec, seq=int(most.group(1)))
    except NncostError as exc:
        row.update(status="refused", error=str(exc).splitlines()[0][:200])
    except Exception as exc:  # noqa: BLE001 - what this test is here to find
        row.update(status="traceback", error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}")
    else:
        row.update(status="unsupported" if r.unsupported else "ok", params=r.total.params)
    row["seconds"] = round(time.perf_counter() - start, 2)
    return row


def test_every_model_type_is_analysed_or_refused_in_one_line(tmp_path):
    from nncost.sweep import sweep

    specs = []
    for model_type in sorted(tf.CONFIG_MAPPING.keys()):
        cfg = two_layer_config(model_type)
        if cfg is None:
            continue
        path = tmp_path / f"{model_type}.json"
        path.write_text(json.dumps(cfg, default=str))
        specs.append(str(path))
    assert len(specs) > 700
    rows: list[dict[str, Any]] = []
    result = sweep(specs, rows.append, jobs=os.cpu_count() or 1, timeout=300, work=analyse)
    tally = Counter(r["status"] for r in rows)
    print(f"\ntransformers {tf.__version__}: {len(specs)} model types: " + ", ".join(f"{n} {s}" for s, n in tally.most_common()))
    bad = [f"{os.path.basename(r['spec'])[:-5]}: {r['status']}: {r.get('error')}" for r in rows
           if r["status"] in ("traceback", "error", "timeout")]
    assert result.done == len(specs)
    assert bad == [], "\n".join(bad)
    assert tally["ok"] + tally["unsupported"] > 4 * len(specs) // 5  # transformers 5.24: 678 of 820
