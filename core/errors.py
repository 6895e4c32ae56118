"""Domain errors: a stable code for code and tests, a Russian message for people.

Every refusal the product can give is listed in MESSAGES, so wording lives in one place
and pages never build their own error text.
"""

MESSAGES: dict[str, str] = {
    # validation of single fields
    "required": "Заполните это поле.",
    "name_too_short": "Не меньше 2 букв.",
    "name_too_long": "Не больше 60 символов.",
    "name_bad_chars": "Только буквы, дефис, апостроф и пробел.",
    "phone_invalid": "Неверный номер. Пример: +7 (916) 123-45-67.",
    "phone_not_mobile_ru": "Нужен российский номер: +7 (XXX) XXX-XX-XX.",
    "not_a_number": "Введите целое число.",
    "capacity_range": "Вместимость — от {minimum} до {maximum}.",
    "service_capacity_above_event": "Вместимость услуги не может быть больше вместимости события ({event_capacity}).",
    "limit_days_range": "Не чаще раза в N дней: N — от 1 до 365; пусто — без ограничения.",
    "window_range": "Окно записи — от 0 до 365 дней.",
    "interval_range": "Интервал — от 1 до 99.",
    "count_range": "Число повторений — от 1 до 1000.",
    "until_before_first": "Дата окончания не может быть раньше первой даты.",
    "date_in_past": "Дата не может быть раньше сегодняшней.",
    "date_invalid": "Введите дату в формате ДД.ММ.ГГГГ.",
    "time_order": "Время окончания должно быть позже начала.",
    "title_too_long": "Не больше 120 символов.",
    "text_too_long": "Не больше {maximum} символов.",
    "weekdays_required": "Выберите хотя бы один день недели.",
    "services_required": "Добавьте хотя бы одну услугу.",
    "service_repeated": "Эта услуга уже добавлена на то же время.",
    "place_exists": "Такое место уже есть: «{place}».",
    "place_not_found": "Место не найдено.",
    "duration_range": "Длительность — от {minimum} до {maximum} минут.",
    "login_invalid": "Логин — от 3 до 32 латинских букв, цифр, точек, дефисов или подчёркиваний.",
    "login_taken": "Этот логин уже занят.",
    "password_too_short": "Пароль — не меньше 10 символов.",
    "consent_required": "Без согласия на обработку персональных данных регистрация невозможна.",
    "pin_invalid": "PIN — 4 цифры.",
    # sign-in
    "login_failed": "Неверный логин или пароль.",
    "login_throttled": "Слишком много неудачных попыток. Подождите {minutes} мин. и попробуйте снова.",
    "account_pending": "Учётная запись ждёт подтверждения администратора.",
    "visitor_login_failed": "Неверный номер карты или PIN.",
    "pin_throttled": "Слишком много неверных PIN. Подождите {minutes} мин. или обратитесь к сотруднику: он выдаст новый PIN.",
    "card_invalid": "Номер карты — 6 или 7 цифр, как на карте.",
    "card_typo": "В номере карты ошибка: проверьте цифры.",
    "public_form_throttled": "С этого подключения уже было несколько регистраций. Попробуйте через {minutes} мин. или обратитесь к сотруднику.",
    # booking
    "session_full": "Мест на эту услугу больше нет.",
    "service_limit": "Эту услугу можно получать не чаще раза в {every}: следующая запись возможна с {allowed}.",
    "service_retired": "Эта услуга больше не оказывается: её убрали из справочника.",
    "event_full": "На это событие уже записано максимальное число участников.",
    "already_booked": "Этот человек уже записан на эту услугу.",
    "window_closed": "Запись на эту дату закрыта.",
    "session_started": "Услуга уже началась: запись закрыта.",
    "session_cancelled": "Это мероприятие отменено.",
    "session_not_found": "Мероприятие не найдено.",
    "sessions_on_different_days": "За один раз можно записаться только на услуги одного дня одного события.",
    "booking_not_found": "Запись не найдена.",
    # the door: places of people who did not come
    "release_too_early": "Место можно отдать через {minutes} мин. после начала: с {time}.",
    "release_not_expected": "Этот человек отмечен «Присутствовал» или его место уже отдано.",
    # waiting list
    "waitlist_place_free": "Место как раз освободилось: запишитесь на него.",
    "waitlist_already_in": "Этот человек уже в листе ожидания на эту услугу.",
    "waitlist_not_waiting": "Этого человека уже нет в листе ожидания.",
    "booking_not_active": "Запись уже отменена.",
    "booking_in_past": "Прошедшую запись отменить нельзя.",
    "booking_marked": "Посещение уже отмечено, такую запись отменить нельзя. Администратор может вернуть статус «Ожидается», после этого запись можно отменить.",
    "mark_before_session_day": "Статус «{status}» можно поставить только в день мероприятия или позже.",
    # marks at the door (core.statuses.mark_refusal, core.door)
    "mark_today_only": "Волонтёр отмечает посещение только на сегодняшних мероприятиях.",
    "mark_already_made": "Посещение уже отмечено. Исправить отметку может администратор.",
    "mark_nothing_to_undo": "Отметки нет: запись и так «Ожидается».",
    "undo_not_own": "Волонтёр может отменить только свою отметку. Исправить чужую может администратор.",
    "undo_too_late": "Отметку можно отменить только в течение минуты. Теперь исправить её может администратор.",
    "walk_in_today_only": "Без записи у входа можно записать только на сегодняшнее мероприятие.",
    "person_not_found": "Посетитель не найден.",
    "person_erased": "Данные этого посетителя удалены.",
    "status_invalid": "Недопустимый статус.",
    "nothing_selected": "Выберите хотя бы одну запись.",
    # events and sessions
    "event_not_found": "Событие не найдено.",
    "event_has_history": "У события есть история записей: удалить его нельзя. Отправьте его в архив.",
    "session_has_bookings": "На мероприятие записаны люди ({count}): удалить его нельзя.",
    "capacity_below_booked": "Вместимость меньше числа записанных: {where}.",
    "bookings_outside_series": "Есть записи на даты, которых не будет в новом расписании: {where}.",
    "event_not_archived": "Событие не в архиве.",
    "event_already_archived": "Событие уже в архиве.",
    "not_allowed": "Недостаточно прав для этого действия.",
    # the service catalog (Справочник услуг)
    "service_exists": "Такая услуга уже есть в справочнике.",
    "service_not_found": "Услуга не найдена.",
    "service_already_retired": "Услуга уже выведена из справочника.",
    "service_not_retired": "Услуга и так действует.",
    "busy_try_again": "Система занята, попробуйте ещё раз.",
    # visitor page
    "photo_too_big": "Фото больше 5 МБ. Выберите файл поменьше.",
    "photo_invalid": "Это не фото в формате JPEG или PNG.",
    "photo_too_many_pixels": "Фото слишком большое: не больше {megapixels} мегапикселей. Подойдёт обычный снимок с телефона.",
    "photo_required": "Сначала выберите фото: JPEG или PNG, до 5 МБ.",
    # export
    "fields_required": "Выберите хотя бы одно поле.",
    "period_reversed": "Начало периода позже его конца.",
    "print_too_many": "В печатную форму помещается не больше {maximum} строк, а выбрано {count}. Уточните фильтры или выгрузите Excel.",
    # МКС (core/mks.py): what the status panel on «Служебное» says
    "mks_not_configured": "Связь с МКС не настроена (MKS_DATABASE_URL не задана).",
    "mks_url_invalid": "Адрес МКС (MKS_DATABASE_URL) записан неверно. Нужен вид mysql+pymysql://пользователь:пароль@сервер:3306/база.",
    "mks_unreachable": "Сервер МКС не отвечает. Записи и отметки работают, услуги уйдут в МКС, когда связь вернётся.",
    "mks_access_denied": "МКС не пускает: неверный пользователь или пароль в MKS_DATABASE_URL.",
    "mks_no_database": "В МКС нет базы, указанной в MKS_DATABASE_URL.",
    "mks_no_table": "В базе МКС нет нужных таблиц (service_type, client, service): проверьте, что адрес указывает на базу МКС.",
    "mks_no_rights": "У пользователя МКС не хватает прав: выдайте их, как сказано в README («Связь с МКС»).",
    "mks_busy": "МКС занята, попробуем ещё раз.",
    "mks_row_refused": "МКС не приняла услугу: клиента или вид услуги в МКС больше нет.",
    "mks_user_invalid": "В МКС нет пользователя с номером из MKS_USER_ID: услуги ждут, пока настройку не исправят.",
    "mks_error": "Ошибка при обращении к МКС.",
    "mks_client_not_found": "В МКС нет клиента с таким номером.",
    "mks_client_taken": "Этот клиент МКС уже связан с другим посетителем (карта {card}).",
}


class DomainError(Exception):
    """A refusal with a stable code; `message` is what a person reads."""

    def __init__(self, code: str, field: str | None = None, **params):
        self.code = code
        self.field = field
        self.params = params
        super().__init__(code)

    @property
    def message(self) -> str:
        return MESSAGES[self.code].format(**self.params)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, field={self.field!r})"


class ValidationError(DomainError):
    """Bad input in one form field; nothing was written."""


class BookingRefused(DomainError):
    """A business rule said no (full, duplicate, window); never retried."""


class NotAllowed(DomainError):
    """The actor's role may not do this."""

    def __init__(self, code: str = "not_allowed", **params):
        super().__init__(code, **params)
