"""Book one person: service → date → time → other services that day → comment → confirm.

The same steps on the visitor page (the actor is the visitor) and at the volunteer desk (the
actor is the volunteer, who books the visitor they found). Only dates inside the booking window
with a place free for this person can be picked; the booking itself goes through
core.booking.book, all or nothing, and its refusal is shown in words.

Widget values are strings (an iso date, "event-service id:iso date"), so they survive reruns
and tests can set them; what a person reads comes from format_func.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time

import streamlit as st

from core.actors import Actor
from core.alternatives import within_limits
from core.booking import SessionKey, book
from core.errors import DomainError
from core.places import Place
from core.recurrence import plural
from core.service_limits import days_words, next_allowed
from core.sessions import SessionFilter
from core.visits import Offer, offers
from ui import alternatives
from ui.clock import now, this_minute
from ui.db import after_write, cached_catalog, cached_events, cached_places, data_version, get_engine
from ui.format import md, ru_day_short, ru_time, time_range
from ui.auth import as_signed_in
from ui.place_info import place_by_id, show_place
from ui import waitlist as waitlist_view

NO_DATES = "Свободных мест в ближайшие дни нет."
OnBooked = Callable[[list[int]], None]  # called with the new booking ids after a booking went through
# refusals after which the same service elsewhere or on another day may still be open
WHERE_ELSE = {"session_full", "event_full", "service_limit", "window_closed", "session_started", "session_cancelled"}


def load_offers(visitor_id: int, place_ids: tuple[int, ...] = ()) -> tuple[list[Offer], dict[int, date]]:
    """Sessions bookable right now for this person (open or full), nearest first, without the
    dates «не чаще раза в N дней» forbids them; and for each such limited service the first
    date allowed («можно снова с …»)."""
    return _offers_at(visitor_id, place_ids, this_minute(), data_version())


# every tap on the page reruns it: the offers are read once a minute (a session that has just
# started drops out within it; booking checks the start again) and after every write here; an
# event or a service changed through another app instance drops them within seconds, and places
# taken there show within half a minute, as on Мероприятия
@st.cache_data(show_spinner=False, ttl=30, max_entries=1000)
def _offers_at(
    visitor_id: int, place_ids: tuple[int, ...], moment: datetime, version: tuple[int, int]
) -> tuple[list[Offer], dict[int, date]]:
    with get_engine().connect() as conn:
        found = offers(conn, cached_events(), visitor_id, SessionFilter(place_ids=place_ids), moment)
        allowed = {id(o) for o in within_limits(conn, visitor_id, found)}
        # a forbidden date stays in the list, closed, so its service still shows «можно снова с …»
        return [o if id(o) in allowed else replace(o, free=0) for o in found], next_allowed(conn, visitor_id, moment.date())


def _skip(value: str) -> tuple[tuple[int, date]]:
    key = _key(value)
    return ((key.event_service_id, key.date),)


def again_words(service_id: int, day: date) -> str:
    """"не чаще раза в 7 дней, можно снова с 16.03"."""
    every = {c.id: c.limit_days for c in cached_catalog()}.get(service_id)
    return (f"не чаще раза в {days_words(every)}, " if every else "") + f"можно снова с {day:%d.%m}"


def places_word(count: int) -> str:
    return f"{count} {plural(count, 'место', 'места', 'мест')}"


def free_words(count: int) -> str:
    """"свободно 9 мест", "свободно 1 место": free places, never "booked of capacity"."""
    return f"свободно {places_word(count)}"


def phrase(service_name: str, day: date, start: time, place_name: str) -> str:
    """"Стирка, ср 12.03 в 10:00, Цветной": how banners and confirmations name a booking."""
    return f"{service_name}, {ru_day_short(day)} в {ru_time(start)}, {place_name}"


def describe(offer: Offer) -> str:
    s = offer.session
    return phrase(s.service_name, s.date, s.start_time, s.place_name)


def slot_value(offer: Offer) -> str:
    return f"{offer.session.event_service_id}:{offer.session.date.isoformat()}"


def _key(value: str) -> SessionKey:
    es_id, day = value.split(":")
    return SessionKey(int(es_id), date.fromisoformat(day))


def _state(prefix: str, name: str):
    return st.session_state.get(f"{prefix}_{name}")


def choose_service(prefix: str, service: str | None) -> None:
    """Open the steps for `service` (None closes them); earlier choices and messages are dropped."""
    for value in _state(prefix, "extras_shown") or []:
        st.session_state[f"{prefix}_extra_{value}"] = False
    st.session_state.update({
        f"{prefix}_service": service,
        f"{prefix}_date": None,
        f"{prefix}_slot": None,
        f"{prefix}_comment": "",
        f"{prefix}_error": None,
        f"{prefix}_done": None,
        f"{prefix}_where_else": None,
    })


def _clear_error(prefix: str) -> None:
    st.session_state[f"{prefix}_error"] = None
    st.session_state[f"{prefix}_where_else"] = None


def _book(visitor_id: int, actor: Actor, prefix: str, chosen: list[str], comment: str | None, on_booked: OnBooked | None) -> None:
    """Book the chosen slots; a refusal stays in words, with where else to go when that can help."""
    s = st.session_state
    try:
        booked = book(get_engine(), visitor_id, [_key(v) for v in chosen], actor, now(), comment)
    except DomainError as refusal:
        s[f"{prefix}_error"] = refusal.message
        s[f"{prefix}_where_else"] = chosen[0] if refusal.code in WHERE_ELSE else None
        return
    words = _state(prefix, "words") or {}
    lead = "Вы записаны" if actor.role == "visitor" else "Записано"
    service = _state(prefix, "service")
    choose_service(prefix, None)
    if on_booked is None:
        s[f"{prefix}_done"] = (service, f"{lead}: " + "; ".join(md(words.get(v, "")) for v in chosen) + ".")
    else:
        on_booked(booked)
    after_write()


@as_signed_in
def _confirm(visitor_id: int, actor: Actor, prefix: str, on_booked: OnBooked | None = None) -> None:
    s = st.session_state
    slot = _state(prefix, "slot")
    if not slot:
        s[f"{prefix}_error"] = "Выберите время."
        return
    extras = [v for v in _state(prefix, "extras_shown") or [] if s.get(f"{prefix}_extra_{v}")]
    _book(visitor_id, actor, prefix, [slot, *extras], _state(prefix, "comment"), on_booked)


@as_signed_in
def _book_elsewhere(offer: Offer, visitor_id: int, actor: Actor, prefix: str, service: str, on_booked: OnBooked | None) -> None:
    """One tap on an alternative: that one session, no comment, the same answers as the steps."""
    value = slot_value(offer)
    st.session_state[f"{prefix}_service"] = service
    st.session_state[f"{prefix}_words"] = {**(_state(prefix, "words") or {}), value: describe(offer)}
    _book(visitor_id, actor, prefix, [value], None, on_booked)


def where_else(visitor_id: int, actor: Actor, prefix: str, service: str, service_id: int, skip: tuple = (),
               on_booked: OnBooked | None = None) -> None:
    """The nearest sessions of this catalog service the person can book now, anywhere, one tap each."""
    found = alternatives.load(visitor_id, service_id, skip)

    def book_one(offer: Offer) -> None:
        _book_elsewhere(offer, visitor_id, actor, prefix, service, on_booked)

    alternatives.box(prefix, found, book_one)


def _date_label(day_offers: dict[date, list[Offer]]):
    def label(value: str) -> str:
        free = sum(o.free for o in day_offers[date.fromisoformat(value)])
        return f"{ru_day_short(date.fromisoformat(value))} · {places_word(free)}"

    return label


def steps(
    visitor_id: int, actor: Actor, prefix: str, service: str, found: list[Offer], on_booked: OnBooked | None = None
) -> None:
    """Date, time, other services that day, comment and confirm, for one chosen service.

    The nearest date is chosen already (one tap less for most people); another is one tap away.
    """
    s = st.session_state
    open_offers = [o for o in found if o.is_open]
    by_day: dict[date, list[Offer]] = defaultdict(list)
    for offer in open_offers:
        if offer.session.service_name == service:
            by_day[offer.session.date].append(offer)
    s[f"{prefix}_words"] = {slot_value(o): describe(o) for o in open_offers}
    # A refusal is shown by the confirm button; if the refused slot has just gone (taken, closed,
    # already booked) the steps below shrink, so it is shown here at the top instead.
    error = _state(prefix, "error")
    slot_gone = _state(prefix, "slot") not in s[f"{prefix}_words"]
    refused = _state(prefix, "where_else")
    service_id = next((o.session.service_id for o in found if o.session.service_name == service), None)
    if error and slot_gone:
        st.error(error, icon="⚠️")
        if refused and service_id is not None:
            where_else(visitor_id, actor, prefix, service, service_id, _skip(refused), on_booked)
    if not by_day:
        st.info(NO_DATES)
        st.button("Закрыть", key=f"{prefix}_close", on_click=choose_service, args=(prefix, None), width="stretch")
        return

    days = [d.isoformat() for d in sorted(by_day)]
    if _state(prefix, "date") not in days:
        s[f"{prefix}_date"] = days[0]
    st.pills("Дата", days, key=f"{prefix}_date", format_func=_date_label(by_day), on_change=_clear_error, args=(prefix,),
             required=True)
    chosen_day = _state(prefix, "date")

    slots = {slot_value(o): o for o in sorted(by_day[date.fromisoformat(chosen_day)], key=lambda o: o.session.start_time)}
    if _state(prefix, "slot") not in slots:
        s[f"{prefix}_slot"] = next(iter(slots))
    st.radio(
        "Время",
        list(slots),
        key=f"{prefix}_slot",
        on_change=_clear_error,
        args=(prefix,),
        format_func=lambda v: f"{time_range(slots[v].session.start_time, slots[v].session.end_time)} · "
        f"{md(slots[v].session.place_name)} · {free_words(slots[v].free)}",
    )
    main = slots[_state(prefix, "slot")].session
    place = place_by_id(main.place_id)
    if place is not None:
        show_place(place)

    others = [
        o for o in open_offers
        if o.session.event_id == main.event_id and o.session.date == main.date
        and o.session.event_service_id != main.event_service_id
    ]
    s[f"{prefix}_extras_shown"] = [slot_value(o) for o in others]
    if others:
        st.markdown("**Ещё услуги в этот день**")
        for offer in others:
            o = offer.session
            st.checkbox(
                f"{md(o.service_name)}, {time_range(o.start_time, o.end_time)} · {free_words(offer.free)}",
                key=f"{prefix}_extra_{slot_value(offer)}",
            )
    st.text_input("Комментарий (необязательно)", key=f"{prefix}_comment", max_chars=500)
    if error and not slot_gone:
        st.error(error, icon="⚠️")
        if refused and service_id is not None:
            where_else(visitor_id, actor, prefix, service, service_id, _skip(refused), on_booked)
    cols = st.columns(2)
    cols[0].button("Подтвердить запись", key=f"{prefix}_confirm", type="primary", on_click=_confirm,
                   args=(visitor_id, actor, prefix, on_booked), width="stretch")
    cols[1].button("Отмена", key=f"{prefix}_cancel", on_click=choose_service, args=(prefix, None), width="stretch")


def _done(prefix: str, service: str | None = None) -> None:
    done = _state(prefix, "done")
    if done and (service is None or done[0] == service):
        st.success(done[1])


def render(
    visitor_id: int, actor: Actor, key_prefix: str, place_ids: tuple[int, ...] = (), on_booked: OnBooked | None = None
) -> None:
    """The whole flow with a service list at the top (the desk, or any page without a catalog);
    `on_booked` gets the new booking ids, or else a line says what was booked."""
    found, again = load_offers(visitor_id, place_ids)
    names = list(dict.fromkeys(o.session.service_name for o in found if o.is_open))
    _done(key_prefix)
    limited = {o.session.service_name: o.session.service_id for o in found if o.session.service_id in again}
    if limited:
        st.caption("; ".join(f"{md(n)}: {again_words(i, again[i])}" for n, i in limited.items()))
    if not names:
        st.info(NO_DATES)
        waitlist_view.offer_line(visitor_id, key_prefix, [o for o in found if not o.is_open and not o.mine], describe)
        return
    if _state(key_prefix, "service") not in names:
        st.session_state[f"{key_prefix}_service"] = None
    st.selectbox("Услуга", names, key=f"{key_prefix}_service", index=None, placeholder="Выберите услугу",
                 on_change=lambda: choose_service(key_prefix, st.session_state[f"{key_prefix}_service"]))
    service = _state(key_prefix, "service")
    if service:
        steps(visitor_id, actor, key_prefix, service, found, on_booked)
    waitlist_view.offer_line(visitor_id, key_prefix, [o for o in found if not o.is_open and not o.mine], describe)


def _place_words(place: Place | None, name: str) -> str:
    """"Цветной (м. Цветной бульвар)": a place as the service list names it, the metro if known."""
    metro = place.metro_label if place else None
    return f"{md(name)} ({md(metro)})" if metro else md(name)


def render_catalog(
    visitor_id: int, actor: Actor, key_prefix: str, place_ids: tuple[int, ...] = (), on_booked: OnBooked | None = None
) -> None:
    """Доступные услуги: each service with its description, nearest dates and free places.

    "Записаться" opens the steps inside that service's card, right where the person tapped;
    `on_booked` gets the new booking ids (the page confirms them where the person can see it).
    """
    found, again = load_offers(visitor_id, place_ids)
    if not found:
        st.info(NO_DATES)
        return
    descriptions = {c.id: c.description for c in cached_catalog()}
    places = {p.id: p for p in cached_places()}
    by_service: dict[str, list[Offer]] = defaultdict(list)
    for offer in found:
        by_service[offer.session.service_name].append(offer)
    chosen = _state(key_prefix, "service")
    for name, service_offers in by_service.items():
        service_id = service_offers[0].session.service_id
        with st.container(border=True, key=f"{key_prefix}_svc_{service_id}"):
            st.markdown(f"**{md(name)}**")
            st.caption(md(descriptions.get(service_id, "")))
            free_by_day: dict[date, int] = defaultdict(int)
            for offer in service_offers:
                if offer.is_open:
                    free_by_day[offer.session.date] += offer.free
            where = ", ".join(_place_words(places.get(o.session.place_id), o.session.place_name) for o in
                              {o.session.place_id: o for o in service_offers}.values())
            st.markdown(f"📍 {where}")
            mine = sorted({o.session.date for o in service_offers if o.mine})
            if mine:
                st.markdown("✅ Вы записаны: " + ", ".join(ru_day_short(d) for d in mine))
            if service_id in again:
                st.markdown(f"🔁 Эту услугу — {again_words(service_id, again[service_id])}")
            if free_by_day:
                nearest = "; ".join(f"{ru_day_short(d)} — {places_word(n)}" for d, n in sorted(free_by_day.items())[:3])
                st.markdown(f"Ближайшие даты: {nearest}")
            else:
                if mine or service_id not in again:
                    st.markdown("Других свободных дат нет." if mine else "Мест нет на все ближайшие даты.")
                if place_ids and chosen != name:
                    # full here: the same service at the other places, one tap each
                    where_else(visitor_id, actor, key_prefix, name, service_id, on_booked=on_booked)
            _done(key_prefix, name)
            if chosen == name:
                steps(visitor_id, actor, key_prefix, name, found, on_booked)
            else:
                st.button("Записаться", key=f"{key_prefix}_pick_{service_id}", on_click=choose_service,
                          args=(key_prefix, name), disabled=not free_by_day, width="stretch")
                full = [o for o in service_offers if not o.is_open and not o.mine]
                waitlist_view.offer_line(visitor_id, f"{key_prefix}_{service_id}", full, describe)
