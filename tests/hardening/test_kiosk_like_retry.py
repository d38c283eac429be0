"""The kiosk's like (html/js/shared/api.js) asks once more after a 503, and only once; other
errors are not retried. Run in Node with a scripted fetch: the module as the browser loads it."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

API = Path(__file__).resolve().parents[2] / "html" / "js" / "shared" / "api.js"

SCRIPT = """
globalThis.window = { location: { search: "" } };
const statuses = JSON.parse(process.argv[1]);
const sent = [];
globalThis.fetch = async (url, init) => {
  sent.push([url, init.method, JSON.parse(init.body)]);
  const status = statuses.shift();
  const body = status === 200 ? { itemId: "k", likes: 3, counted: true } : { message: "busy" };
  return new Response(JSON.stringify(body), { status });
};
const api = await import(process.argv[2]);
const pauses = [];
let outcome;
try {
  outcome = await api.like("visitor", "k", { pause: async (range) => { pauses.push(range); } });
} catch (error) {
  outcome = { error: error.status, message: error.message };
}
console.log(JSON.stringify({ outcome, sent: sent.length, pauses }));
"""


def _like(statuses: list[int]) -> dict:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node is needed to check html/js/shared/api.js")
        pytest.skip("node is not installed")
    proc = subprocess.run([node, "--input-type=module", "-e", SCRIPT, json.dumps(statuses),
                           API.as_uri()], capture_output=True, text=True, timeout=30,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_503_is_retried_once_after_a_pause():
    result = _like([503, 200])
    assert result["outcome"]["likes"] == 3 and result["sent"] == 2
    assert result["pauses"] == [[300, 1200]]


def test_a_second_503_reaches_the_kiosk():
    result = _like([503, 503, 200])
    assert result["outcome"] == {"error": 503, "message": "busy"} and result["sent"] == 2


@pytest.mark.parametrize("status", [400, 404, 429, 500])
def test_other_errors_are_not_retried(status):
    result = _like([status, 200])
    assert result["outcome"]["error"] == status and result["sent"] == 1 and result["pauses"] == []
