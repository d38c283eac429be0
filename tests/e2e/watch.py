"""A page seen from inside, for the tests that show that something did NOT happen (no second
report, no poll after the desk was locked, no late answer drawn): instead of sleeping "long
enough", they wait until the page itself has had its chance — every timer it had pending has
run or been cleared, every request it made has been answered and read, a periodic timer has
run so many times — and then look at what it sent.

``watching(driver)`` installs a script that runs before each page's own scripts while the
block lasts; it wraps ``fetch`` (each call kept: method, URL, body when it is text; a call is
done once the page has read the answer and what it does next has run), ``setTimeout`` and
``clearTimeout`` (the timers pending) and ``setInterval`` (how many times each period's timers
have run). Nothing of the page's behaviour changes.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.timing import wait_until

SCRIPT = r"""
(() => {
  const realSet = window.setTimeout.bind(window);
  const realClear = window.clearTimeout.bind(window);
  const realInterval = window.setInterval.bind(window);
  const realFetch = window.fetch.bind(window);
  const watched = { calls: [], pending: new Map(), ticks: {}, mark: null };
  window.__watched = watched;

  window.setTimeout = function (fn, ms, ...rest) {
    if (typeof fn !== "function") return realSet(fn, ms, ...rest);
    const id = realSet(function () {
      watched.pending.delete(id);
      return fn.apply(this, arguments);
    }, ms, ...rest);
    watched.pending.set(id, ms);
    return id;
  };
  window.clearTimeout = function (id) {
    watched.pending.delete(id);
    return realClear(id);
  };
  window.setInterval = function (fn, ms, ...rest) {
    if (typeof fn !== "function") return realInterval(fn, ms, ...rest);
    return realInterval(function () {
      try {
        return fn.apply(this, arguments);
      } finally {
        watched.ticks[ms] = (watched.ticks[ms] || 0) + 1;
      }
    }, ms, ...rest);
  };
  // a call is done once the page has read its answer (text, json) and the turn after it has run
  window.fetch = function (input, init) {
    const call = {
      method: ((init && init.method) || (input && input.method) || "GET").toUpperCase(),
      url: String((input && input.url) || input),
      body: init && typeof init.body === "string" ? init.body : null,
      done: false,
    };
    watched.calls.push(call);
    const finish = () => { realSet(() => { call.done = true; }, 0); };
    return realFetch(input, init).then((response) => {
      for (const name of ["text", "json"]) {
        const read = response[name].bind(response);
        response[name] = () => read().finally(finish);
      }
      return response;
    }, (error) => {
      finish();
      throw error;
    });
  };
})();
"""

# the calls whose URL matches arguments[0] (a regular expression's source)
_CALLS = "return window.__watched.calls.filter(c => new RegExp(arguments[0]).test(c.url))"

# the timers pending now (those set for at most arguments[1] ms, when given) are the ones to
# wait for; true when no matching call is under way
_MARK = """
const w = window.__watched;
if (w.calls.some(c => !c.done && new RegExp(arguments[0]).test(c.url))) return false;
const longest = arguments[1] === null ? Infinity : arguments[1];
w.mark = new Set([...w.pending].filter(([id, ms]) => (Number(ms) || 0) <= longest).map(([id]) => id));
return true;
"""

_SETTLED = """
const w = window.__watched;
return [...w.mark].every(id => !w.pending.has(id))
  && !w.calls.some(c => !c.done && new RegExp(arguments[0]).test(c.url));
"""


@contextmanager
def watching(driver) -> Iterator[None]:
    """The pages opened in this block are watched (the script goes with the block)."""
    added = driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": SCRIPT})
    try:
        yield
    finally:
        driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": added["identifier"]})


def calls(page, url_pattern: str) -> list[dict]:
    """The page's fetch calls so far whose URL matches ``url_pattern`` (a JS regular expression)."""
    return page.js(_CALLS, url_pattern)


def settled(page, url_pattern: str = ".", timers_up_to_ms: float | None = None, timeout: float = 30) -> None:
    """Waits until no call matching ``url_pattern`` is under way, then until every timer the page
    had pending at that moment (those set for at most ``timers_up_to_ms``, when given: a page's
    slow periodic refresh is not waited for) has run or been cleared and again no such call is
    under way (one a timer started has been answered and read): whatever the page was about to
    do, it has done."""
    wait_until(lambda: page.js(_MARK, url_pattern, timers_up_to_ms), timeout,
               f"the page's calls to {url_pattern} to end", interval=0.05)
    wait_until(lambda: page.js(_SETTLED, url_pattern), timeout,
               f"the page's pending timers to run and its calls to {url_pattern} to end", interval=0.05)


def ticks(page, period_ms: int) -> int:
    """How many times the page's setInterval timers of ``period_ms`` have run to the end."""
    return page.js("return window.__watched.ticks[arguments[0]] || 0", period_ms)
