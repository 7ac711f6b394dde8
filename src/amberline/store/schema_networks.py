"""Tables for: Link keys, MinHash signatures, edges and networks (issue: link ads into networks).

Why these tables: linking runs on stored keys, not on raw text, so that `amberline link` can
be incremental. A scan stores each new ad's MinHash signature (`link_minhash`, 128 uint32 as
one 512-byte blob, numbers masked before hashing); its identifier keys are derived from its
`identifiers` rows (migration 0015 removed the `link_keys` copy), and image hashes are read
from `image_hashes`, never copied. A link run stores the edges with
readable evidence (`link_edges`), the networks with their features, explained score and
template (`networks`, `network_members`), the hub keys it left out and why (`link_cut_keys`),
and how far it got (`link_state`: the last ad id linked and the settings used), so that the
next run only adds the ads stored since.

They join the one shared `metadata` of `amberline.store.schema`, so Alembic's comparison and
`metadata.create_all` see every table; `amberline.store.tables` imports all schema modules.
"""

from __future__ import annotations

import sqlalchemy as sa

from amberline.store.schema import Json, RowId, UTCDateTime, metadata


def _ad_ref(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Integer, sa.ForeignKey("ads.id", ondelete="CASCADE"),
                     nullable=nullable)


link_minhash = sa.Table(
    "link_minhash",
    metadata,
    sa.Column("ad_id", sa.Integer, sa.ForeignKey("ads.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("signature", sa.LargeBinary, nullable=False),  # little-endian uint32 x num_perm
    sa.Column("empty", sa.Boolean, nullable=False),  # no tokens: never a near-duplicate
)

link_edges = sa.Table(
    "link_edges",
    metadata,
    sa.Column("id", RowId, primary_key=True),
    _ad_ref("ad_a"),
    _ad_ref("ad_b"),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("weight", sa.Float, nullable=False),  # Jaccard, alignment ratio, PDQ distance
    sa.Column("key", sa.Text),  # the shared key ("phone:+1703..."), for key edges
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Index(None, "ad_a"),
    sa.Index(None, "ad_b"),
    sa.Index(None, "kind"),
)

networks = sa.Table(
    "networks",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),  # from the earliest member: stable
    sa.Column("score", sa.Float, nullable=False, index=True),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("keys", Json),  # [[kind, value, ads], ...] shared by two or more members
    sa.Column("edge_kinds", Json),  # {kind: edges}
    sa.Column("features", Json),
    sa.Column("contributions", Json),
    sa.Column("template", Json),  # {"text", "parts", "fixed_share", "ads"} or null
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

network_members = sa.Table(
    "network_members",
    metadata,
    sa.Column("network_id", sa.String(32), sa.ForeignKey("networks.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("ad_id", sa.Integer, sa.ForeignKey("ads.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Index(None, "ad_id"),
)

link_cut_keys = sa.Table(
    "link_cut_keys",
    metadata,
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("value", sa.Text, primary_key=True),
    sa.Column("ads", sa.Integer, nullable=False),
    sa.Column("limit", sa.Integer, nullable=False),
    sa.Column("after_linking", sa.Boolean, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
)

link_state = sa.Table(
    "link_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),  # one row, id 1
    sa.Column("last_ad_id", sa.Integer, nullable=False),
    sa.Column("config", Json, nullable=False),
    sa.Column("linked_at", UTCDateTime, nullable=False),
)

# Analyst decisions that two ads are not linked ("split here"): linking never puts the two in
# one network again, in a rebuild or an incremental run (ad_a < ad_b; one row per pair).
link_decisions = sa.Table(
    "link_decisions",
    metadata,
    sa.Column("id", RowId, primary_key=True),
    _ad_ref("ad_a"),
    _ad_ref("ad_b"),
    sa.Column("network_id", sa.String(32)),  # the network they were in when decided
    sa.Column("evidence", sa.Text),  # the edge split, as the analyst saw it
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("user_name", sa.String(128), nullable=False),
    sa.Column("decided_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("ad_a", "ad_b"),
)

__all__ = [
    "link_cut_keys",
    "link_decisions",
    "link_edges",
    "link_minhash",
    "link_state",
    "metadata",
    "network_members",
    "networks",
]
