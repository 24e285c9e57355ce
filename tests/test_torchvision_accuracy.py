"""Every torchvision classification weight: params exactly, GMACs to 3 decimals.

torchvision publishes ``meta["num_params"]`` and ``meta["_ops"]`` (labelled GFLOPS; they
are GMACs of conv, linear and matmul) for each weight. Models are built with
``weights=None`` and each weight's ``num_classes``, at its own crop size; googlenet without
its auxiliary heads (as its pretrained weights are built), inception_v3 with them (the
published count includes them), ViTs at their weight's ``image_size``.
"""

from __future__ import annotations

import warnings

import pytest

tv = pytest.importorskip("torchvision")
models = tv.models

import nncost  # noqa: E402
from nncost.frontends import torchvision_model  # noqa: E402


def _weights():
    out = []
    for name in models.list_models(module=models):
        for w in models.get_model_weights(name):
            out.append(pytest.param(name, w, id=str(w).replace("_Weights", "")))
    return out


WEIGHTS = _weights()


def test_the_sweep_covers_every_weight():
    assert len(WEIGHTS) >= 115  # torchvision 0.29: 115 classification weights


@pytest.mark.slow
@pytest.mark.parametrize(("name", "weight"), WEIGHTS)
def test_matches_published_params_and_gmacs(name, weight):
    meta = weight.meta
    model, shape = torchvision_model(name, weight)  # the construction rules in the docstring above
    crop = weight.transforms.keywords.get("crop_size", 224)
    assert shape[-1] == (crop if isinstance(crop, int) else crop[0])  # each weight's own crop size
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="nncost")  # nothing may go uncounted
        report = nncost.analyze(model, shape)
    assert report.total.params == meta["num_params"]
    assert round(report.total.macs / 1e9, 3) == meta["_ops"]
    assert report.unsupported == {}
