"""The ground truth of a synthetic corpus: what was planted, to measure what is found.

Why kept apart from the ads: evaluation of extraction (phones, ages, names, cities) and of
linking (per edge kind: phone, template, handle, email, image) needs the planted answers, but
the truth must stay small next to a corpus of 10^5+ ads. So it holds ad ids per network, a
count of independents, and the expected extraction for a sample of ads only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from amberline.synth.plan import NetworkPlan

SAMPLE_CAP = 2000  # ads whose expected extraction is recorded (all of them in small corpora)


@dataclass(slots=True)
class GroundTruth:
    """Planted networks, hub artefacts and expected extraction for a sample of ads.

    Network plans are fixed when the generator is created; member ids, visited cities,
    reposts, `planted` and the counts fill in as the ad iterator is consumed, and `complete`
    turns True when it is exhausted.
    """

    seed: int
    n_ads: int
    start: date
    with_images: bool
    networks: list[NetworkPlan]
    independent: int = 0
    ads_without_phone: int = 0
    n_images: int = 0
    minor_age_ads: list[str] = field(default_factory=list)
    hubs: dict[str, dict[str, Any]] = field(default_factory=dict)
    planted: dict[str, dict[str, Any]] = field(default_factory=dict)
    complete: bool = False

    @property
    def network_ads(self) -> int:
        return sum(len(n.ads) for n in self.networks)

    def network_of(self) -> dict[str, str]:
        """Ad id -> network id, for every network ad."""
        return {ad: n.id for n in self.networks for ad in n.ads}

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "n_ads": self.n_ads,
            "start": self.start.isoformat(),
            "with_images": self.with_images,
            "complete": self.complete,
            "networks": [n.to_dict() for n in self.networks],
            "independent": self.independent,
            "ads_without_phone": self.ads_without_phone,
            "minor_age_ads": self.minor_age_ads,
            "hubs": list(self.hubs.values()),
            "planted": self.planted,
        }

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n",
                        encoding="utf-8")


@dataclass(frozen=True, slots=True)
class CorpusSummary:
    """What `write_corpus` wrote, for the CLI to print."""

    out: Path
    truth: Path
    n_ads: int
    n_networks: int
    network_ads: int
    independent: int
    ads_without_phone: int
    minor_age_ads: int
    n_images: int
    seconds: float
