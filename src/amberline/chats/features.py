"""Turn conversations into per-message count rows, and prefixes of conversations into text.

The model scores a conversation from the summed counts of its messages, so the same per-message
rows serve both the whole-conversation score and the running score after each message (prefix
sums), and screening reads every message's text once. `prefix` cuts a conversation after a
fraction of its words: the benchmark reads openings with it, and training adds openings so the
model learns what the start of a dangerous conversation looks like, not only its end.
"""

from __future__ import annotations

import math
import re

from amberline.chats.records import Conversation, Message

_WORD = re.compile(r"\S+")


def word_count(conv: Conversation) -> int:
    return sum(len(m.text.split()) for m in conv.messages)


def prefix(conv: Conversation, fraction: float) -> Conversation:
    """The conversation cut after the first `fraction` of its words (at least one word); the
    message in which the cut falls keeps its first words."""
    total = word_count(conv)
    keep = max(1, math.floor(total * fraction))
    messages: list[Message] = []
    for message in conv.messages:
        if keep <= 0:
            break
        words = list(_WORD.finditer(message.text))
        if len(words) <= keep:
            messages.append(message)
        else:
            messages.append(Message(message.author, message.text[: words[keep - 1].end()],
                                    message.time))
        keep -= len(words)
    return Conversation(conv.id, messages or conv.messages[:1], conv.label, conv.source,
                        conv.meta)
