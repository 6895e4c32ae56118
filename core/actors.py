"""Who is acting: every write records it, every page checks it."""

from dataclasses import dataclass

ROLES = ("admin", "coordinator", "volunteer", "visitor")

ROLE_LABELS = {
    "admin": "Администратор",
    "coordinator": "Координатор",
    "volunteer": "Волонтёр",
    "visitor": "Посетитель",
}

# what screens and exports show instead of an erased visitor's name (152-ФЗ)
ERASED_NAME = "Данные удалены"


def volunteer_code(volunteer_id: int) -> str:
    """The ID a volunteer is known by: В-0007."""
    return f"В-{volunteer_id:04d}"


def booked_by(kind: str, maker_id: int | None, staff_login: str | None = None) -> str:
    """Who made a booking, as every screen and export shows it: "сам", В-0007, or an admin's login."""
    if kind == "visitor":
        return "сам"
    if kind == "volunteer" and maker_id is not None:
        return volunteer_code(maker_id)
    return staff_login or "администратор"


def short_name(first_name: str, last_name: str | None) -> str:
    """"Ирина К.": a first name and the surname's initial."""
    initial = (last_name or "").strip()[:1]
    return f"{first_name} {initial}." if initial else first_name


def booked_by_for_visitor(kind: str, volunteer_name: str | None) -> str | None:
    """Who made a booking, as the visitor reads it: nothing for their own, never a code or a login."""
    if kind == "visitor":
        return None
    if kind == "volunteer":
        return f"Записал волонтёр {volunteer_name}" if volunteer_name else "Записал волонтёр"
    return "Записал администратор"


@dataclass(frozen=True)
class Actor:
    """A signed-in person: staff (admin, coordinator), a volunteer or a visitor."""

    kind: str  # "staff" | "volunteer" | "visitor"
    id: int
    role: str
    label: str  # login for staff, В-0007 for a volunteer, card number for a visitor
    name: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def audit_name(self) -> str:
        """How the audit log names this actor: identifiers only, never a person's name."""
        return f"{self.kind}:{self.label}"


SYSTEM = Actor(kind="system", id=0, role="admin", label="system")
