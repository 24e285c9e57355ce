"""The HTML report in a real headless browser (Debian's chromium), the notebook view and the dataframe."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess

import pytest

pytest.importorskip("torch")

import nncost  # noqa: E402
from nncost.cli import main  # noqa: E402


def _browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):  # CI installs chromium (.ci/run): its absence there is a failure, not a skip
        pytest.fail("no chromium on this CI machine: .ci/run installs it")
    pytest.skip("no headless browser here (apt-get install chromium)")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--enable-logging=stderr", "--v=0", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    report = nncost.analyze("nncost:seednet", backward=True, hardware="t4")
    path = tmp_path_factory.mktemp("html") / "seednet.html"
    path.write_text(report.to_html(), encoding="utf-8")
    return report, path


def _attrs(dom: str) -> dict[str, str]:
    body = re.search(r"<body([^>]*)>", dom)
    assert body, dom[:500]
    return {k: html.unescape(v) for k, v in re.findall(r'data-([a-z]+)="([^"]*)"', body.group(1))}


def test_page_loads_draws_every_chart_and_works(page):
    report, path = page
    out = _run("--dump-dom", f"file://{path}#selftest")
    assert out.returncode == 0, out.stderr[-2000:]
    body = _attrs(out.stdout)
    assert body.get("ready") == "1" and "errors" not in body  # the script ran to its end; no error event
    assert not re.search(r"Uncaught|CONSOLE\(\d+\).*[Ee]rror", out.stderr), out.stderr[-2000:]
    charts = json.loads(body["charts"])
    assert set(charts) == {"chart-macs", "chart-params", "chart-top", "chart-memory", "chart-roofline"}
    assert all(w > 100 and h > 100 for w, h in charts.values()), charts
    # expanding a tree node shows its children; sorting by MACs orders every row, largest first
    assert body["selftest"] == "tree:ok;sort:ok"
    # the totals the page shows are the JSON report's
    shown = dict(re.findall(r'data-total="([a-z_]+)" data-value="([^"]+)"', out.stdout))
    d = report.to_dict()
    assert int(shown["params"]) == d["total"]["params"] and int(shown["macs"]) == d["total"]["macs"]
    assert int(shown["flops"]) == d["total"]["flops"] and int(shown["train_flops"]) == d["total"]["train_flops"]
    assert int(shown["inference_peak"]) == d["memory"]["inference_peak"]
    assert int(shown["training_peak"]) == d["memory"]["training_peak"]
    assert float(shown["latency_s"]) == pytest.approx(d["roofline"]["latency_s"])
    # the tree has a row per module
    assert len(re.findall(r'<tr data-i="\d+"', out.stdout)) == len(report.layers)


def test_screenshot_is_not_blank(page, tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib.image

    _, path = page
    shot = tmp_path / "shot.png"
    out = _run("--window-size=1280,1600", f"--screenshot={shot}", f"file://{path}")
    assert out.returncode == 0 and shot.is_file(), out.stderr[-2000:]
    pixels = matplotlib.image.imread(str(shot))
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 1200
    assert pixels[..., :3].std() > 0.05  # text, bars and charts: not one flat colour


def test_page_is_self_contained(page):
    _, path = page
    text = path.read_text(encoding="utf-8")
    assert not re.search(r'<(script|link|img)[^>]+(src|href)=', text)  # nothing fetched: scripts and styles inline
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")


def test_cli_writes_html(tmp_path, golden, capsys):
    assert main(["nncost:seednet", "-f", "html", "--depth", "1"]) == 0
    golden("seednet.html", capsys.readouterr().out)


def test_notebook_view_is_static_and_has_the_totals():
    r = nncost.analyze("nncost:seednet")
    frag = r._repr_html_()
    assert "<script" not in frag and f'data-value="{r.total.macs}"' in frag and "block.0" in frag


def test_dataframe_has_a_row_per_module():
    pd = pytest.importorskip("pandas")
    r = nncost.analyze("nncost:seednet", backward=True)
    df = r.to_dataframe()
    assert isinstance(df, pd.DataFrame) and len(df) == len(r.layers) and "time_s" not in df  # no roofline asked for
    row = df.set_index("path").loc["block.0"]
    assert row["macs"] == r.layer("block.0").macs == 128 * 128 * 3 * 3 * 28 * 28  # C_out·C_in·k·k·H·W
    assert int(df["saved_activation_bytes"].iloc[0]) == r.memory.saved_activations
