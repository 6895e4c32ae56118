"""Стать волонтёром: not built yet."""

from ui.placeholder import under_construction

under_construction("Стать волонтёром")
