"""Who decides in the parts store. The planner, the buyer, the storekeeper and the counter staff hold
the parts role and do the work; the parts manager (配件经理, the parts role plus the parts-manager
flag an administrator sets on the staff form) approves purchase plans and count reports and gives the
parts manager's signature on a write-off. The after-sales director, the parts manager's own manager,
may approve purchase plans and count reports too (the documents: "parts manager approves"; the
director signs write-offs as the service manager, not for the parts store)."""
from __future__ import annotations

from intranet.core.models import Role, User


def is_parts_manager(user: User | None) -> bool:
    return user is not None and bool(user.active) and user.is_parts_manager


def may_approve(user: User | None) -> bool:
    """May approve a purchase order or a stock count (not their own: the callers check that)."""
    return is_parts_manager(user) or (user is not None and bool(user.active) and user.has_role(Role.DIRECTOR))
