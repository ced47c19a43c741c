"""Reading a Prometheus ``/metrics`` page in tests: each sample by name and labels, and what moved between
two scrapes."""

from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families


class Scrape:
    """One exposition, parsed: ``value(name, **labels)`` is a sample's value, 0 when it is absent."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.samples = {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }
        self.names = {name for name, _ in self.samples}

    def value(self, name: str, **labels: str) -> float:
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def moved(self, before: Scrape, name: str, **labels: str) -> float:
        """How much a sample grew since ``before``."""
        return self.value(name, **labels) - before.value(name, **labels)


def scrape(url: str, headers: dict[str, str] | None = None) -> Scrape:
    """GET ``url`` and parse it; raises on anything but a 200 in Prometheus' text format."""
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain"), response.headers["Content-Type"]
        return Scrape(response.read().decode())
