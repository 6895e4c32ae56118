"""Мероприятия: not built yet."""

from ui.auth import require_role
from ui.placeholder import under_construction

require_role("admin")
under_construction("Мероприятия")
