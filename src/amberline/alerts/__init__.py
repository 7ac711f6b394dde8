"""AMBER alerts and watchlists: read CAP alerts, match them and watchlists against ads, notify.

An alert desk wants every new and archived ad that could show a missing child surfaced at once:
`cap` reads and validates OASIS CAP alerts (plain, or inside Atom and RSS feeds), `descriptors`
turns their police-style free text into structured child/suspect/vehicle records, `watchlists`
keeps identifiers to watch for, `matching` scores ads against both (new ads through a scan hook,
stored ads retroactively through indexed lookups) and `notify` delivers signed webhooks and
e-mail about new matches.
"""
