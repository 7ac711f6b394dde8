"""How linking is tuned: `LinkConfig` gathers every threshold in one place so that a run can be
reproduced from its config. What linking needs to know about one ad is `amberline.model`'s
`LinkRecord`, a plain record the store can build without importing linking.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class LinkConfig:
    """Every threshold of linking. Defaults follow the issue: PDQ <= 31 with quality >= 50,
    near-duplicate Jaccard >= 0.6, keys in more than 500 ads are cut as hubs."""

    # text near-duplicates (MinHash over word shingles, numbers masked)
    num_perm: int = 128
    shingle_size: int = 3
    seed: int = 1
    near_dup_threshold: float = 0.6
    # rarity-weighted score (`rarity.ValueCounts`): a text edge needs this much of the text
    # (0: off by default, not even computed; `REAL_TEXT` below turns it on)
    # the two ads share to be rare in the corpus; a value held by c ads weighs
    # log(1 + rarity_scale / c), and nothing above max_key_ads ads (like a hub key)
    near_dup_score: float = 0.0
    template_score: float = 0.0
    rarity_scale: float = 50.0
    # templates: pairs with Jaccard in [template_threshold, near_dup_threshold) whose token
    # alignment ratio reaches template_ratio share a skeleton with varying slots
    template_threshold: float = 0.3
    template_ratio: float = 0.7
    template_min_ads: int = 2
    template_sample: int = 50
    # place edges: two ads whose posters typed the same location (`keys.support_keys`; not
    # used once more than max_key_ads ads share it) are joined when their texts agree on at
    # least this share of MinHash positions (a Jaccard estimate: some text in common, far
    # below a near-duplicate); the typed location alone is never enough. Off by default (on
    # in `REAL_TEXT`): without the rarity scores and the contested rule, the extra joins cost
    # the default more precision on real ads than they add recall
    place_edges: bool = False
    place_text_min: float = 0.05
    # LSH buckets larger than this are chained (n-1 candidate pairs) instead of all pairs
    max_bucket_pairs: int = 50
    # images
    pdq_max_distance: int = 31
    pdq_min_quality: int = 50
    # hub cut: an identifier, exact image or typed location shared by more ads than this is
    # not used as an edge
    max_key_ads: int = 500
    # bridge rule: text edges below `strong_text_score` are weak; weak edges do not join two
    # components of the strong graph (identifier keys, images, near-copies) that both hold
    # `bridge_min_ads` ads unless `bridge_support` distinct ads on each side vouch for it; with
    # `bridge_contested`, no text edge (near-copies included) joins two components that each
    # carry identifiers of their own
    bridge_rule: bool = True
    bridge_contested: bool = False
    # contact bridge rule (`components.contact_groups`): an ad listing two contacts that each
    # have ads of their own joins their groups only if `bridge_support` distinct texts do
    bridge_contacts: bool = False
    strong_text_score: float = 0.9
    bridge_min_ads: int = 3
    bridge_support: int = 2
    # networks
    min_network_ads: int = 2
    movement_window_days: float = 7.0
    # edge kinds to make (None: all of edges.KINDS); benchmarks link with one kind at a time
    kinds: tuple[str, ...] | None = None

    def enabled(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds


# The profile for real ads measured by `bench/link_real.py`: rarity-weighted text edges, place
# edges, and text (near-copies included) never joining two components with identifiers of
# their own (`amberline link --real-text`). Not the default: on the synthetic corpus, whose networks
# share phrase-bank text with other networks and post with burner numbers, it lowers recall
# (README, Linking).
REAL_TEXT = LinkConfig(near_dup_score=0.7, template_score=0.7, bridge_contested=True,
                       bridge_contacts=True, place_edges=True)
