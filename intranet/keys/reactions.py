"""How the key board reacts to the repair order (`intranet.core.hooks`): the typed tag goes on the
car's key, and at delivery the keys go home with the customer."""
from __future__ import annotations

from intranet.core import hooks
from intranet.keys import services


def key_tag_set(*, store_id: int, repair_order_id: int, code: str | None, actor_id: int) -> str | None:
    tag = services.attach_tag(store_id, repair_order_id, code, actor_id=actor_id)
    return tag.code if tag else None


def delivered(*, store_id: int, repair_order_id: int, actor_id: int) -> None:
    services.hand_back_keys(store_id, repair_order_id, actor_id=actor_id)  # its tag is free again


def connect() -> None:
    hooks.key_tag_set.connect(key_tag_set)
    hooks.repair_order_delivered.connect(delivered)
