"""Which pages exist and which each role sees in its menu."""

import streamlit as st

# name -> (file, title, icon, url path)
PAGES = {
    "home": ("app_pages/home.py", "Главная", "🏠", "home"),
    "schedule": ("app_pages/schedule.py", "Расписание", "🗓️", "schedule"),
    "sessions": ("app_pages/sessions.py", "Мероприятия", "📋", "sessions"),
    "catalog": ("app_pages/catalog.py", "Справочник услуг", "📚", "catalog"),
    "places": ("app_pages/places.py", "Места", "📍", "places"),
    "attendance": ("app_pages/attendance.py", "Посещаемость", "📊", "attendance"),
    "export": ("app_pages/export.py", "Экспорт данных", "⬇️", "export"),
    "volunteers": ("app_pages/volunteers.py", "Волонтёры", "🙋", "volunteers"),
    "desk": ("app_pages/desk.py", "Стойка волонтёра", "🧾", "desk"),
    "door": ("app_pages/door.py", "Отметка у входа", "✅", "door"),
    "service": ("app_pages/service.py", "Служебное", "🛠️", "service"),
    "visitor": ("app_pages/visitor.py", "Запись для посетителей", "👤", "visitor"),
    "volunteer_signup": ("app_pages/volunteer_signup.py", "Стать волонтёром", "✍️", "volunteer-signup"),
}

MENU_BY_ROLE: dict[str | None, list[str]] = {
    None: ["home", "visitor", "volunteer_signup"],
    "admin": ["schedule", "sessions", "door", "catalog", "places", "attendance", "volunteers", "service"],
    "coordinator": ["attendance", "export"],
    "volunteer": ["desk", "door"],
    "visitor": ["visitor"],
}


def st_pages(role: str | None) -> list[st.Page]:
    """Every page, so that any address runs one of ours (each page checks the role itself); the
    menu shows only the role's own pages, in its order, the others are hidden."""
    menu = MENU_BY_ROLE[role]
    names = menu + [name for name in PAGES if name not in menu]
    return [
        st.Page(path, title=title, icon=icon, url_path=url, default=(name == "home"),
                visibility="visible" if name in menu else "hidden")
        for name in names
        for path, title, icon, url in [PAGES[name]]
    ]


def start_page(role: str | None) -> str:
    """The file a role lands on after signing in."""
    return PAGES[MENU_BY_ROLE[role][0]][0]
