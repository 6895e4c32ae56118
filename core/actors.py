"""Who is acting: every write records it, every page checks it."""

from dataclasses import dataclass

ROLES = ("admin", "coordinator", "volunteer", "visitor")

ROLE_LABELS = {
    "admin": "Администратор",
    "coordinator": "Координатор",
    "volunteer": "Волонтёр",
    "visitor": "Посетитель",
}


def volunteer_code(volunteer_id: int) -> str:
    """The ID a volunteer is known by: В-0007."""
    return f"В-{volunteer_id:04d}"


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
