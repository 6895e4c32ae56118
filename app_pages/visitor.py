"""Запись для посетителей: not built yet."""

from ui.placeholder import under_construction

under_construction("Запись для посетителей")
